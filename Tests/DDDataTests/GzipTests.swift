import DDTestSupport
import Foundation
import Testing
@testable import DDData

@Suite struct GzipTests {
    func sample(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        // Compressible but not trivial: small alphabet runs.
        return (0..<count).map { _ in UInt8(generator.next(below: 16)) }
    }

    @Test func decodesFilesWrittenByGzip() throws {
        let dir = try makeTempDirectory()
        defer { cleanUp(dir) }
        let original = sample(300_000, seed: 1)
        try writeFile(dir + "/a", original)
        try run("gzip", ["-9", dir + "/a"])
        #expect(try Gzip.readFile(dir + "/a.gz", maxOutput: 1 << 20) == original)
        // Small read buffers exercise the streaming path.
        let decoder = try GzipDecoder(ByteInput(path: dir + "/a.gz"), maxOutput: 1 << 20)
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 777)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try decoder.read(into: $0) }
            if n == 0 { break }
            collected += chunk[0..<n]
        }
        #expect(collected == original)
        #expect(decoder.isGzip)
    }

    @Test func concatenatedMembersAndPlainFiles() throws {
        let dir = try makeTempDirectory()
        defer { cleanUp(dir) }
        let first = sample(5000, seed: 2), second = sample(7000, seed: 3)
        try writeFile(dir + "/one", first)
        try writeFile(dir + "/two", second)
        let gz1 = try run("gzip", ["-c", dir + "/one"]), gz2 = try run("gzip", ["-c", dir + "/two"])
        try (gz1 + gz2).write(to: URL(fileURLWithPath: dir + "/both.gz"))
        #expect(try Gzip.readFile(dir + "/both.gz", maxOutput: 1 << 20) == first + second)
        // A plain file passes through unchanged.
        #expect(try Gzip.readFile(dir + "/one", maxOutput: 1 << 20) == first)
    }

    @Test func outputIsBounded() throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let compressed = [UInt8](try run("gzip", ["-c"], stdin: Data(zeros)))
        #expect(compressed.count < 10_000)
        #expect(expectDataError(.badData, containing: ["exceeds the limit of 65536"]) {
            _ = try Gzip.decompress(compressed, maxOutput: 65536)
        } == nil)
        #expect(try Gzip.decompress(compressed, maxOutput: 1 << 20) == zeros)
    }

    @Test func truncatedAndCorruptDataAreErrors() throws {
        let original = sample(50_000, seed: 4)
        let compressed = [UInt8](try run("gzip", ["-c"], stdin: Data(original)))
        #expect(expectDataError(.badData, containing: ["truncated"]) {
            _ = try Gzip.decompress(Array(compressed.prefix(compressed.count / 2)), maxOutput: 1 << 20)
        } == nil)
        var flipped = compressed
        flipped[compressed.count / 2] ^= 0x40
        #expect(expectDataError(.badData, containing: ["corrupt gzip data"]) {
            _ = try Gzip.decompress(flipped, maxOutput: 1 << 20)
        } == nil)
        // A lying ISIZE trailer (4 GiB) only sizes the first buffer, capped by maxOutput; zlib's length
        // check then rejects the file.
        let dir = try makeTempDirectory()
        defer { cleanUp(dir) }
        var lying = compressed
        for i in (lying.count - 4)..<lying.count { lying[i] = 0xff }
        try writeFile(dir + "/lying.gz", lying)
        #expect(expectDataError(.badData, containing: ["corrupt gzip data"]) {
            _ = try Gzip.readFile(dir + "/lying.gz", maxOutput: 1 << 20)
        } == nil)
        #expect(expectDataError(.badData, containing: ["after the end of the gzip data"]) {
            _ = try Gzip.decompress(compressed + Array("junk".utf8), maxOutput: 1 << 20)
        } == nil)
    }
}
