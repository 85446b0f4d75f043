import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDExpert

/// An expert interrupted part-way keeps its finished epochs, and the same command continues it to the
/// bytes of an uninterrupted run.
@Suite struct ExpertResumeTests {
    func builder(_ root: String, _ c: ExpertConfiguration, log: ((String) -> Void)? = nil) -> ExpertCacheBuilder {
        let b = ExpertCacheBuilder(root: root, configuration: c)
        if let log { b.log = log }
        return b
    }

    /// Polls: one by the run loop before the expert, then one per epoch; true from poll `n` on.
    func stop(at n: Int) -> () -> Bool {
        var polls = 0
        return { polls += 1; return polls >= n }
    }

    /// Interrupted during epoch 3 of 6 (checkpoints 0…2 kept), then during epoch 5 of the continued run,
    /// then finished: the file equals the one made in one go, and the kept parts are gone.
    @Test func twiceInterruptedExpertEqualsTheUninterruptedOne() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration(epochs: 6)
        let trainer = FormulaTrainer(parameterCount: c.parameterCount)
        let straight = builder(root + "/straight", c)
        try straight.run(experts: [0], trainer: trainer)

        var lines: [String] = []
        let b = builder(root + "/resumed", c, log: { lines.append($0) })
        let partial = b.directory + "/" + ExpertResumePoint.partialName(0)
        let resume = b.directory + "/" + ExpertResumePoint.resumeName(0)
        #expect(throws: ExpertError.self) { try b.run(experts: [0], trainer: trainer, shouldStop: stop(at: 5)) }
        #expect(fileExists(partial) && fileExists(resume) && !fileExists(b.path(expert: 0)))
        #expect(lines.contains { $0.contains("epochs 0…2 kept") }, "\(lines)")
        #expect(!directoryListing(b.directory).contains { $0.contains(".tmp-") })

        #expect(throws: ExpertError.self) { try b.run(experts: [0], trainer: trainer, shouldStop: stop(at: 4)) }
        #expect(lines.contains { $0.contains("continuing its interrupted run after epoch 2 of 6") })
        #expect(lines.contains { $0.contains("epochs 0…4 kept") }, "\(lines)")

        let summary = try b.run(experts: [0], trainer: trainer)
        #expect(summary.made == [0])
        #expect(lines.contains { $0.contains("after epoch 4 of 6") })
        #expect(try readBytes(b.path(expert: 0)) == readBytes(straight.path(expert: 0)))
        #expect(!fileExists(partial) && !fileExists(resume))
        #expect(try ExpertCache(directory: b.directory).scan(expected: 1).valid == [0])
    }

    /// A kept part that no longer fits (truncated here) is reported and the expert starts over, to the
    /// same bytes; an interruption before any epoch finished keeps nothing.
    @Test func anUnusablePartIsDroppedWithAWarning() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration(epochs: 4)
        let trainer = FormulaTrainer(parameterCount: c.parameterCount)
        let straight = builder(root + "/straight", c)
        try straight.run(experts: [0], trainer: trainer)

        var lines: [String] = []
        let b = builder(root + "/resumed", c, log: { lines.append($0) })
        #expect(throws: ExpertError.self) { try b.run(experts: [0], trainer: trainer, shouldStop: stop(at: 2)) }
        #expect(!fileExists(b.directory + "/" + ExpertResumePoint.partialName(0)), "epoch 0 alone is not kept")
        #expect(throws: ExpertError.self) { try b.run(experts: [0], trainer: trainer, shouldStop: stop(at: 4)) }
        let partial = b.directory + "/" + ExpertResumePoint.partialName(0)
        let bytes = try readBytes(partial)
        try writeBytes(partial, Array(bytes.prefix(bytes.count / 2)))
        try b.run(experts: [0], trainer: trainer)
        #expect(lines.contains { $0.hasPrefix("warning: expert 0: cannot continue its interrupted run") }, "\(lines)")
        #expect(try readBytes(b.path(expert: 0)) == readBytes(straight.path(expert: 0)))
    }
}
