import DDData
import DDNN
import Foundation
import Testing
@testable import DDMethods

/// A small u8 dataset: `perClass[k]` 8×8 images of class k, interleaved by class, pixels seeded.
func syntheticDataset(perClass: [Int], side: Int = 8, seed: UInt64 = 7) -> Dataset {
    var generator = SplitMix64(seed: seed)
    var labels: [Int32] = []
    var remaining = perClass
    while remaining.contains(where: { $0 > 0 }) {
        for k in remaining.indices where remaining[k] > 0 { labels.append(Int32(k)); remaining[k] -= 1 }
    }
    // Class k is brighter in row band k, so classes are separable and images differ within a class.
    var pixels: [UInt8] = []
    for label in labels {
        for y in 0..<side {
            for _ in 0..<side {
                let base = (y % perClass.count) == Int(label) ? 160 : 20
                pixels.append(UInt8(base + generator.next(below: 80)))
            }
        }
    }
    return Dataset(name: "synthetic", images: .u8(pixels), geometry: ImageGeometry(channels: 1, height: side, width: side),
                   labels: labels, classNames: perClass.indices.map { "c\($0)" }, mean: [0.3], std: [0.3])
}

/// A cheap network for selection tests in the debug build.
func tinyOptions() throws -> CoresetOptions {
    var options = CoresetOptions()
    options.network = try NetworkSpec(parsing: "convnet-d1-w8")
    options.featureEpochs = 0
    options.forgettingEpochs = 3
    options.training.batchSize = 16
    return options
}

@Suite struct CoresetSelectionTests {
    @Test func randomIsDeterministicPerSeedWithinClassAndMatchesPerClassSampling() throws {
        let dataset = syntheticDataset(perClass: [12, 9, 15])
        let a = try selectCoreset(.random, from: dataset, ipc: 4, seed: 3)
        let b = try selectCoreset(.random, from: dataset, ipc: 4, seed: 3)
        let c = try selectCoreset(.random, from: dataset, ipc: 4, seed: 4)
        #expect(a == b)
        #expect(a.selected != c.selected)
        for (cls, picks) in a.selected.enumerated() {
            #expect(picks.count == 4 && Set(picks).count == 4)
            #expect(picks.allSatisfy { dataset.labels[$0] == Int32(cls) })
        }
        // The same draw as dd-fetch --per-class --seed (Dataset.randomPerClass).
        let fetched = try dataset.randomPerClass(4, seed: 3)
        #expect(try dataset.coresetSubset(a).images == fetched.images)
    }

    @Test func randomIsUniformWithoutReplacement() throws {
        // 10 images in one class, 3 picked per draw: each image should appear in 30% of 2000 draws.
        let dataset = syntheticDataset(perClass: [10])
        var hits = [Int](repeating: 0, count: 10)
        let draws = 2000
        for seed in 0..<UInt64(draws) {
            let picks = try selectCoreset(.random, from: dataset, ipc: 3, seed: seed).selected[0]
            #expect(Set(picks).count == 3)
            for index in picks { hits[index] += 1 }
        }
        // Binomial(2000, 0.3): std ≈ 20.5, so ±5 std is 600 ± 103.
        #expect(hits.allSatisfy { abs($0 - 600) < 103 }, "hits \(hits)")
    }

