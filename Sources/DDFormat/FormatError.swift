// FormatError: every way reading or writing a tensor stream can fail. `description` is one line naming what
// is wrong (the CLI prefixes the file name); `isDataError` splits bad data (sysexits 65) from I/O (74).

/// Which part of a record a truncation or checksum failure was found in.
public enum RecordPart: String, Sendable {
    case prefix, header, payload, checksum
}

public enum FormatError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The input holds no bytes at all.
    case emptyInput
    /// The first four bytes of a record are not `\x93DDT`; `record` counts records read before it.
    case badMagic(record: Int)
    case unsupportedVersion(UInt8)
    case unknownRecordKind(UInt8)
    case unknownFlags(UInt8)
    case unknownDType(String)
    case headerTooLarge(length: UInt64, limit: UInt64)
    case payloadTooLarge(length: UInt64, limit: UInt64)
    /// The prefix fields contradict each other or the format rules (e.g. a non-zero reserved byte).
    case badPrefix(String)
    /// The JSON header is malformed or misses a required field.
    case badHeader(String)
    /// A CRC-32 did not match: `part` is `.prefix`, `.header` or `.payload` (the whole-record CRC).
    case checksumMismatch(part: RecordPart, expected: UInt32, actual: UInt32)
    /// The input ended inside a record.
    case truncated(part: RecordPart, expected: UInt64, got: UInt64)
    /// The input ended at a record boundary without an end record: the producer died or a record was dropped.
    case missingEnd(recordsRead: Int)
    /// A stream segment does not start with its begin record.
    case missingBegin(found: String)
    /// The stream carries a kind the tool does not accept (e.g. a trajectory given to dd-render).
    case unexpectedKind(found: String, expected: [String])
    /// The end record's count differs from the number of tensor records read in that stream.
    case recordCountMismatch(declared: Int, read: Int)
    /// prod(shape) × itemsize differs from the declared raw byte length (or overflows).
    case shapeSizeMismatch(shape: [Int], dtype: String, expectedBytes: UInt64, declaredBytes: UInt64)
    /// The compressed payload is not valid zlib, inflates to a different size, or has trailing bytes.
    case corruptPayload(String)
    /// The caller gave a record the format cannot hold (bad name, wrong byte count, …).
    case invalidRecord(String)
    /// The caller misused the API (e.g. writing after `finish()`, reading a payload twice).
    case misuse(String)
    /// The operating system failed a read or write; `errno` is 0 when not applicable.
    case io(String, errno: Int32)

    /// True for malformed input (exit 65), false for I/O failures and API misuse (exit 74 / internal).
    public var isDataError: Bool {
        switch self {
        case .io, .misuse: return false
        default: return true
        }
    }

    public var description: String {
        switch self {
        case .emptyInput: return "empty input: expected a dd tensor stream"
        case .badMagic(let n):
            return n == 0 ? "not a dd tensor stream (bad magic bytes)"
                          : "bad magic bytes at record \(n + 1): corrupt stream or trailing garbage"
        case .unsupportedVersion(let v): return "unsupported format version \(v) (this reader knows version \(FormatConstants.version))"
        case .unknownRecordKind(let k): return "unknown record kind \(k)"
        case .unknownFlags(let f): return "unknown flag bits 0x\(String(f, radix: 16)) in record prefix"
        case .unknownDType(let d): return "unknown dtype \"\(d)\""
        case .headerTooLarge(let n, let limit): return "header length \(n) exceeds the limit of \(limit) bytes"
        case .payloadTooLarge(let n, let limit): return "payload length \(n) exceeds the limit of \(limit) bytes"
        case .badPrefix(let m): return "bad record prefix: \(m)"
        case .badHeader(let m): return "bad record header: \(m)"
        case .checksumMismatch(let part, let e, let a):
            let what = part == .payload ? "record" : part.rawValue
            return "CRC-32 mismatch in \(what) (stored \(hex(e)), computed \(hex(a))): the data is corrupt"
        case .truncated(let part, let e, let g): return "truncated in the \(part.rawValue): expected \(e) bytes, got \(g)"
        case .missingEnd(let n): return "stream ends without an end record after \(n) records: truncated output"
        case .missingBegin(let found): return "stream does not start with a begin record (found \(found))"
        case .unexpectedKind(let found, let expected):
            return "stream kind is \"\(found)\", expected \(expected.map { "\"\($0)\"" }.joined(separator: " or "))"
        case .recordCountMismatch(let d, let r): return "end record declares \(d) records but \(r) were read"
        case .shapeSizeMismatch(let shape, let dtype, let e, let d):
            return "shape \(shape) of \(dtype) needs \(e) bytes but the record declares \(d)"
        case .corruptPayload(let m): return "corrupt payload: \(m)"
        case .invalidRecord(let m): return "invalid record: \(m)"
        case .misuse(let m): return "stream API misuse: \(m)"
        case .io(let m, let e): return e == 0 ? m : "\(m): \(String(cString: strerror(e)))"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    let digits = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
