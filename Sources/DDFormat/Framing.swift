// The fixed 40-byte record prefix and the format's constants and limits (see docs/format.md §2).

public enum FormatConstants {
    public static let magic: [UInt8] = [0x93, 0x44, 0x44, 0x54]  // "\x93DDT"
    public static let version: UInt8 = 1
    public static let prefixSize = 40
    /// Header lengths above this are refused before allocating.
    public static let maxHeaderBytes = 1 << 20
    /// Chunk sizes (raw bytes per zlib chunk) above this are refused.
    public static let maxChunkBytes = 1 << 26
    public static let maxNameBytes = 1024
    public static let maxRank = 32
    public static let flagZlibChunks: UInt8 = 1
}

/// The three record kinds of byte 5 of the prefix.
enum RecordKind: UInt8 {
    case begin = 0
    case tensor = 1
    case end = 2
}

/// Reader limits. Every size read from the input is checked against these before memory is allocated.
public struct ReaderLimits: Sendable {
    /// Largest decompressed (and on-wire) payload accepted, in bytes. Default 8 GiB: above any tensor this
    /// project handles (Tiny ImageNet as f32 is 4.9 GB), below what would exhaust a typical machine.
    public var maxPayloadBytes: UInt64
    public init(maxPayloadBytes: UInt64 = 8 << 30) { self.maxPayloadBytes = maxPayloadBytes }
}

/// The decoded 40-byte prefix. Layout (little-endian):
/// 0 magic[4] · 4 version u8 · 5 kind u8 · 6 flags u8 · 7 reserved u8 · 8 header_len u32 · 12 header_crc u32 ·
/// 16 payload_len u64 · 24 raw_len u64 · 32 chunk_len u32 · 36 prefix_crc u32 (CRC-32 of bytes 0..<36).
struct RecordPrefix: Equatable {
    var kind: UInt8
    var flags: UInt8
    var headerLength: UInt32
    var headerCRC: UInt32
    var payloadLength: UInt64
    var rawLength: UInt64
    var chunkLength: UInt32

    func encoded(version: UInt8 = FormatConstants.version) -> [UInt8] {
        var out = FormatConstants.magic
        out.reserveCapacity(FormatConstants.prefixSize)
        out += [version, kind, flags, 0]
        appendLE(headerLength, to: &out)
        appendLE(headerCRC, to: &out)
        appendLE(payloadLength, to: &out)
        appendLE(rawLength, to: &out)
        appendLE(chunkLength, to: &out)
        appendLE(crc32(out), to: &out)
        return out
    }

    /// Decodes and checks the prefix in the order that gives the most useful diagnosis: magic (is this our
    /// format at all?), then the prefix CRC (so a flipped length bit is reported as corruption, never acted
    /// on), then version, kind and flags.
    static func decode(_ b: [UInt8], recordIndex: Int) throws -> RecordPrefix {
        guard Array(b[0..<4]) == FormatConstants.magic else { throw FormatError.badMagic(record: recordIndex) }
        let stored: UInt32 = readLE(b, at: 36)
        let computed = crc32(b[0..<36])
        guard stored == computed else { throw FormatError.checksumMismatch(part: .prefix, expected: stored, actual: computed) }
        guard b[4] == FormatConstants.version else { throw FormatError.unsupportedVersion(b[4]) }
        guard RecordKind(rawValue: b[5]) != nil else { throw FormatError.unknownRecordKind(b[5]) }
        guard b[6] & ~FormatConstants.flagZlibChunks == 0 else { throw FormatError.unknownFlags(b[6]) }
        guard b[7] == 0 else { throw FormatError.badPrefix("reserved byte 7 is \(b[7]), must be 0") }
        return RecordPrefix(kind: b[5], flags: b[6], headerLength: readLE(b, at: 8), headerCRC: readLE(b, at: 12),
                            payloadLength: readLE(b, at: 16), rawLength: readLE(b, at: 24), chunkLength: readLE(b, at: 32))
    }

    var isCompressed: Bool { flags & FormatConstants.flagZlibChunks != 0 }

    /// Number of zlib chunks a compressed payload of `rawLength` bytes is split into.
    var chunkCount: UInt64 {
        guard isCompressed, chunkLength > 0 else { return 0 }
        return (rawLength + UInt64(chunkLength) - 1) / UInt64(chunkLength)
    }
}

func appendLE<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    var v = value.littleEndian
    withUnsafeBytes(of: &v) { out += $0 }
}

func readLE<T: FixedWidthInteger>(_ b: [UInt8], at offset: Int) -> T {
    var value: T = 0
    for i in (0..<MemoryLayout<T>.size).reversed() { value = value << 8 | T(b[offset + i]) }
    return value
}
