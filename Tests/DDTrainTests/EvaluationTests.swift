import DDAutograd
import DDData
import DDNN
import DDTensor
import DDTestSupport
import Foundation
import Testing
@testable import DDTrain

@Suite struct EvaluationTests {
    @Test func countsMatchAHandComputedConfusion() {
        // Class 0: 3 of 4 right; class 1: 1 of 2; class 2: 0 of 1; class 3 absent.
        let labels = [0, 0, 0, 0, 1, 1, 2]
        let predictions = [0, 0, 1, 0, 1, 0, 1]
        let groups = [0, 1, 0, 1, 0, 1, 1]
        let counts = ClassificationCounts(labels: labels, predictions: predictions, classCount: 4, groups: groups)
        #expect(counts.correct == 4 && counts.total == 7)
        #expect(counts.accuracy == 4.0 / 7)
        let perClass = counts.perClassAccuracy
        #expect(perClass[0] == 0.75 && perClass[1] == 0.5 && perClass[2] == 0 && perClass[3].isNaN)
        // Group 0 = samples 0, 2, 4: right, wrong, right; group 1 = 1, 3, 5, 6: right, right, wrong, wrong.
        #expect(counts.perGroupAccuracy == [0: 2.0 / 3, 1: 0.5])
    }

    @Test func biasCellsAreClassByAttribute() {
        let labels = [0, 0, 1, 1, 1]
        let bias = [0, 1, 1, 0, 0]
        let predictions = [0, 1, 1, 1, 0]
        let counts = ClassificationCounts(labels: labels, predictions: predictions, classCount: 2, biasLabels: bias)
        #expect(counts.biasCount == 2)
        #expect(counts.cellAccuracy == [[1, 0], [0.5, 1]])
    }

    @Test func evaluatorAgreesWithNetworkEvaluateAndCountsPerClass() throws {
        let data = try toyData(count: 30)
        let trained = try Trainer.train(spec: tinySpec, recipe: TrainingRecipe(batchSize: 8, epochs: 2), data: data, seed: 1)
        let result = Evaluator.evaluate(trained, on: data, batchSize: 7)
        let reference = trained.network.evaluate(images: data.images, labels: data.labels, parameters: trained.parameters,
                                                 batchSize: 30)
        #expect(abs(result.accuracy - reference.accuracy) < 1e-12)
        #expect(abs(result.loss - reference.loss) < 1e-5)
        #expect(result.counts.classTotal == [10, 10, 10])
        let weighted = zip(result.perClassAccuracy, result.counts.classTotal).map { $0 * Double($1) }.reduce(0, +) / 30
        #expect(abs(weighted - result.accuracy) < 1e-12)
    }

    @Test func dataViewNormalisesU8WithTheStreamConstants() throws {
        let dataset = Dataset(name: "t", images: .u8([0, 255, 51, 102]), geometry: ImageGeometry(channels: 1, height: 1, width: 2),
                              labels: [0, 1], classNames: ["a", "b"], mean: [0.5], std: [0.25],
                              softLabels: [0.9, 0.1, 0.2, 0.8])
        let view = try TrainingData(dataset)
        #expect(view.images.shape == [2, 1, 1, 2])
        let expected: [Float] = [(0 - 0.5) / 0.25, (1 - 0.5) / 0.25, (0.2 - 0.5) / 0.25, (0.4 - 0.5) / 0.25]
        for (a, b) in zip(view.images.scalars, expected) { #expect(abs(a - b) < 1e-6) }
        #expect(view.softLabels != nil)
        #expect(try TrainingData(dataset, hardLabels: true).softLabels == nil)
    }

    /// Loss goes down on real MNIST (100 images of the smaller test file, for speed) with a small ConvNet; skipped without the shared files.
    @Test(.enabled(if: sharedDatasetsDirectory() != nil)) func lossDecreasesOnASmallRealMNISTSubset() throws {
        var options = FetchOptions(mirror: sharedDatasetsDirectory(), cacheDirectory: nil, verify: false)
        options.useSystemDirectories = false
        options.allowDownload = false
        let dataset = try FetchRequest(name: "mnist", split: .test, perClass: 10, seed: 0, options: options).run()
        let data = try TrainingData(dataset)
        let recipe = TrainingRecipe(batchSize: 25, epochs: 6)
        let trained = try Trainer.train(spec: NetworkSpec(.convnet, depth: 2, width: 8), recipe: recipe, data: data, seed: 0)
        let losses = trained.history.map(\.loss)
        #expect(losses.last! < 0.5 * losses.first!, "losses \(losses)")
        #expect(trained.history.last!.trainAccuracy > 0.8)
    }
}
