import Foundation
import Testing
@testable import DDCLI

private func scratchDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ddcli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Test func committedOutputAppearsWholeAndLeavesNoTemp() throws {
    let dir = try scratchDir()
    let target = dir.appendingPathComponent("out.bin").path
    let out = try OutputFile(target)
    try out.write([1, 2, 3])
    #expect(!FileManager.default.fileExists(atPath: target), "final name must not exist before commit")
    try out.write([4])
    try out.commit()
    #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data([1, 2, 3, 4]))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
}

@Test func abandonedOutputLeavesNothing() throws {
    let dir = try scratchDir()
    let target = dir.appendingPathComponent("out.bin").path
    do {
        let out = try OutputFile(target)
        try out.write([9, 9])
        out.abandon()
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
}

@Test func abandonedOutputKeepsThePreviousFile() throws {
    let dir = try scratchDir()
    let target = dir.appendingPathComponent("keep.bin").path
    try Data([7]).write(to: URL(fileURLWithPath: target))
    let out = try OutputFile(target)
    try out.write([1, 2, 3])
    out.abandon()
    #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data([7]))
}

@Test func outputIntoMissingDirectoryIsCantCreate() throws {
    let error = #expect(throws: ToolError.self) { try OutputFile("/nonexistent-dd-dir/x.ddt") }
    #expect(error?.exit == .cantCreate)
    #expect(error?.message.contains("/nonexistent-dd-dir") == true)
}

@Test func missingInputIsNoInputNamingThePath() throws {
    let error = #expect(throws: ToolError.self) { try InputFile("/nonexistent-dd-dir/in.ddt") }
    #expect(error?.exit == .noInput)
    #expect(error?.message.hasPrefix("/nonexistent-dd-dir/in.ddt:") == true)
}

@Test func directoryAsInputIsRejected() throws {
    let dir = try scratchDir()
    let error = #expect(throws: ToolError.self) { try InputFile(dir.path) }
    #expect(error?.exit == .noInput)
}

@Test func readAllHonoursItsLimit() throws {
    let dir = try scratchDir()
    let path = dir.appendingPathComponent("big").path
    try Data(repeating: 5, count: 3000).write(to: URL(fileURLWithPath: path))
    #expect(try InputFile(path).readAll(limit: 3000).count == 3000)
    let error = #expect(throws: ToolError.self) { try InputFile(path).readAll(limit: 2999) }
    #expect(error?.exit == .dataError)
}
