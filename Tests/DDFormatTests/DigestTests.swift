import Foundation
import Testing
@testable import DDFormat

@Suite struct DigestTests {
    @Test func sha256MatchesFIPSVectors() {
        #expect(SHA256.hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        for split in [0, 1, 55, 56, 63, 64, 65, 999] {
            var h = SHA256()
            h.update(data[0..<split])
            h.update(data[split...])
            #expect(h.finalize() == SHA256.hash(data), "split \(split)")
        }
    }

    @Test func contentDigestFollowsTheDocumentedDefinition() throws {
        let images = try Record(name: "images", shape: [2, 1, 2, 2], values: (0..<8).map { UInt8($0 * 30) })
        let labels = try Record(name: "labels", shape: [2], values: [Int64(1), 0], metadata: ["ignored": true])
        let digest = try ContentDigest.compute([labels, images])
        // Order, metadata and compression do not matter; content does.
        #expect(try ContentDigest.compute([images, labels]) == digest)
        var changed = labels
        changed.bytes[0] ^= 1
        #expect(try ContentDigest.compute([images, changed]) != digest)
        #expect(throws: FormatError.self) { try ContentDigest.compute([images, images]) }
        // An independent implementation of docs/format.md §5.4 in Python.
        let script = """
            import hashlib, struct
            h = hashlib.sha256()
            for name, descr, shape, raw in sorted([("labels", "<i8", "[2]", struct.pack("<2q", 1, 0)),
                                                   ("images", "|u1", "[2,1,2,2]", bytes(i * 30 for i in range(8)))]):
                h.update(name.encode() + b"\\0" + descr.encode() + b"\\0" + shape.encode() + b"\\0" + struct.pack("<Q", len(raw)) + raw)
            print("sha256:" + h.hexdigest())
            """
        let (status, out, err) = try runPython(["-c", script])
        #expect(status == 0, "\(err)")
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == digest)
    }
}
