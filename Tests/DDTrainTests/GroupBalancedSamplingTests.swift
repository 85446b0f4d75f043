import DDAutograd
import DDTensor
import Foundation
import Testing
@testable import DDTrain

/// `--balance groups`: the draws of an epoch come evenly from the (class, group) cells, whatever their sizes.
@Suite struct GroupBalancedSamplingTests {
    @Test func cellsAreClassGroupPairsInOrderOfFirstAppearance() throws {
        let data = try toyData(count: 6, classes: 2)   // labels 0 1 0 1 0 1
        let grouped = try TrainingData(images: data.images, labels: data.labels, classCount: 2, groups: [5, 5, 6, 5, 5, 5])
        #expect(try Trainer.groupCells(grouped) == [[0, 4], [1, 3, 5], [2]])
    }

    /// Cells of 1, 9 and 90 samples: each gets a third of the draws (not 1 %, 9 %, 90 %), and within a cell
    /// every member is drawn about equally often.
    @Test func drawsVisitEveryCellEquallyOften() {
        let cells = [[0], Array(1..<10), Array(10..<100)]
        var rng = RandomGenerator(seed: 3)
        let draws = Trainer.balancedDraws(cells, count: 30_000, rng: &rng)
        var perSample = [Int](repeating: 0, count: 100)
        for i in draws { perSample[i] += 1 }
        let perCell = cells.map { $0.reduce(0) { $0 + perSample[$1] } }
        for n in perCell { #expect(abs(n - 10_000) < 400, "cell counts \(perCell)") }
        for i in 1..<10 { #expect(abs(perSample[i] - 1111) < 150, "sample \(i): \(perSample[i])") }
        var again = RandomGenerator(seed: 3)
        #expect(Trainer.balancedDraws(cells, count: 30_000, rng: &again) == draws)
    }

    @Test func trainingWithBalancedSamplingNeedsGroupLabels() throws {
        let recipe = TrainingRecipe(batchSize: 8, epochs: 1, sampling: .groupBalanced)
        do {
            _ = try Trainer.train(spec: tinySpec, recipe: recipe, data: try toyData(), seed: 0)
            Issue.record("trained without group labels")
        } catch let error as TrainingError {
            guard case .invalidData(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("group labels"))
        }
    }

    /// The same seed gives the same network; the sampling changes what is trained (one group of 2 samples
    /// beside one of 22 per class is drawn about as often as the large one).
    @Test func balancedTrainingIsDeterministicAndNotTheUniformRun() throws {
        let data = try toyData(count: 24, classes: 2)
        let groups = (0..<24).map { $0 < 4 ? 1 : 0 }
        let grouped = try TrainingData(images: data.images, labels: data.labels, classCount: 2, groups: groups)
        let balanced = TrainingRecipe(batchSize: 8, epochs: 2, sampling: .groupBalanced)
        let a = try Trainer.train(spec: tinySpec, recipe: balanced, data: grouped, seed: 1)
        let b = try Trainer.train(spec: tinySpec, recipe: balanced, data: grouped, seed: 1)
        let uniform = try Trainer.train(spec: tinySpec, recipe: TrainingRecipe(batchSize: 8, epochs: 2), data: grouped, seed: 1)
        #expect(bytes(a.flatParameters) == bytes(b.flatParameters))
        #expect(bytes(a.flatParameters) != bytes(uniform.flatParameters))
    }

    /// A recipe without sampling keeps the canonical JSON it had before the field existed (so every expert
    /// cache key stays valid); with it, the JSON names it and decodes back.
    @Test func samplingEntersTheCanonicalJSONOnlyWhenSet() throws {
        let plain = TrainingRecipe.expertProtocol(epochs: 3, augmentation: .none)
        #expect(!plain.canonicalJSON.contains("sampling"))
        var balanced = plain
        balanced.sampling = .groupBalanced
        #expect(balanced.canonicalJSON.contains("\"sampling\":\"group-balanced\""))
        #expect(try JSONDecoder().decode(TrainingRecipe.self, from: Data(balanced.canonicalJSON.utf8)) == balanced)
        #expect(try JSONDecoder().decode(TrainingRecipe.self, from: Data(plain.canonicalJSON.utf8)) == plain)
        #expect(balanced.summary.hasSuffix("group-balanced sampling"))
    }
}
