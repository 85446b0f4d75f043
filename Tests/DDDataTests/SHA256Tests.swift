import DDTestSupport
import Foundation
import Testing
@testable import DDData

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        // FIPS 180-2 appendix B vectors and the empty string.
        #expect(SHA256.hexDigest(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest(of: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func chunkingDoesNotChangeTheDigest() {
        var generator = SplitMix64(seed: 7)
        let data = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let whole = SHA256.hexDigest(of: data)
        for chunk in [1, 3, 55, 56, 63, 64, 65, 1000] {
            var hasher = SHA256()
            var offset = 0
            while offset < data.count {
                hasher.update(data[offset..<min(offset + chunk, data.count)])
                offset += chunk
            }
            #expect(hasher.finalizeHex() == whole, "chunk size \(chunk)")
        }
    }

    @Test func agreesWithSha256sumOnARealFile() throws {
        let dir = try makeTempDirectory()
        defer { cleanUp(dir) }
        var generator = SplitMix64(seed: 11)
        // Lengths around the padding boundaries and one multi-block file.
        for length in [55, 56, 64, 119, 120, 300_001] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let path = dir + "/f\(length)"
            try writeFile(path, bytes)
            let output = String(decoding: try run("sha256sum", [path]), as: UTF8.self)
            #expect(output.hasPrefix(SHA256.hexDigest(of: bytes) + " "), "length \(length)")
        }
    }
}
