import DDData
import DDNN
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

@Suite struct CoresetRealMNISTTests {
    /// 60 real MNIST test images of each of classes 0, 1 and 7.
    func smallMNIST() throws -> Dataset {
        let mirror = try #require(sharedDatasetsDirectory(), "real MNIST not found ($DD_DATA or ../shared/datasets)")
        var options = FetchOptions(mirror: mirror, cacheDirectory: nil, verify: false)
        options.useSystemDirectories = false
        options.allowDownload = false
        let test = try DatasetLoader.load("mnist", split: .test, options: options)
        return try test.subset(classes: [0, 1, 7]).firstPerClass(60)
    }

    @Test func herdingMeanIsCloserToTheClassMeanThanRandom() throws {
        let dataset = try smallMNIST()
        var options = CoresetOptions()
        options.network = try NetworkSpec(parsing: "convnet-d2-w16")
        options.featureEpochs = 0
        let seed: UInt64 = 1
        let herding = try selectCoreset(.herding, from: dataset, ipc: 10, options: options, seed: seed)
        // The same features the selection used: a random-init network with the selection's seed.
        let features = try FullDataNetwork(spec: options.network, dataset: dataset, seed: seed)
            .embedAll(batchSize: 64, progress: nil)
        func gap(_ picks: [Int], _ population: [Int]) -> Double {
            squaredDistance(features.rows(picks).mean(), features.rows(population).mean())
        }
        let randoms = try (0..<5).map { try selectCoreset(.random, from: dataset, ipc: 10, seed: UInt64(100 + $0)) }
        for (cls, population) in dataset.indicesByClass().enumerated() {
            let herdingGap = gap(herding.selected[cls], population)
            for random in randoms {
                #expect(herdingGap < gap(random.selected[cls], population), "class \(cls)")
            }
        }
        // Also in pixel space, which the selection never saw: the herded mean is the closer one on average.
        let pixels = CoresetFeatureMatrix(rows: dataset.count, dimension: 784, values: dataset.unnormalizedImages())
        func pixelGap(_ picks: [Int], _ population: [Int]) -> Double {
            squaredDistance(pixels.rows(picks).mean(), pixels.rows(population).mean())
        }
        let classes = dataset.indicesByClass()
        let herdingPixel = classes.indices.map { pixelGap(herding.selected[$0], classes[$0]) }.reduce(0, +)
        let randomPixel = randoms.map { r in classes.indices.map { pixelGap(r.selected[$0], classes[$0]) }.reduce(0, +) }
            .reduce(0, +) / Double(randoms.count)
        #expect(herdingPixel < randomPixel)
    }
}
