import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads bytes from a file descriptor or an in-memory buffer: the raw input of a `GzipDecoder`.
public final class ByteInput {
    private let readChunk: (UnsafeMutableRawBufferPointer) throws -> Int
    private let closeAction: (() -> Void)?
    public let name: String

    public init(name: String, read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.name = name
        self.readChunk = read
        self.closeAction = nil
    }

    /// Opens a file for sequential reading; a missing file is `missingInput`, anything else `io`.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            let text = String(cString: strerror(code))
            throw DataError(code == ENOENT || code == EACCES ? .missingInput : .io, "\(path): cannot open: \(text)")
        }
        name = path
        readChunk = { buffer in
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                throw DataError.io("\(path): read failed: \(String(cString: strerror(errno)))")
            }
        }
        closeAction = { close(fd) }
    }

    public convenience init(bytes: [UInt8], name: String = "<memory>") {
        var offset = 0
        self.init(name: name) { buffer in
            let n = min(buffer.count, bytes.count - offset)
            if n > 0 {
                bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
                offset += n
            }
            return n
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, buffer.baseAddress != nil else { return 0 }
        return try readChunk(buffer)
    }

    deinit { closeAction?() }
}

/// Streaming decoder for gzip files (RFC 1952, concatenated members accepted) that passes plain,
/// already-decompressed files through unchanged, so mirrors may hold either form.
///
/// Output is bounded: more than `maxOutput` decompressed bytes is a `badData` error, so a hostile or
/// corrupt file cannot exhaust memory.
public final class GzipDecoder {
    private let source: ByteInput
    private let maxOutput: Int
    private var stream = z_stream()
    private var streamReady = false
    private var input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputCount = 0
    private var sourceEnded = false
    private var finished = false
    public private(set) var isGzip = false
    public private(set) var bytesProduced = 0

    public init(_ source: ByteInput, maxOutput: Int) throws {
        self.source = source
        self.maxOutput = maxOutput
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        try fillInput(atLeast: 2)
        isGzip = inputCount >= 2 && input[inputStart] == 0x1f && input[inputStart + 1] == 0x8b
        if isGzip {
            // 16 + MAX_WBITS selects the gzip wrapper (header and CRC-32/ISIZE trailer checked by zlib).
            let status = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else { throw DataError.io("\(source.name): zlib inflateInit2 failed (\(status))") }
            streamReady = true
        }
    }

    deinit {
        if streamReady { inflateEnd(&stream) }
        input.deallocate()
    }

