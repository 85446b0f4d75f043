import DDData
import DDFormat
import DDTensor
import Foundation
import Testing
@testable import DDMethods

/// Whole runs with group matching and KDE reweighting: determinism, resume, checkpoint identity, and the
/// debiasing effect on a small Colored-MNIST.
@Suite struct DistillGroupRunTests {
    func config(_ method: DistillMethodName, ipc: Int, iterations: Int, matchBy: MatchBy = .group,
                loss: GroupLoss = .partition) -> DistillConfig {
        var config = DistillTestData.config(method, ipc: ipc, iterations: iterations)
        config.matchBy = matchBy
        config.groupLoss = matchBy == .group ? loss : .partition
        config.outerLoop = 2
        config.innerLoop = 1
        return config
    }

    /// Same seed ⇒ same tensor records (images, labels, groups, bias labels) for group DM and KDE DM.
    @Test func sameSeedSameBytes() throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 12, conflicting: 3, otherColours: 2)
        var kde = config(.dm, ipc: 3, iterations: 2, matchBy: .class)
        kde.reweight = .kde
        for settings in [config(.dm, ipc: 3, iterations: 2), kde] {
            let first = try streamRecords(try distilledBytes(settings, dataset))
            let second = try streamRecords(try distilledBytes(settings, dataset))
            #expect(first.records == second.records)
            var other = settings
            other.seed = 9
            #expect(try streamRecords(try distilledBytes(other, dataset)).records["images"] != first.records["images"])
            if settings.reweight == .kde {
                #expect(Set(first.records.keys) == ["images", "labels"])
                let summary = first.metadata["kde"]
                #expect(summary?["bandwidths"]?.arrayValue?.count == 3)
                #expect(summary?["max_over_min_weight"]?.arrayValue?.allSatisfy { ($0.doubleValue ?? 0) >= 1 } == true)
                #expect(first.metadata["method"]?["reweight"]?.stringValue == "kde")
            } else {
                #expect(Set(first.records.keys) == ["images", "labels", "groups", "bias_labels"])
            }
        }
    }

    /// Stopped after 2 iterations and resumed from the checkpoint = 4 uninterrupted iterations, for the
    /// FairDD sum with DSA (shared Siamese draws, inner-loop augmentation) and for partitioned DM.
    @Test(arguments: [(DistillMethodName.dsa, GroupLoss.sum), (.dm, .partition)])
    func resumeEqualsAnUninterruptedRun(_ method: DistillMethodName, _ loss: GroupLoss) throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 10, conflicting: 3, otherColours: 2)
        let settings = config(method, ipc: 3, iterations: 4, loss: loss)
        let straight = try Distiller(config: settings, dataset: dataset)
        _ = try straight.run(DistillRunOptions())
        let interrupted = try Distiller(config: settings, dataset: dataset)
        var calls = 0
        #expect(try interrupted.run(DistillRunOptions(shouldStop: { calls += 1; return calls > 2 })) == .interrupted)
        let sink = MemorySink()
        try interrupted.checkpoint.write(to: sink)
        let saved = try DistillCheckpoint.read(from: StreamReader(bytes: sink.bytes))
        let resumed = try Distiller(config: settings, dataset: dataset)
        try resumed.resume(from: saved)
        _ = try resumed.run(DistillRunOptions())
        #expect(resumed.state.images.scalars == straight.state.images.scalars)
        #expect(resumed.state.losses == straight.state.losses && resumed.state.rng == straight.state.rng)
    }

    /// A checkpoint remembers the matching mode: resuming with another one is refused, naming the key.
    @Test func checkpointRefusesAnotherMatchingMode() throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 10, conflicting: 3, otherColours: 2)
        let run = try Distiller(config: config(.dm, ipc: 3, iterations: 1), dataset: dataset)
        _ = try run.run(DistillRunOptions())
        let sink = MemorySink()
        try run.checkpoint.write(to: sink)
        let saved = try DistillCheckpoint.read(from: StreamReader(bytes: sink.bytes))
        for (other, key) in [(config(.dm, ipc: 3, iterations: 2, loss: .sum), "group_loss"),
                             (config(.dm, ipc: 3, iterations: 2, matchBy: .class), "match_by")] {
            do {
                try Distiller(config: other, dataset: dataset).resume(from: saved)
                Issue.record("resumed a \(key) change")
            } catch let error as DistillError {
                #expect(error.kind == .badData && error.message.contains(key), "\(error.message)")
            }
        }
        try Distiller(config: config(.dm, ipc: 3, iterations: 2), dataset: dataset).resume(from: saved)
    }
}
