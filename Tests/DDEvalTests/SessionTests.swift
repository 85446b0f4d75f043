import DDData
import DDFormat
import DDNN
import DDTrain
import Foundation
import Testing
@testable import DDEval

/// 3 classes of 1×8×8 u8 images whose brightness encodes the class, so a tiny net learns something.
func toyDataset(perClass: [Int] = [4, 4, 4], side: Int = 8, classes: Int? = nil, seed: UInt64 = 1, name: String = "toy") -> Dataset {
    var generator = SplitMix64(seed: seed)
    var labels: [Int32] = [], pixels: [UInt8] = []
    for (c, n) in perClass.enumerated() {
        for _ in 0..<n {
            labels.append(Int32(c))
            for _ in 0..<(side * side) { pixels.append(UInt8(min(255, 60 * c + generator.next(below: 60)))) }
        }
    }
    let k = classes ?? perClass.count
    return Dataset(name: name, images: .u8(pixels), geometry: ImageGeometry(channels: 1, height: side, width: side),
                   labels: labels, classNames: (0..<k).map { "c\($0)" }, mean: [0.4], std: [0.3],
                   provenance: ["dataset": name]).withContentDigest()
}

@Suite struct SessionTests {
    @Test func sessionWritesParseableLinesWhoseSummaryIsThePopulationStatistics() throws {
        let train = toyDataset(), test = toyDataset(perClass: [3, 3, 3], seed: 9)
        let recipe = TrainingRecipe(batchSize: 6, epochs: 2)
        let configuration = EvalConfiguration(architectures: [NetworkSpec(.convnet, depth: 1, width: 4), NetworkSpec(.mlp)],
                                              networks: 3, baseSeed: 11, recipe: recipe)
        let context = EvalReportContext(train: train, test: test, configuration: configuration, softLabels: false, threads: 1)
        var lines: [String] = []
        var epochsSeen = 0
        let summaries = try EvalSession.run(train: train, test: test, hardLabels: false, configuration: configuration,
                                            progress: { _ in epochsSeen += 1 },
                                            networkFinished: { lines.append(EvalReport.networkLine($0, context: context)) })
        #expect(summaries.count == 2)
        #expect(lines.count == 6)
        #expect(epochsSeen == 6 * 3)          // epochs 0, 1, 2 of six networks
        let parsed = try lines.map { try JSONValue.parse($0) }
        let convnet = parsed.filter { $0["architecture"]?.stringValue == "convnet-d1-w4" }
        let accuracies = convnet.compactMap { $0["accuracy"]?.doubleValue }
        #expect(accuracies.count == 3 && accuracies.allSatisfy { (0...1).contains($0) })
        #expect(Set(convnet.compactMap { $0["seed"]?.stringValue }).count == 3)
        #expect(convnet.first?["recipe"]?["batchSize"]?.doubleValue == 6)
        #expect(convnet.first?["test"]?["digest"]?.stringValue == test.contentDigest)

        let summary = try JSONValue.parse(EvalReport.summaryLine(summaries[0], ranking: nil, context: context))
        let mean = accuracies.reduce(0, +) / 3
        let std = (accuracies.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(abs((summary["accuracy"]?["mean"]?.doubleValue ?? -1) - mean) < 1e-12)
        #expect(abs((summary["accuracy"]?["std"]?.doubleValue ?? -1) - std) < 1e-12)
        #expect(summary["type"]?.stringValue == "summary")
        let table = EvalReport.table(summaries, rankings: [:], context: context, totalSeconds: 1)
        #expect(table.contains("convnet-d1-w4") && table.contains("mlp") && table.contains("population std"))
    }

    @Test func randomBaselineGivesIORAgainstTheSameRecipe() throws {
        let train = toyDataset(perClass: [2, 2, 2]), source = toyDataset(perClass: [6, 6, 6], seed: 5)
        var configuration = EvalConfiguration(architectures: [NetworkSpec(.mlp)], networks: 2, baseSeed: 3,
                                              recipe: TrainingRecipe(batchSize: 6, epochs: 1))
        configuration.randomBaselineSource = source
        let summaries = try EvalSession.run(train: train, test: source, hardLabels: false, configuration: configuration)
        #expect(summaries.map(\.subject) == [.train, .randomBaseline])
        let scores = try #require(RankingScores.from(summaries, fullData: 0.99)["mlp"])
        #expect(abs(scores.ior - (summaries[0].accuracy.mean - summaries[1].accuracy.mean)) < 1e-12)
        #expect(abs(scores.hlr! - (0.99 - summaries[0].accuracy.mean)) < 1e-12)
        // The paired networks share seeds.
        #expect(summaries[0].seeds == summaries[1].seeds)
    }
}
