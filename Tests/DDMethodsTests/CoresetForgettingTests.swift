import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

@Suite struct CoresetForgettingTests {
    /// Hand-made correctness sequences, one per sample, replayed interleaved as training would present them.
    static let sequences: [[Bool]] = [
        [true, false, true, false],          // learned, forgotten, relearned, forgotten: 2 events
        [false, false, true],                // an initial mistake is not an event: 0
        [false, false, false],               // never learned: infinitely forgotten
        [true, true, true],                  // never forgotten: 0
        [false, true, false, true, false],   // 2 events
        [true, false, false, false],         // 1 event, however long it stays wrong
    ]

    func replay() -> ForgettingCounter {
        var counter = ForgettingCounter(samples: Self.sequences.count)
        let longest = Self.sequences.map(\.count).max()!
        for step in 0..<longest {
            for (sample, sequence) in Self.sequences.enumerated() where step < sequence.count {
                counter.record(sample: sample, correct: sequence[step])
            }
        }
        return counter
    }

    @Test func countsCorrectToIncorrectTransitions() {
        let counter = replay()
        #expect((0..<6).map { counter.count($0) } == [2, 0, nil, 0, 2, 1])
        #expect(counter.score(2) == .infinity)
        #expect(counter.score(5) == 1)
        #expect(counter.presentations == Self.sequences.map(\.count))
        let summary = counter.summary
        #expect(summary.neverLearned == 1 && summary.unforgettable == 2 && summary.maxEvents == 2)
    }

    @Test func ranksByCountWithNeverLearnedAtTheForgottenEnd() {
        let counter = replay()
        let candidates = Array(0..<6)
        let identity = Array(0..<6)
        // Scores: [2, 0, ∞, 0, 2, 1]; ties (0 and 4, 1 and 3) follow the tie order.
        #expect(counter.rank(candidates, order: .mostForgotten, tieOrder: identity) == [2, 0, 4, 5, 1, 3])
        #expect(counter.rank(candidates, order: .leastForgotten, tieOrder: identity) == [1, 3, 5, 0, 4, 2])
        #expect(counter.rank(candidates, order: .mostForgottenLearned, tieOrder: identity) == [0, 4, 5, 1, 3, 2])
        let reversed = Array((0..<6).reversed())
        #expect(counter.rank(candidates, order: .mostForgotten, tieOrder: reversed) == [2, 4, 0, 5, 3, 1])
    }

    @Test func ranksASubsetOfSamplesByTheirOwnCounts() {
        let counter = replay()
        // Candidates are dataset indices; the tie order is over positions in the candidate list.
        #expect(counter.rank([3, 5, 2], order: .mostForgotten, tieOrder: [0, 1, 2]) == [2, 5, 3])
        #expect(counter.rank([3, 5, 2], order: .leastForgotten, tieOrder: [2, 1, 0]) == [3, 5, 2])
        #expect(counter.rank([3, 5, 2], order: .mostForgottenLearned, tieOrder: [0, 1, 2]) == [5, 3, 2])
    }

    /// The built tool: `--forgetting-order` reaches the selection and its metadata; an unknown order is a usage error.
    @Test func theToolTakesTheOrderAndRefusesAnUnknownOne() throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sink = MemorySink()
        try DistillTestData.subset(perClass: 8).write(to: sink)
        let input = directory + "/in.ddt"
        try Data(sink.bytes).write(to: URL(fileURLWithPath: input))
        let common = [input, "--method", "forgetting", "--ipc", "2", "--net", "convnet-d2-w4", "--forgetting-epochs", "2"]
        let run = try ToolRunner.runTool("dd-distill", common + ["--forgetting-order", "most-learned", "-o", directory + "/f.ddt"])
        #expect(run.status == 0, "\(run.stderr)")
        let set = try Dataset.read(from: StreamReader(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/f.ddt")))))
        #expect(set.provenance["coreset.forgetting_order"]?.hasPrefix(ForgettingOrder.mostForgottenLearned.summary) == true,
                "\(set.provenance)")
        let bad = try ToolRunner.runTool("dd-distill", common + ["--forgetting-order", "sideways", "-o", directory + "/bad.ddt"])
        #expect(bad.status == 64 && bad.stderr.contains("one of 'most', 'most-learned' or 'least'"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/bad.ddt"))
    }
}
