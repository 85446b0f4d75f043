import DDNN
import DDTrain

/// Trains experts with DDTrain's loop (`Trainer.train`) and turns each epoch report into a checkpoint,
/// adding the test-set loss and accuracy when a test set is given.
public struct NetworkExpertTrainer: ExpertTrainer {
    public let spec: NetworkSpec
    public let recipe: TrainingRecipe
    public let data: TrainingData
    public let test: TrainingData?

    public init(spec: NetworkSpec, recipe: TrainingRecipe, data: TrainingData, test: TrainingData?) {
        self.spec = spec
        self.recipe = recipe
        self.data = data
        self.test = test
    }

    public var stepsPerEpoch: Int {
        recipe.dropLast ? data.count / recipe.batchSize : (data.count + recipe.batchSize - 1) / recipe.batchSize
    }

    public func train(seed: UInt64, epochs: Int, resume: [UInt8]?, shouldStop: () -> Bool,
                      checkpoint: (EpochCheckpoint, (() throws -> [UInt8])?) throws -> Void) throws {
        var recipe = recipe
        recipe.epochs = epochs
        let network = try Trainer.makeNetwork(spec, for: data)
        // Batch-norm running statistics are not part of θ and not reported per epoch, so BN networks get
        // no test diagnostics (MTT's experts are ConvNets with instance norm).
        let testSet = network.hasBatchNorm ? nil : test
        do {
            let start = try resume.map { try TrainingSnapshotCoding.decode($0) }
            _ = try Trainer.train(spec: spec, recipe: recipe, data: data, seed: seed, resume: start, observer: { report in
                var testResult: EvaluationResult?
                if let testSet {
                    testResult = Evaluator.evaluate(network, parameters: network.unflatten(report.flatParameters),
                                                    on: testSet)
                }
                try checkpoint(EpochCheckpoint(
                    epoch: report.epoch, parameters: report.flatParameters.scalars,
                    trainLoss: report.loss.isFinite ? report.loss : nil,
                    trainAccuracy: report.trainAccuracy.isFinite ? report.trainAccuracy : nil,
                    testLoss: testResult?.loss, testAccuracy: testResult?.accuracy),
                    report.snapshot.map { snapshot in { try TrainingSnapshotCoding.encode(snapshot) } })
            }, shouldStop: shouldStop)
        } catch TrainingError.cancelled {
            return   // the caller sees the missing checkpoints and reports the interruption
        }
    }
}
