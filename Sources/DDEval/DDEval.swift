import DDTrain
