import DDTestSupport
import Foundation
import Testing
@testable import DDData

@Suite struct TarReaderTests {
    /// Long paths force GNU `L` records, pax `path` records or the ustar prefix field, by format.
    @Test(arguments: ["gnu", "pax", "ustar"])
    func longNamesAndContents(format: String) throws {
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        let deep = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60)
        try FileManager.default.createDirectory(atPath: root + "/src/" + deep, withIntermediateDirectories: true)
        let contents: [String: [UInt8]] = [
            deep + "/a.bin": (0..<1000).map { UInt8($0 % 251) },
            deep + "/empty.bin": [],
            deep + "/exactly512.bin": [UInt8](repeating: 7, count: 512),
        ]
        for (name, bytes) in contents { try writeFile(root + "/src/" + name, bytes) }
        try run("tar", ["--format=\(format)", "-czf", root + "/t.tar.gz", "-C", root + "/src", String(repeating: "d", count: 60)])
        let tar = TarReader(try GzipDecoder(ByteInput(path: root + "/t.tar.gz"), maxOutput: 1 << 20), archiveName: "t.tar.gz")
        var seen: [String: [UInt8]] = [:]
        while let entry = try tar.nextEntry() {
            guard entry.isRegularFile else { continue }
            // Read every other member, skip the rest: both paths must keep the stream aligned.
            seen[entry.name] = entry.name.hasSuffix("a.bin") ? try tar.readContents(maxSize: 1 << 20) : []
            if !entry.name.hasSuffix("a.bin") { #expect(entry.size == contents[entry.name]?.count) }
        }
        #expect(Set(seen.keys) == Set(contents.keys))
        #expect(seen[deep + "/a.bin"] == contents[deep + "/a.bin"])
    }

    @Test func memberLargerThanTheLimitIsRefused() throws {
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        try writeFile(root + "/big.bin", [UInt8](repeating: 1, count: 5000))
        try run("tar", ["-czf", root + "/t.tar.gz", "-C", root, "big.bin"])
        let tar = TarReader(try GzipDecoder(ByteInput(path: root + "/t.tar.gz"), maxOutput: 1 << 20), archiveName: "t.tar.gz")
        _ = try #require(try tar.nextEntry())
        #expect(expectDataError(.badData, containing: ["5000 bytes exceeds the limit of 4096"]) {
            _ = try tar.readContents(maxSize: 4096)
        } == nil)
    }
}
