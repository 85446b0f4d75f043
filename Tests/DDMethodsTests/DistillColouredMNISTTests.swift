import DDData
import DDFormat
import Foundation
import Testing
@testable import DDMethods

/// The debiasing effect on a small Colored-MNIST (10 digits, LfF colours, 95 % of each class in its own
/// colour, the rest spread over the other nine): DM from noise, plain versus `--match-by group`. Plain DM's
/// synthetic images take the class colour; group matching gives each class every colour.
/// DD_CMNIST_PER_CLASS / _ITERATIONS / _NET / _INIT scale it up for the docs' measurement; DD_CMNIST_SAVE=DIR
/// writes both synthetic sets there.
@Suite struct DistillColouredMNISTTests {
    struct Measurement {
        /// Fraction of synthetic images whose colour is nearest their class's bias colour.
        var classColourFraction: Double
        /// Mean over classes of the number of distinct nearest colours among the class's images.
        var coloursPerClass: Double
    }

    func measure(_ distiller: Distiller) -> Measurement {
        let output = distiller.syntheticDataset()
        let values = output.normalizedImages()
        let area = output.geometry.height * output.geometry.width
        let nearest = (0..<output.count).map {
            ColoredDigits.nearestColour(values[($0 * 3 * area)..<(($0 + 1) * 3 * area)], area: area)
        }
        let aligned = zip(nearest, output.labels).filter { $0 == Int($1) }.count
        let perClass = (0..<output.classCount).map { c in
            Set(zip(nearest, output.labels).filter { Int($1) == c }.map(\.0)).count
        }
        return Measurement(classColourFraction: Double(aligned) / Double(output.count),
                           coloursPerClass: Double(perClass.reduce(0, +)) / Double(perClass.count))
    }

    @Test func groupMatchingKeepsEveryColourWherePlainDMTakesTheClassColour() throws {
        let environment = ProcessInfo.processInfo.environment
        let perClass = environment["DD_CMNIST_PER_CLASS"].flatMap(Int.init) ?? 180
        let iterations = environment["DD_CMNIST_ITERATIONS"].flatMap(Int.init) ?? 2
        let dataset = try ColoredDigits.make(classes: Array(0..<10), perClass: perClass, conflicting: perClass / 20)
        var results: [MatchBy: Measurement] = [:]
        for matchBy in [MatchBy.class, .group] {
            var config = DistillTestData.config(.dm, ipc: 10, iterations: iterations)
            config.network = environment["DD_CMNIST_NET"] ?? "convnet-d2-w4"
            config.batchReal = 32
            config.initialization = environment["DD_CMNIST_INIT"].flatMap(SyntheticInit.init(rawValue:)) ?? .real
            config.matchBy = matchBy
            let distiller = try Distiller(config: config, dataset: dataset)
            let start = Date()
            _ = try distiller.run(DistillRunOptions())
            results[matchBy] = measure(distiller)
            if let directory = environment["DD_CMNIST_SAVE"] {
                let sink = MemorySink()
                try distiller.writeSynthetic(to: sink, stop: .completed)
                try Data(sink.bytes).write(to: URL(fileURLWithPath: "\(directory)/cmnist-dm-\(matchBy.rawValue).ddt"))
            }
            print("cmnist \(perClass)/class, DM IPC 10 from \(config.initialization.rawValue), \(iterations) iterations, \(config.network), "
                  + "match-by \(matchBy.rawValue): class-colour fraction \(results[matchBy]!.classColourFraction), "
                  + "colours per class \(results[matchBy]!.coloursPerClass), \(Date().timeIntervalSince(start)) s")
        }
        let plain = try #require(results[.class]), group = try #require(results[.group])
        #expect(plain.classColourFraction >= 0.7, "plain DM: \(plain)")
        #expect(group.classColourFraction <= 0.4, "group DM: \(group)")
        #expect(group.coloursPerClass >= 6, "group DM: \(group)")
    }
}

/// KDE reweighting without group labels on the same Colored-MNIST: the bias-conflicting digits (a few per
/// colour) get larger weights than the aligned majority.
@Suite struct KDEColouredMNISTTests {
    @Test func conflictingDigitsWeighMore() throws {
        let dataset = try ColoredDigits.make(classes: Array(0..<10), perClass: 180, conflicting: 9)
        let (weights, summary) = try KDEReweighting.weights(dataset, network: "convnet-d2-w4", seed: 1)
        let conflicting = dataset.labels.indices.filter { dataset.biasLabels![$0] != dataset.labels[$0] }
        let aligned = dataset.labels.indices.filter { dataset.biasLabels![$0] == dataset.labels[$0] }
        let meanConflicting = conflicting.map { weights[$0] }.reduce(0, +) / Double(conflicting.count)
        let meanAligned = aligned.map { weights[$0] }.reduce(0, +) / Double(aligned.count)
        print("KDE on cmnist 180/class: mean weight conflicting \(meanConflicting), aligned \(meanAligned), "
              + "share of weight on the 5 % conflicting \(meanConflicting * Double(conflicting.count) / 10)")
        #expect(summary.bandwidths.count == 10)
        #expect(meanConflicting > 2 * meanAligned)
    }
}