    /// Decompressed bytes into `buffer`; 0 only at the end of the content.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0, !finished else { return 0 }
        let produced = isGzip ? try inflateSome(into: buffer) : try passThrough(into: buffer)
        bytesProduced += produced
        if bytesProduced > maxOutput {
            throw DataError.badData("\(source.name): decompressed content exceeds the limit of \(maxOutput) bytes")
        }
        if produced == 0 { finished = true }
        return produced
    }

    /// Fills `buffer` completely unless the content ends first; returns how many bytes were written.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    private func fillInput(atLeast wanted: Int) throws {
        if inputStart > 0 && inputCount > 0 {
            input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: inputCount)
        }
        inputStart = 0
        while inputCount < wanted && !sourceEnded {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputCount...]))
            if n == 0 { sourceEnded = true } else { inputCount += n }
        }
    }

    private func passThrough(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if inputCount > 0 {
            let n = min(inputCount, buffer.count)
            buffer.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: n)
            inputStart += n
            inputCount -= n
            return n
        }
        if sourceEnded { return 0 }
        let n = try source.read(into: buffer)
        if n == 0 { sourceEnded = true }
        return n
    }

    private func inflateSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while true {
            if inputCount == 0 && !sourceEnded { try fillInput(atLeast: 1) }
            stream.next_in = (input.baseAddress! + inputStart).assumingMemoryBound(to: UInt8.self)
            stream.avail_in = UInt32(inputCount)
            stream.next_out = out
            stream.avail_out = UInt32(clamping: buffer.count)
            let status = inflate(&stream, Z_NO_FLUSH)
            let consumed = inputCount - Int(stream.avail_in)
            inputStart += consumed
            inputCount -= consumed
            let produced = Int(stream.avail_out == 0 ? UInt32(clamping: buffer.count)
                                                     : UInt32(clamping: buffer.count) - stream.avail_out)
            switch status {
            case Z_OK:
                if produced > 0 { return produced }
            case Z_STREAM_END:
                if try startNextMember() == false {
                    return produced
                }
                if produced > 0 { return produced }
            case Z_BUF_ERROR where inputCount == 0 && sourceEnded:
                throw DataError.badData("\(source.name): gzip data truncated (\(bytesProduced + produced) bytes decompressed)")
            case Z_BUF_ERROR:
                if produced > 0 { return produced }
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw DataError.badData("\(source.name): corrupt gzip data: \(detail)")
            }
        }
    }

    /// After a member ends: another member follows (reset and continue), or the file ends. Zero padding
    /// after the last member is tolerated, as gzip(1) does; other trailing bytes are an error.
    private func startNextMember() throws -> Bool {
        if inputCount < 2 { try fillInput(atLeast: 2) }
        if inputCount == 0 { return false }
        if inputCount >= 2 && input[inputStart] == 0x1f && input[inputStart + 1] == 0x8b {
            inflateReset(&stream)
            return true
        }
        while true {
            for i in inputStart..<(inputStart + inputCount) where input[i] != 0 {
                throw DataError.badData("\(source.name): unexpected bytes after the end of the gzip data")
            }
            inputCount = 0
            try fillInput(atLeast: 1)
            if inputCount == 0 { return false }
        }
    }
}

public enum Gzip {
    /// The whole decompressed content of a gzip (or plain) file, at most `maxOutput` bytes.
    ///
    /// The output array is sized from the gzip ISIZE trailer when the file is seekable, so a 47 MB image
    /// file is inflated straight into its final buffer with no growth copies.
    public static func readFile(_ path: String, maxOutput: Int) throws -> [UInt8] {
        let hint = try sizeHint(path)
        let decoder = try GzipDecoder(ByteInput(path: path), maxOutput: maxOutput)
        return try readAll(decoder, initialCapacity: min(hint ?? (1 << 20), maxOutput) + 1)
    }

    /// Decompresses an in-memory gzip (or plain) buffer, at most `maxOutput` bytes.
    public static func decompress(_ bytes: [UInt8], maxOutput: Int, name: String = "<memory>") throws -> [UInt8] {
        let decoder = try GzipDecoder(ByteInput(bytes: bytes, name: name), maxOutput: maxOutput)
        return try readAll(decoder, initialCapacity: min(bytes.count * 4, maxOutput) + 1)
    }

    static func readAll(_ decoder: GzipDecoder, initialCapacity: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(initialCapacity, 64))
        var filled = 0
        while true {
            if filled == out.count {
                out.append(contentsOf: repeatElement(0, count: out.count))
            }
            let n = try out.withUnsafeMutableBytes { try decoder.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        out.removeLast(out.count - filled)
        return out
    }

    /// The likely decompressed size: ISIZE (the uncompressed size mod 2^32) from the last 4 bytes of a
    /// gzip file, or the size of a plain file; nil if unknown (a pipe). Only a hint: never trusted as a bound.
    static func sizeHint(_ path: String) throws -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        var magic = [UInt8](repeating: 0, count: 2)
        guard info.st_size >= 18, pread(fd, &magic, 2, 0) == 2, magic == [0x1f, 0x8b] else { return Int(info.st_size) }
        var trailer = [UInt8](repeating: 0, count: 4)
        guard pread(fd, &trailer, 4, off_t(info.st_size - 4)) == 4 else { return nil }
        return Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
    }
}
