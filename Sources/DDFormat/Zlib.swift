// Thin wrappers over zlib: CRC-32 and one-shot deflate/inflate of a single chunk. Inflate writes straight
// into the caller's buffer and never past `avail_out`, which is what bounds decompression bombs.
import CZlib

/// Running CRC-32 (the zlib / PNG / Python `zlib.crc32` polynomial).
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0
    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var remaining = bytes
        // zlib's length argument is a 32-bit uInt, so feed huge buffers in slices.
        while !remaining.isEmpty {
            let n = min(remaining.count, 1 << 30)
            let base = remaining.baseAddress!.assumingMemoryBound(to: Bytef.self)
            value = UInt32(truncatingIfNeeded: CZlib.crc32(uLong(value), base, uInt(n)))
            remaining = UnsafeRawBufferPointer(rebasing: remaining[n...])
        }
    }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { update(Array(bytes)) }
    }
}

/// CRC-32 of a byte collection.
public func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var c = CRC32()
    c.update(bytes)
    return c.value
}

enum Zlib {
    /// Worst-case deflate output for `count` input bytes.
    static func bound(_ count: Int) -> Int { Int(compressBound(uLong(count))) }

    /// Compresses one chunk (count ≤ maxChunkBytes) at `level` 1…9 into a new array.
    static func deflate(_ source: UnsafeRawBufferPointer, level: Int) throws -> [UInt8] {
        let capacity = bound(source.count)
        var out = [UInt8](repeating: 0, count: capacity)
        var produced = uLongf(capacity)
        let status = withNonNilBase(source) { source in
            out.withUnsafeMutableBytes { dst -> Int32 in
                compress2(dst.baseAddress!.assumingMemoryBound(to: Bytef.self), &produced,
                          source.baseAddress!.assumingMemoryBound(to: Bytef.self), uLong(source.count), Int32(level))
            }
        }
        guard status == Z_OK else { throw FormatError.invalidRecord("zlib compress2 failed with status \(status)") }
        out.removeSubrange(Int(produced)...)
        return out
    }

    /// Inflates one complete zlib stream `source` into exactly `destination.count` bytes. Fails when the
    /// stream is corrupt, would produce more (stops at the bound: a bomb costs at most the destination), ends
    /// early, or has bytes after its end.
    static func inflate(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws {
        var stream = z_stream()
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError.io("zlib inflateInit failed", errno: 0)
        }
        defer { inflateEnd(&stream) }
        // A zero-length destination still needs a valid pointer so zlib can report overflow.
        var scratch: [UInt8] = [0]
        let status = scratch.withUnsafeMutableBytes { scratch -> Int32 in
            let outBase = destination.baseAddress ?? scratch.baseAddress!
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(source.count)
            stream.next_out = outBase.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(destination.count)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        switch status {
        case Z_STREAM_END:
            guard stream.avail_out == 0 else {
                throw FormatError.corruptPayload("chunk inflates to \(destination.count - Int(stream.avail_out)) bytes, declared \(destination.count)")
            }
            guard stream.avail_in == 0 else {
                throw FormatError.corruptPayload("\(stream.avail_in) bytes after the end of a zlib chunk")
            }
        case Z_BUF_ERROR where stream.avail_out == 0, Z_OK where stream.avail_out == 0:
            throw FormatError.corruptPayload("chunk inflates beyond its declared \(destination.count) bytes; stopped at the bound")
        case Z_BUF_ERROR:
            throw FormatError.corruptPayload("zlib chunk is truncated")
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
            throw FormatError.corruptPayload("zlib: \(message)")
        }
    }
}

extension Zlib {
    /// Raw DEFLATE (no zlib header or trailer) of the concatenation of `parts`, as zip members need. Takes
    /// parts so a member's header and data need not be copied together; feeds zlib in slices because its
    /// length fields are 32-bit.
    static func rawDeflate(_ parts: [UnsafeRawBufferPointer], level: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Int32(level), Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError.io("zlib deflateInit2 failed", errno: 0)
        }
        defer { deflateEnd(&stream) }
        var result: [UInt8] = []
        result.reserveCapacity(parts.reduce(0) { $0 + $1.count } / 2 + 64)
        var output = [UInt8](repeating: 0, count: 1 << 20)
        let nonEmpty = parts.filter { !$0.isEmpty }
        // An empty input still needs one Z_FINISH call with a valid pointer.
        let one: [UInt8] = [0]
        try one.withUnsafeBytes { placeholder in
            let inputs = nonEmpty.isEmpty ? [UnsafeRawBufferPointer(rebasing: placeholder[0..<0])] : nonEmpty
            for (partIndex, part) in inputs.enumerated() {
                var offset = 0
                repeat {
                    let slice = min(part.count - offset, 1 << 24)
                    let last = partIndex == inputs.count - 1 && offset + slice == part.count
                    stream.next_in = UnsafeMutablePointer(mutating: (part.baseAddress! + offset).assumingMemoryBound(to: Bytef.self))
                    stream.avail_in = uInt(slice)
                    var status: Int32 = Z_OK
                    repeat {
                        status = output.withUnsafeMutableBytes { out -> Int32 in
                            stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                            stream.avail_out = uInt(out.count)
                            return CZlib.deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH)
                        }
                        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                            throw FormatError.io("zlib deflate failed with status \(status)", errno: 0)
                        }
                        result += output[0..<(output.count - Int(stream.avail_out))]
                    } while stream.avail_out == 0 || (last && status != Z_STREAM_END)
                    offset += slice
                } while offset < part.count
            }
        }
        return result
    }

    /// Runs `body` with `buffer`, or with an empty buffer that has a real base address when `buffer` has none:
    /// zlib rejects null pointers even for zero lengths.
    static func withNonNilBase<R>(_ buffer: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if buffer.baseAddress != nil { return try body(buffer) }
        let one: [UInt8] = [0]
        return try one.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
    }
}
