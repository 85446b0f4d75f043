import DDData
import DDFormat
import DDNN
import DDTensor
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// Real MNIST for the distillation tests: the t10k split read once from the shared mirror, cut into small
/// per-class train and held-out subsets.
enum DistillTestData {
    static let mnistTest: Dataset? = {
        guard let mirror = sharedDatasetsDirectory() else { return nil }
        var options = FetchOptions(mirror: mirror, cacheDirectory: nil, verify: false)
        options.useSystemDirectories = false
        options.allowDownload = false
        return try? DatasetLoader.load("mnist", split: .test, options: options)
    }()

    /// `perClass` images of each of `classes` (relabelled 0..<K), starting at position `offset` within each
    /// class, so train and held-out subsets never share an image.
    static func subset(classes: [Int] = [0, 1, 7], perClass: Int, offset: Int = 0) throws -> Dataset {
        let full = try #require(mnistTest, "real MNIST not found ($DD_DATA or ../shared/datasets)")
        let selected = try full.subset(classes: classes)
        let indices = selected.indicesByClass().flatMap { $0[offset..<(offset + perClass)] }
        return try selected.subset(indices: indices).withContentDigest()
    }

    /// A tiny, fast configuration of `method` (narrow shallow ConvNet, small real batches).
    static func config(_ method: DistillMethodName, ipc: Int = 1, iterations: Int, seed: UInt64 = 1) -> DistillConfig {
        var config = DistillConfig.defaults(for: method, ipc: ipc, dataset: "mnist", seed: seed)
        config.iterations = iterations
        config.network = "convnet-d2-w4"
        config.batchReal = 16
        return config
    }
}

extension Dataset {
    /// The images as a Float32 tensor array in the normalised space.
    var normalizedArray: NDArray {
        NDArray(shape: [count, geometry.channels, geometry.height, geometry.width], scalars: normalizedImages())
    }
}

/// The synthetic stream of a whole run of `config` on `dataset`.
func distilledBytes(_ config: DistillConfig, _ dataset: Dataset) throws -> [UInt8] {
    let distiller = try Distiller(config: config, dataset: dataset)
    let stop = try distiller.run(DistillRunOptions())
    let sink = MemorySink()
    try distiller.writeSynthetic(to: sink, stop: stop)
    return sink.bytes
}

/// The objective of `images` on fixed draws: three steps of the run's method with probe generators (seeds
/// 100…102) and a learning rate too small to move anything, summed; lower means better matched.
func probeLoss(_ distiller: Distiller, images: NDArray) throws -> Double {
    var total = 0.0
    for seed in 0..<3 as Range<UInt64> {
        var method = try makeMethod(distiller.config, pool: distiller.pool, network: distiller.network)
        var state = DistillState(images: images, optimizer: SGD(learningRate: 1e-12), rng: RandomGenerator(seed: 100 + seed))
        total += try method.step(&state)
    }
    return total
}

/// Records of a stream by name (raw bytes) and its begin metadata.
func streamRecords(_ bytes: [UInt8]) throws -> (metadata: JSONValue, records: [String: [UInt8]]) {
    let reader = StreamReader(bytes: bytes)
    let header = try reader.readStreamHeader()
    var records: [String: [UInt8]] = [:]
    while let record = try reader.next() { records[record.name] = record.bytes }
    return (header.metadata, records)
}
