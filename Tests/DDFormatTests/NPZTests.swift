// The NPZ export must open with plain numpy.load (no pickle) and zipfile's CRC check.
import Foundation
import Testing
@testable import DDFormat

@Suite(.serialized) struct NPZTests {
    static let inspect = """
        import json, sys, zipfile
        import numpy as np
        path = sys.argv[1]
        assert zipfile.ZipFile(path).testzip() is None  # every member CRC verifies
        with np.load(path) as z:
            out = {k: [str(z[k].dtype), list(z[k].shape), z[k].ravel().tolist()] for k in z.files if k != "__meta__"}
            out["__meta__"] = json.loads(z["__meta__"].item())
        print(json.dumps(out))
        """

    func exportSample(compression: NPZWriter.Compression, zip64Threshold: UInt64? = nil) throws -> URL {
        let stream = try writeStream(kind: .synthetic, metadata: ["method": "dm", "ipc": 10]) { w in
            try w.write(name: "images", shape: [2, 1, 2, 3], values: (0..<12).map { UInt8(250 - $0) })
            try w.write(name: "labels", shape: [2], values: [Int64(3), -4], metadata: ["classes": 10])
            try w.write(name: "soft_labels", shape: [2, 2], values: [Float(0.5), -1.25, 2, 1e-3])
            try w.write(name: "expert/epoch/001", shape: [3], values: [Double(1.5), -2, 1e100])
            try w.write(name: "counts", shape: [2, 1], values: [Int32(-7), 8])
            try w.write(name: "scalar", shape: [], values: [Float(9)])
            try w.write(name: "empty", shape: [0], values: [UInt8]())
        }
        let url = temporaryFile("export.npz")
        let sink = MemorySink()
        let reader = StreamReader(bytes: stream)
        if let threshold = zip64Threshold {
            let writer = NPZWriter(sink: sink, compression: compression, zip64Threshold: threshold)
            for record in try reader.readAll() { try writer.add(record) }
            try writer.addString(#"{"kind":"synthetic"}"#, name: "__meta__")
            try writer.finish()
        } else {
            #expect(try NPZWriter.export(reader, to: sink, compression: compression) == 7)
        }
        try Data(sink.bytes).write(to: url)
        return url
    }

    func checkValues(_ url: URL) throws -> JSONValue {
        defer { try? FileManager.default.removeItem(at: url) }
        let (status, out, err) = try runPython(["-c", NPZTests.inspect, url.path])
        #expect(status == 0, "\(err)")
        let z = try JSONValue.parse(out)
        #expect(z["images"] == ["uint8", [2, 1, 2, 3], .array((0..<12).map { .number(Double(250 - $0)) })])
        #expect(z["labels"] == ["int64", [2], [3, -4]])
        #expect(z["soft_labels"] == ["float32", [2, 2], [0.5, -1.25, 2, .number(Double(Float(1e-3)))]])
        #expect(z["expert/epoch/001"] == ["float64", [3], [1.5, -2, 1e100]])
        #expect(z["counts"] == ["int32", [2, 1], [-7, 8]])
        #expect(z["scalar"] == ["float32", [], [9]])
        #expect(z["empty"] == ["uint8", [0], []])
        return z
    }

    @Test(arguments: [NPZWriter.Compression.stored, .deflated(level: 1), .deflated(level: 9)])
    func numpyLoadsTheExport(compression: NPZWriter.Compression) throws {
        let z = try checkValues(try exportSample(compression: compression))
        #expect(z["__meta__"]?["kind"] == "synthetic")
        #expect(z["__meta__"]?["stream"] == ["ipc": 10, "method": "dm"])
        #expect(z["__meta__"]?["records"]?["labels"] == ["classes": 10])
    }

    @Test(arguments: [NPZWriter.Compression.stored, .deflated(level: 6)])
    func zip64FieldsAreReadable(compression: NPZWriter.Compression) throws {
        // Forcing ZIP64 on every size and offset exercises the >4 GiB layout without 4 GiB of data.
        let z = try checkValues(try exportSample(compression: compression, zip64Threshold: 0))
        #expect(z["__meta__"]?["kind"] == "synthetic")
    }

    @Test func npyHeaderIsPaddedTo64Bytes() {
        for shape in [[], [5], [60000, 1, 28, 28], Array(repeating: 123_456_789, count: 32)] {
            let header = NPZWriter.npyHeader(dtype: "<f4", shape: shape)
            #expect(header.count % 64 == 0)
            #expect(header.last == 0x0A)
            #expect(Array(header[0..<6]) == [0x93] + Array("NUMPY".utf8))
        }
    }

    @Test func largeIncompressibleMemberSpansManyDeflateBuffers() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<3_000_000).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let sink = MemorySink()
        let writer = NPZWriter(sink: sink, compression: .deflated(level: 6))
        try writer.add(try Record(name: "noise", shape: [1000, 3000], values: bytes))
        try writer.finish()
        let url = temporaryFile("noise.npz")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(sink.bytes).write(to: url)
        let script = "import sys, zlib, numpy as np; a = np.load(sys.argv[1])['noise']; print(a.dtype, a.shape, zlib.crc32(a.tobytes()))"
        let (status, out, err) = try runPython(["-c", script, url.path])
        #expect(status == 0, "\(err)")
        #expect(out == "uint8 (1000, 3000) \(crc32(bytes))\n")
    }

    @Test func duplicateNamesAreRefused() throws {
        let writer = NPZWriter(sink: MemorySink())
        try writer.add(try Record(name: "a", shape: [1], values: [Float(1)]))
        #expect(throws: FormatError.self) { try writer.add(try Record(name: "a", shape: [1], values: [Float(2)])) }
    }
}
