import Foundation
import Testing
@testable import DDCLI

@Test func aDirectoryNamedLikeADatasetDoesNotShadowTheName() {
    #expect(!DatasetArgument.isStreamPath("mnist", existing: true), "./mnist/ must leave --test mnist a name")
    #expect(DatasetArgument.isStreamPath("mnist", existing: false), "a file called mnist is read as a stream")
    #expect(!DatasetArgument.isStreamPath("mnist", existing: nil))
    #expect(DatasetArgument.isStreamPath("runs", existing: true), "other directories stay paths (and fail to read)")
    #expect(DatasetArgument.isStreamPath("-", existing: nil))
}

@Test func streamPathsAreDecidedFromTheFileSystem() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ddcli-arg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("test.ddt").path
    try Data([1]).write(to: URL(fileURLWithPath: file))
    #expect(DatasetArgument.isStreamPath(file))
    #expect(DatasetArgument.isStreamPath(dir.path))
    #expect(!DatasetArgument.isStreamPath(dir.appendingPathComponent("missing.ddt").path))
}
