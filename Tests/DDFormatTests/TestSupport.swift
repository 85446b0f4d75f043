// Test helpers: an independent record encoder (so malformed records with valid CRCs can be crafted) and a
// python3 runner.
import Foundation
import Testing
import CZlib
import DDTestSupport
@testable import DDFormat

/// Standard CRC-32 computed bit by bit, independent of zlib and of DDFormat.
func referenceCRC32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
    }
    return ~crc
}

func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
}

/// Builds one record byte for byte from docs/format.md, with every field overridable.
struct RawRecord {
    var magic: [UInt8] = [0x93, 0x44, 0x44, 0x54]
    var version: UInt8 = 1
    var kind: UInt8 = 1
    var flags: UInt8 = 0
    var reserved: UInt8 = 0
    var header: [UInt8] = []
    var headerLength: UInt32? = nil
    var payload: [UInt8] = []
    var payloadLength: UInt64? = nil
    var rawLength: UInt64? = nil
    var chunkLength: UInt32 = 0

    static func begin(kind: String = "dataset") -> RawRecord {
        RawRecord(kind: 0, header: Array("{\"kind\":\"\(kind)\",\"meta\":{}}".utf8))
    }
    static func end(records: Int) -> RawRecord {
        RawRecord(kind: 2, header: Array("{\"meta\":{},\"records\":\(records)}".utf8))
    }
    static func tensor(name: String = "x", dtype: String = "|u1", shape: [Int], raw: [UInt8]) -> RawRecord {
        let json = "{\"dtype\":\"\(dtype)\",\"meta\":{},\"name\":\"\(name)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))]}"
        return RawRecord(kind: 1, header: Array(json.utf8), payload: raw, rawLength: UInt64(raw.count))
    }
    /// A compressed tensor record whose payload is `chunks` zlib streams of the given raw pieces.
    static func compressed(shape: [Int], rawLength: Int, chunkLength: Int, chunks: [[UInt8]]) -> RawRecord {
        var r = tensor(shape: shape, raw: [])
        r.flags = 1
        r.chunkLength = UInt32(chunkLength)
        r.rawLength = UInt64(rawLength)
        r.payload = chunks.flatMap { piece -> [UInt8] in
            let z = zlibCompress(piece)
            return le(UInt32(z.count)) + z
        }
        return r
    }

    var bytes: [UInt8] {
        var prefix = magic + [version, kind, flags, reserved]
        prefix += le(headerLength ?? UInt32(header.count)) + le(referenceCRC32(header))
        prefix += le(payloadLength ?? UInt64(payload.count)) + le(rawLength ?? UInt64(payload.count)) + le(chunkLength)
        prefix += le(referenceCRC32(prefix))
        let body = prefix + header + payload
        return body + le(referenceCRC32(body))
    }
}

func zlibCompress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(compressBound(uLong(bytes.count))))
    var length = uLongf(out.count)
    let status = bytes.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { compress2($0.baseAddress, &length, src.baseAddress, uLong(bytes.count), level) }
    }
    precondition(status == Z_OK)
    return Array(out[0..<Int(length)])
}

/// Reads every record of `bytes` and returns the FormatError it fails with (nil if it reads cleanly).
func readError(_ bytes: [UInt8], limits: ReaderLimits = ReaderLimits()) -> FormatError? {
    do {
        _ = try StreamReader(bytes: bytes, limits: limits).readAll()
        return nil
    } catch let error as FormatError {
        return error
    } catch {
        Issue.record("unexpected error type \(error)")
        return nil
    }
}

/// Writes a stream to memory.
func writeStream(kind: StreamKind = .dataset, metadata: JSONValue = [:], options: WriterOptions = WriterOptions(),
                 finish: Bool = true, _ body: (StreamWriter) throws -> Void) throws -> [UInt8] {
    let sink = MemorySink()
    let writer = try StreamWriter(sink: sink, kind: kind, metadata: metadata, options: options)
    try body(writer)
    if finish { try writer.finish() }
    return sink.bytes
}

/// Runs python3 with arguments (cwd = repository root) and returns (exit status, stdout, stderr).
func runPython(_ arguments: [String], stdin: [UInt8]? = nil) throws -> (Int32, String, String) {
    let outcome = try ToolRunner.run("python3", arguments, stdin: stdin, directory: repositoryRoot)
    return (outcome.status, outcome.stdoutText, outcome.stderr)
}

func temporaryFile(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("ddformat-\(UUID().uuidString)-\(name)")
}
