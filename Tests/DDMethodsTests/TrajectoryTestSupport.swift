import DDData
import DDExpert
import DDNN
import DDTrain
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// The fixture's cache directory, removed when the test process exits.
nonisolated(unsafe) private var fixtureRootToRemove: String?

/// Real MNIST subsets (3 classes) and small expert caches (convnet-d1-w4, 2 experts × 3 epochs, batch 8)
/// made once per test process with dd-expert's trainer.
enum TrajectoryFixture {
    static let network = "convnet-d1-w4"

    static let dataset: Dataset? = try? DistillTestData.subset(perClass: 6)
    /// Another real subset: its caches must be refused for `dataset`.
    static let otherDataset: Dataset? = try? DistillTestData.subset(perClass: 6, offset: 6)

    /// A cache root holding one key for `dataset` and one for `otherDataset`.
    static let root: (path: String, key: String, otherKey: String)? = {
        guard let dataset, let otherDataset, let path = try? makeTempDirectory() else { return nil }
        fixtureRootToRemove = path
        atexit { if let path = fixtureRootToRemove { try? FileManager.default.removeItem(atPath: path) } }
        guard let key = try? makeCache(root: path, dataset: dataset),
              let otherKey = try? makeCache(root: path, dataset: otherDataset) else { return nil }
        return (path, key, otherKey)
    }()

    /// Trains `experts` experts into `root` and returns the key.
    static func makeCache(root: String, dataset: Dataset, experts: Int = 2, epochs: Int = 3,
                          sampling: TrainingSampling? = nil) throws -> String {
        let spec = try NetworkSpec(parsing: network)
        let g = dataset.geometry
        let built = try Network(spec, channels: g.channels, height: g.height, width: g.width, classes: dataset.classCount)
        var recipe = TrainingRecipe.mttExpert(epochs: epochs, dataset: dataset.name)
        recipe.batchSize = 8
        recipe.sampling = sampling
        let configuration = ExpertConfiguration(dataset: DatasetIdentity(dataset), testSet: nil, network: spec,
                                                parameterLayout: built.parameterInfo, recipe: recipe, baseSeed: 0)
        let builder = ExpertCacheBuilder(root: root, configuration: configuration)
        try builder.run(experts: Array(0..<experts),
                        trainer: NetworkExpertTrainer(spec: spec, recipe: recipe, data: try TrainingData(dataset), test: nil))
        return builder.key
    }

    static func require() throws -> (dataset: Dataset, root: String, key: String, otherKey: String) {
        let dataset = try #require(dataset, "real MNIST not found ($DD_DATA or ../shared/datasets)")
        let root = try #require(root, "could not make the expert caches")
        return (dataset, root.path, root.key, root.otherKey)
    }

    /// A tiny MTT/TESLA run: IPC 1, N 3, M 1, T⁺ 2, ConvNet d1-w4.
    static func config(_ method: DistillMethodName, experts: String, iterations: Int, softLabels: Bool = false,
                       configure: (inout TrajectoryMatchingConfig) -> Void = { _ in }) -> DistillConfig {
        var config = DistillConfig.defaults(for: method, ipc: 1, dataset: "mnist", seed: 5)
        config.iterations = iterations
        config.network = network
        config.learningRateImages = 100
        var settings = TrajectoryMatchingConfig(experts: experts)
        settings.syntheticSteps = 3
        settings.expertEpochs = 1
        settings.maxStartEpoch = 2
        settings.learningRateStepSize = 1e-3
        settings.softLabels = softLabels
        configure(&settings)
        config.trajectory = settings
        return config
    }

    static func error(_ body: () throws -> Void) -> DistillError? {
        do { try body() } catch let error as DistillError { return error } catch { return nil }
        return nil
    }
}
