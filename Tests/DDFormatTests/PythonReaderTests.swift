// The stdlib+numpy reader in python/ddt.py must read what the Swift writer writes.
import Foundation
import Testing
@testable import DDFormat

@Suite(.serialized) struct PythonReaderTests {
    func sampleStream(level: Int) throws -> [UInt8] {
        try writeStream(kind: .dataset, metadata: ["classes": ["zero", "one"], "mean": [0.1307]],
                        options: WriterOptions(level: level, chunkBytes: 50)) { w in
            try w.write(name: "images", shape: [3, 1, 4, 5], values: (0..<60).map { UInt8($0 * 4) })
            try w.write(name: "labels", shape: [3], values: [Int64(0), 1, -5])
            try w.write(name: "groups", shape: [3], values: [Int32(2), -3, 4])
            try w.write(name: "soft_labels", shape: [3, 2], values: [Float(0.25), 0.75, 1e-3, -2, 3.5, 0])
            try w.write(name: "scale", shape: [], values: [Double(1.0 / 3.0)], metadata: ["unit": "x"])
            try w.write(name: "none", shape: [0, 4], values: [Float]())
        }
    }

    @Test(arguments: [0, 1, 9])
    func printsShapesAndDTypes(level: Int) throws {
        let url = temporaryFile("sample.ddt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(try sampleStream(level: level)).write(to: url)
        let (status, out, err) = try runPython(["python/ddt.py", url.path])
        #expect(status == 0, "\(err)")
        #expect(out == """
            images (3, 1, 4, 5) uint8
            labels (3,) int64
            groups (3,) int32
            soft_labels (3, 2) float32
            scale () float64
            none (0, 4) float32

            """)
    }

    @Test func loadsTheSameValuesAndMetadataFromStdin() throws {
        let script = """
            import json, sys
            sys.path.insert(0, "python")
            import ddt
            arrays, meta = ddt.load(sys.stdin.buffer)
            print(json.dumps({"meta": meta, "values": {k: [str(v.dtype), list(v.shape), v.ravel().tolist()] for k, v in arrays.items()}}))
            """
        let (status, out, err) = try runPython(["-c", script], stdin: try sampleStream(level: 6))
        #expect(status == 0, "\(err)")
        let result = try JSONValue.parse(out)
        #expect(result["meta"]?["kind"] == "dataset")
        #expect(result["meta"]?["stream"]?["classes"] == ["zero", "one"])
        #expect(result["meta"]?["records"]?["scale"]?["unit"] == "x")
        let values = try #require(result["values"])
        #expect(values["images"] == ["uint8", [3, 1, 4, 5], .array((0..<60).map { .number(Double($0 * 4)) })])
        #expect(values["labels"] == ["int64", [3], [0, 1, -5]])
        #expect(values["groups"] == ["int32", [3], [2, -3, 4]])
        let soft: [Float] = [0.25, 0.75, 1e-3, -2, 3.5, 0]
        #expect(values["soft_labels"] == ["float32", [3, 2], .array(soft.map { .number(Double($0)) })])
        #expect(values["scale"] == ["float64", [], [.number(1.0 / 3.0)]])
        #expect(values["none"] == ["float32", [0, 4], []])
    }

    @Test func rejectsCorruptionWithExit65() throws {
        var bytes = try sampleStream(level: 6)
        bytes[bytes.count / 2] ^= 0x01
        let (status, _, err) = try runPython(["python/ddt.py", "-"], stdin: bytes)
        #expect(status == 65)
        #expect(err.contains("CRC-32 mismatch"))
        let (status2, _, err2) = try runPython(["python/ddt.py", "-"], stdin: Array(try sampleStream(level: 1).dropLast(30)))
        #expect(status2 == 65)
        #expect(err2.contains("truncated") || err2.contains("missing end"))
    }

    @Test func refusesADecompressionBomb() throws {
        let bomb = RawRecord.compressed(shape: [1000], rawLength: 1000, chunkLength: 1 << 20,
                                        chunks: [[UInt8](repeating: 0, count: 16 << 20)])
        let (status, _, err) = try runPython(["python/ddt.py", "-"], stdin: RawRecord.begin().bytes + bomb.bytes + RawRecord.end(records: 1).bytes)
        #expect(status == 65)
        #expect(err.contains("corrupt zlib chunk"))
    }
}
