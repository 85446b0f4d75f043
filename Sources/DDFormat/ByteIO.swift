// Byte sinks and sources the stream reader and writer run over: file descriptors (files, pipes, stdin,
// stdout; seekability never needed) and memory.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

#if canImport(Glibc)
private let systemWrite = Glibc.write
private let systemRead = Glibc.read
#else
private let systemWrite = Darwin.write
private let systemRead = Darwin.read
#endif

/// Where a `StreamWriter` sends bytes. `write` must consume all bytes or throw.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Where a `StreamReader` gets bytes. `read` fills up to `buffer.count` bytes and returns how many; 0 means
/// end of input. Short reads are fine (pipes give them).
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Writes to a file descriptor, retrying short writes and EINTR. Does not close the descriptor.
public final class FileDescriptorSink: ByteSink {
    public let fileDescriptor: Int32
    public init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }
    public convenience init(fileHandle: FileHandle) { self.init(fileDescriptor: fileHandle.fileDescriptor) }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError.io("write failed", errno: errno)
            }
            offset += n
        }
    }
}

/// Reads from a file descriptor (a file, a pipe, stdin), retrying EINTR. Does not close the descriptor.
public final class FileDescriptorSource: ByteSource {
    public let fileDescriptor: Int32
    public init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }
    public convenience init(fileHandle: FileHandle) { self.init(fileDescriptor: fileHandle.fileDescriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = systemRead(fileDescriptor, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw FormatError.io("read failed", errno: errno)
        }
    }
}

/// Collects written bytes in memory.
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes += bytes }
}

/// Serves bytes from memory.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// A read buffer in front of a source, so 40-byte prefixes cost no syscall each, while large payload reads
/// go straight into the caller's memory.
final class BufferedInput {
    private let source: ByteSource
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private(set) var sawEOF = false

    init(source: ByteSource, capacity: Int = 1 << 16) {
        self.source = source
        self.buffer = [UInt8](repeating: 0, count: capacity)
    }

    /// Reads up to `destination.count` bytes; returns fewer only at end of input.
    func readFully(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < destination.count {
            if start < end {
                let n = min(end - start, destination.count - filled)
                buffer.withUnsafeBytes { src in
                    (destination.baseAddress! + filled).copyMemory(from: src.baseAddress! + start, byteCount: n)
                }
                start += n
                filled += n
                continue
            }
            if sawEOF { break }
            let remaining = destination.count - filled
            if remaining >= buffer.count {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: destination[filled...]))
                if n == 0 { sawEOF = true } else { filled += n }
            } else {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { sawEOF = true } else { start = 0; end = n }
            }
        }
        return filled
    }

    func readFully(count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let n = try out.withUnsafeMutableBytes { try readFully(into: $0) }
        if n < count { out.removeSubrange(n...) }
        return out
    }
}
