import DDData
import DDFormat
import DDNN
import DDTrain
import Foundation
@testable import DDExpert

func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func writeBytes(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

func directoryListing(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// A small labelled set with pseudo-random pixels: `perClass` images of each of `classes` classes.
func makeDataset(perClass: Int = 20, classes: Int = 10, side: Int = 28, seed: UInt64 = 1, name: String = "mnist") -> Dataset {
    var state = seed
    func next() -> UInt8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
    let n = perClass * classes
    let pixels = (0..<(n * side * side)).map { _ in next() }
    let labels = (0..<n).map { Int32($0 % classes) }
    return Dataset(name: name, images: .u8(pixels), geometry: ImageGeometry(channels: 1, height: side, width: side),
                   labels: labels, classNames: (0..<classes).map(String.init), mean: [0.1307], std: [0.3081],
                   provenance: ["split": "train"]).withContentDigest()
}

func makeConfiguration(dataset: Dataset = makeDataset(), spec: String = "convnet-d1-w4", epochs: Int = 2,
                       seed: UInt64 = 0, recipe: ((inout TrainingRecipe) -> Void)? = nil) throws -> ExpertConfiguration {
    let network = try NetworkSpec(parsing: spec)
    let built = try Network(network, channels: 1, height: dataset.geometry.height, width: dataset.geometry.width,
                            classes: dataset.classCount)
    var r = TrainingRecipe.mttExpert(epochs: epochs, dataset: dataset.name)
    r.batchSize = 64
    recipe?(&r)
    return ExpertConfiguration(dataset: DatasetIdentity(dataset), testSet: nil, network: network,
                               parameterLayout: built.parameterInfo, recipe: r, baseSeed: seed)
}

/// Stands in for the training loop where a test is about the cache: checkpoint e of the expert seeded
/// `seed` is θ_e[i] = (seed mod 1000) + e + i/1000, so every value a test reads back is known in advance.
struct FormulaTrainer: ExpertTrainer {
    let parameterCount: Int
    /// Stop (as a cancelled loop does) after emitting this many checkpoints.
    var stopAfter: Int? = nil
    var stepsPerEpoch: Int { 1 }

    static func value(seed: UInt64, epoch: Int, index: Int) -> Float {
        Float(seed % 1000) + Float(epoch) + Float(index) / 1000
    }

    /// Its resume state is the epoch number as text.
    func train(seed: UInt64, epochs: Int, resume: [UInt8]?, shouldStop: () -> Bool,
               checkpoint: (EpochCheckpoint, (() throws -> [UInt8])?) throws -> Void) throws {
        let first = resume.map { Int(String(decoding: $0, as: UTF8.self))! + 1 } ?? 0
        for e in first...epochs {
            if let stopAfter, e >= stopAfter { return }
            if shouldStop() { return }
            let theta = (0..<parameterCount).map { Self.value(seed: seed, epoch: e, index: $0) }
            try checkpoint(EpochCheckpoint(epoch: e, parameters: theta, trainLoss: e == 0 ? nil : 1.0 / Double(e),
                                           testAccuracy: 0.1 * Double(e)),
                           e == 0 ? nil : { Array(String(e).utf8) })
        }
    }
}
