import DDTestSupport
import Foundation
import Testing
@testable import DDFormat

@Suite struct AtomicFileSinkTests {
    struct Mapped: Error { let failure: AtomicFileFailure }

    @Test func nothingAppearsUntilCommitAndAbandonLeavesNothing() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        let file = try AtomicFileSink(path: dir + "/a.bin")
        try Array("hello".utf8).withUnsafeBytes { try file.write($0) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).map { $0.hasPrefix(".a.bin.tmp-") } == [true])
        try file.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.bin"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.bin")) == Data("hello".utf8))
        let dropped = try AtomicFileSink(path: dir + "/b.bin")
        dropped.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.bin"])
    }

    @Test func anExclusiveCommitNeverReplacesAFile() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        try AtomicFileSink.write([1, 2], to: dir + "/m")
        let second = try AtomicFileSink(path: dir + "/m")
        try [UInt8]([3]).withUnsafeBytes { try second.write($0) }
        #expect(try second.commitExclusive() == false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/m")) == Data([1, 2]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m"])
    }

    @Test func failuresGoThroughTheCallersMapping() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        do {
            _ = try AtomicFileSink(path: dir + "/missing/x") { Mapped(failure: $0) }
            Issue.record("created a file in a missing directory")
        } catch let error as Mapped {
            #expect(error.failure.step == .create && error.failure.errno == ENOENT)
            #expect(error.failure.message == dir + "/missing/x: cannot create: No such file or directory")
        }
        try FileManager.default.createDirectory(atPath: dir + "/target", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: dir + "/target/inside", withIntermediateDirectories: false)
        #expect(throws: Mapped.self) { try AtomicFileSink.write([1], to: dir + "/target") { Mapped(failure: $0) } }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["target"], "temp removed")
    }
}