    @Test func ipcLargerThanAClassNamesTheClass() throws {
        let dataset = syntheticDataset(perClass: [12, 3, 15])
        for method in CoresetMethod.allCases {
            #expect {
                try selectCoreset(method, from: dataset, ipc: 4, seed: 0)
            } throws: { error in
                let text = "\(error)"
                return text.contains("class 1 (c1)") && text.contains("3 images") && text.contains("4")
            }
        }
    }

    @Test func emptyClassAndBadArgumentsAreErrors() throws {
        var dataset = syntheticDataset(perClass: [5, 5])
        dataset.classNames.append("empty")
        #expect { try selectCoreset(.random, from: dataset, ipc: 1, seed: 0) } throws: { "\($0)".contains("class 2 (empty)") && "\($0)".contains("no images") }
        #expect(throws: DataError.self) { try selectCoreset(.random, from: syntheticDataset(perClass: [5]), ipc: 0, seed: 0) }
        var options = try tinyOptions()
        options.forgettingEpochs = 0
        #expect(throws: DataError.self) { try selectCoreset(.forgetting, from: syntheticDataset(perClass: [5]), ipc: 1, options: options, seed: 0) }
        #expect { try CoresetMethod(parsing: "kmeans") } throws: { "\($0)".contains("random, herding, kcenter, forgetting") }
        #expect(try CoresetMethod(parsing: "K-Center") == .kcenter)
    }

    @Test func subsetKeepsLabelsClassesImagesAndRecordsTheSelection() throws {
        var dataset = syntheticDataset(perClass: [6, 7, 8])
        dataset.groups = dataset.labels.indices.map { Int32($0 % 2) }
        let selection = try selectCoreset(.random, from: dataset, ipc: 2, seed: 9)
        let subset = try dataset.coresetSubset(selection)
        #expect(subset.count == 6)
        #expect(subset.labels == [0, 0, 1, 1, 2, 2])
        #expect(subset.classNames == dataset.classNames && subset.mean == dataset.mean && subset.std == dataset.std)
        #expect(subset.groups == selection.allIndices.map { Int32($0 % 2) })
        guard case .u8(let source) = dataset.images, case .u8(let kept) = subset.images else {
            Issue.record("expected u8 images kept as u8"); return
        }
        for (row, index) in selection.allIndices.enumerated() {
            #expect(Array(kept[(row * 64)..<((row + 1) * 64)]) == Array(source[(index * 64)..<((index + 1) * 64)]))
        }
        try subset.validate()
        #expect(subset.contentDigest == subset.computeContentDigest())
        #expect(subset.provenance["coreset.method"] == "random")
        #expect(subset.provenance["coreset.seed"] == "9" && subset.provenance["coreset.ipc"] == "2")
        #expect(subset.provenance["coreset.indices"] == selection.selected.map { $0.map(String.init).joined(separator: ",") }.joined(separator: ";"))
        #expect(subset.provenance["coreset.source_digest"] == dataset.computeContentDigest())
        let normalized = try dataset.coresetSubset(selection, normalized: true)
        guard case .normalized(let values) = normalized.images else { Issue.record("expected f32"); return }
        #expect(abs(values[0] - (Float(kept[0]) / 255 - 0.3) / 0.3) < 1e-6)
    }

    @Test func featureMethodsAreDeterministicAndSelectWithinClass() throws {
        let dataset = syntheticDataset(perClass: [10, 10])
        var options = try tinyOptions()
        options.featureEpochs = 1
        for method in [CoresetMethod.herding, .kcenter] {
            let a = try selectCoreset(method, from: dataset, ipc: 3, options: options, seed: 5)
            let b = try selectCoreset(method, from: dataset, ipc: 3, options: options, seed: 5)
            #expect(a == b)
            for (cls, picks) in a.selected.enumerated() {
                #expect(Set(picks).count == 3 && picks.allSatisfy { dataset.labels[$0] == Int32(cls) })
            }
            #expect(a.featureExtractor?.contains("convnet-d1-w8") == true)
            #expect(a.featureExtractor?.contains("trained 1 epoch") == true)
        }
        // One feature pass reused for several selections gives what each would compute alone.
        let features = try computeCoresetFeatures(dataset, options: options, seed: 5)
        #expect(try selectCoreset(.herding, from: dataset, ipc: 3, options: options, seed: 5, features: features)
                == selectCoreset(.herding, from: dataset, ipc: 3, options: options, seed: 5))
        let other = try computeCoresetFeatures(syntheticDataset(perClass: [4, 4]), options: options, seed: 5)
        #expect(throws: DataError.self) { try selectCoreset(.kcenter, from: dataset, ipc: 3, options: options, seed: 5, features: other) }
    }

    @Test func forgettingRanksPicksByTheirCountsAndIsDeterministic() throws {
        let dataset = syntheticDataset(perClass: [12, 12])
        let options = try tinyOptions()
        let a = try selectCoreset(.forgetting, from: dataset, ipc: 5, options: options, seed: 2)
        let b = try selectCoreset(.forgetting, from: dataset, ipc: 5, options: options, seed: 2)
        #expect(a == b)
        let run = try runForgetting(dataset, options: options, seed: 2)
        #expect(try selectCoreset(.forgetting, from: dataset, ipc: 5, options: options, seed: 2, forgetting: run) == a)
        #expect(run.counter.presentations == [Int](repeating: 3, count: 24))
        let counts = try #require(a.details["forgetting_counts"]).split(separator: ";").map { group in
            group.split(separator: ",").map { $0 == "inf" ? Double.infinity : Double($0)! }
        }
        #expect(counts.count == 2 && counts.allSatisfy { $0.count == 5 })
        // Most forgotten first: the recorded counts of the picks never increase along the ranking.
        for group in counts { #expect(zip(group, group.dropFirst()).allSatisfy { $0 >= $1 }, "\(group)") }
        var least = options
        least.forgettingOrder = .leastForgotten
        let c = try selectCoreset(.forgetting, from: dataset, ipc: 5, options: least, seed: 2)
        let leastCounts = try #require(c.details["forgetting_counts"]).split(separator: ";").map { group in
            group.split(separator: ",").map { $0 == "inf" ? Double.infinity : Double($0)! }
        }
        for group in leastCounts { #expect(zip(group, group.dropFirst()).allSatisfy { $0 <= $1 }, "\(group)") }
    }
}
