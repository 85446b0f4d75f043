import DDData
import DDFormat
import DDNN
import DDTestSupport
import Foundation
import Testing
@testable import DDExpert

@Suite struct CacheTests {
    func builder(_ root: String, _ c: ExpertConfiguration) -> (ExpertCacheBuilder, FormulaTrainer) {
        let b = ExpertCacheBuilder(root: root, configuration: c)
        b.writerOptions = WriterOptions(level: 0)
        return (b, FormulaTrainer(parameterCount: c.parameterCount))
    }

    @Test func makesVerifyingExpertsThenSkipsThem() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration(epochs: 3)
        let (b, trainer) = builder(root, c)
        let first = try b.run(experts: [0, 1, 2], trainer: trainer)
        #expect(first.made == [0, 1, 2])
        for k in 0..<3 {
            guard case .valid(let d) = b.status(expert: k) else { Issue.record("expert \(k) does not verify"); continue }
            #expect(d.map(\.epoch) == [0, 1, 2, 3])
            #expect(d[0].distanceSquared == nil)
            // θ_e − θ_{e−1} = 1 in each of the P entries of the formula trainer.
            #expect(d[2].distanceSquared == Double(c.parameterCount))
        }
        let before = try readBytes(b.path(expert: 1))
        let again = try b.run(experts: [0, 1, 2], trainer: FormulaTrainer(parameterCount: c.parameterCount, stopAfter: 0))
        #expect(again.made.isEmpty && again.skipped == [0, 1, 2])
        #expect(try readBytes(b.path(expert: 1)) == before)
        #expect(b.missing([0, 1, 2, 3, 4]) == [3, 4])
        // No temp files left behind; one manifest, index, file and sidecar per expert.
        #expect(directoryListing(b.directory).filter { !$0.hasPrefix(".lock") }.allSatisfy { !$0.hasPrefix(".") })
        let index = try JSONValue.parse(readBytes(b.directory + "/experts.json"))
        #expect(index["count"]?.intValue == 3)
        #expect(index["test_accuracy_by_epoch"]?["00002"]?.arrayValue?.compactMap(\.doubleValue) == [0, 0.1, 0.2, 0.30000000000000004])
    }

    @Test func corruptFileIsMovedAsideAndRemade() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration()
        let (b, trainer) = builder(root, c)
        try b.run(experts: [0, 1], trainer: trainer)
        let good = try readBytes(b.path(expert: 0))
        var bad = good
        bad[bad.count / 2] ^= 0x40
        try writeBytes(b.path(expert: 0), bad)
        try writeBytes(b.path(expert: 1), Array(good.prefix(good.count - 30)))   // truncated
        guard case .corrupt(let reason) = b.status(expert: 0) else { Issue.record("flipped bit not detected"); return }
        #expect(reason.contains("CRC"))
        guard case .corrupt = b.status(expert: 1) else { Issue.record("truncation not detected"); return }
        let summary = try b.run(experts: [0, 1], trainer: trainer)
        #expect(summary.recomputedCorrupt == [0, 1] && summary.made == [0, 1])
        #expect(try readBytes(b.path(expert: 0)) == good)
        #expect(try readBytes(b.path(expert: 0) + ".corrupt") == bad)
    }

    @Test func forceRecomputesAndAForeignFileIsCorrupt() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration()
        let (b, trainer) = builder(root, c)
        try b.run(experts: [0], trainer: trainer)
        let forced = try b.run(experts: [0], trainer: trainer, force: true)
        #expect(forced.made == [0] && forced.skipped.isEmpty)
        // Expert 1's file copied under expert 0's name: right CRCs, wrong expert.
        try b.run(experts: [1], trainer: trainer)
        try FileManager.default.removeItem(atPath: b.path(expert: 0))
        try FileManager.default.copyItem(atPath: b.path(expert: 1), toPath: b.path(expert: 0))
        guard case .corrupt(let reason) = b.status(expert: 0) else { Issue.record("foreign expert accepted"); return }
        #expect(reason.contains("expert 1"))
        // Another cache's file (different key) is refused too.
        let other = ExpertCacheBuilder(root: root, configuration: try makeConfiguration(seed: 7))
        try other.run(experts: [0], trainer: trainer)
        let status = verifyExpertFile(path: other.path(expert: 0), key: b.key, expert: 0, epochs: 2,
                                      parameterCount: c.parameterCount)
        guard case .corrupt(let keyReason) = status else { Issue.record("foreign key accepted"); return }
        #expect(keyReason.contains(other.key) && keyReason.contains(b.key))
    }

    @Test func interruptionLeavesNoFileUnderTheFinalNameAndARerunCompletes() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration(epochs: 4)
        let (b, trainer) = builder(root, c)
        var calls = 0
        // Stop once expert 0 is done and expert 1 is part-way (the flag a SIGTERM would raise).
        let stop = { () -> Bool in calls += 1; return calls > 8 }
        #expect(throws: ExpertError(.interrupted, "interrupted before expert 1 was complete; finished experts are kept, re-run the same command to continue")) {
            try b.run(experts: [0, 1], trainer: trainer, shouldStop: stop)
        }
        #expect(fileExists(b.path(expert: 0)) && !fileExists(b.path(expert: 1)))
        #expect(!directoryListing(b.directory).contains { $0.contains(".tmp-") })
        let rerun = try b.run(experts: [0, 1], trainer: trainer)
        #expect(rerun.skipped == [0] && rerun.made == [1])
        // A loop that returns early without being asked to is an error, not a silent short expert.
        #expect(throws: ExpertError.self) {
            try b.run(experts: [2], trainer: FormulaTrainer(parameterCount: c.parameterCount, stopAfter: 2))
        }
        #expect(!fileExists(b.path(expert: 2)))
    }

    @Test func manifestIsSharedByIdenticalRunsAndRefusesADifferentConfiguration() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration()
        let a = ExpertCacheBuilder(root: root, configuration: c), b = ExpertCacheBuilder(root: root, configuration: c)
        try a.prepare()
        let bytes = try readBytes(a.directory + "/manifest.json")
        try b.prepare()
        #expect(try readBytes(b.directory + "/manifest.json") == bytes)
        // A manifest edited by hand no longer hashes to its key.
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"lr\"", with: "\"LR\"")
            .replacingOccurrences(of: "\"learningRate\":0.01", with: "\"learningRate\":0.02")
        try writeBytes(a.directory + "/manifest.json", Array(text.utf8))
        #expect(throws: ExpertError.self) { try ExpertCache(directory: a.directory) }
        #expect(throws: ExpertError.self) { try a.prepare() }
    }
}
