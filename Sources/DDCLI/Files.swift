#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DDFormat
import Foundation

/// Raised when the reader of our stdout went away; the tool then exits quietly.
public struct BrokenPipe: Error {}

/// An input: a path, or stdin for nil / "-". Reads are raw fd reads so non-seekable pipes work and no
/// Foundation exception can escape as a trap.
public final class InputFile {
    public let displayName: String
    public let fd: Int32
    private let ownsFD: Bool

    public init(_ path: String?) throws {
        if path == nil || path == "-" {
            displayName = "<stdin>"
            fd = STDIN_FILENO
            ownsFD = false
            return
        }
        let path = path!
        displayName = path
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw ToolError.noInput("\(path): is a directory, expected a file")
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        if opened < 0 {
            let code = errno
            throw ToolError(code == ENOENT || code == EACCES ? "\(path): cannot open: \(errnoText(code))"
                                                             : "\(path): \(errnoText(code))",
                            exit: code == ENOENT || code == EACCES ? .noInput : .ioError)
        }
        fd = opened
        ownsFD = true
    }

    /// Reads up to `buffer.count` bytes; 0 means end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.read(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ToolError.io("\(displayName): read failed: \(errnoText())")
        }
    }

    /// Reads everything up to `limit` bytes (the caller's bound on untrusted sizes).
    public func readAll(limit: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return result }
            if result.count + n > limit {
                throw ToolError.data("\(displayName): input larger than the limit of \(limit) bytes")
            }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    deinit { if ownsFD { close(fd) } }
}

/// An output: a file written through a temp file beside it and renamed on `commit()`, so a killed tool
/// never leaves a truncated file under the final name; or stdout for nil / "-".
public final class OutputFile {
    public let displayName: String
    public let fd: Int32
    public let finalPath: String?
    private let file: AtomicFileSink?
    private var finished = false

    /// `binary` outputs refuse a terminal: megabytes of compressed bytes on a screen help nobody.
    public init(_ path: String?, binary: Bool = true) throws {
        guard let path, path != "-" else {
            if binary && Terminal.stdoutIsTTY {
                throw ToolError.usage("refusing to write binary output to a terminal; use -o FILE or a pipe")
            }
            displayName = "<stdout>"
            fd = STDOUT_FILENO
            finalPath = nil
            file = nil
            return
        }
        displayName = path
        finalPath = path
        let dir = AtomicFileSink.split(path).directory
        var info = stat()
        if stat(dir, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR {
            throw ToolError(message: "\(path): cannot create: directory \(dir) does not exist", exit: .cantCreate)
        }
        let opened = try AtomicFileSink(path: path) {
            ToolError(message: $0.message, exit: $0.step == .write ? .ioError : .cantCreate)
        }
        fd = opened.fileDescriptor
        file = opened
        Signals.registerTemp(opened.tempPath)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try FileDescriptorSink(fileDescriptor: fd).write(bytes)
        } catch FormatError.io(_, let code) {
            if code == EPIPE { throw BrokenPipe() }
            throw ToolError.io("\(displayName): write failed: \(errnoText(code))")
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Makes the output visible under its final name, durably.
    public func commit() throws {
        guard !finished else { return }
        finished = true
        guard let file else { return }
        defer { Signals.unregisterTemp(file.tempPath) }
        try file.commit()
    }

    /// Drops an unfinished output: nothing appears under the final name.
    public func abandon() {
        guard !finished else { return }
        finished = true
        guard let file else { return }
        file.abandon()
        Signals.unregisterTemp(file.tempPath)
    }

    deinit { abandon() }
}

extension ToolError {
    init(message: String, exit: SysExit) { self.init(message, exit: exit) }
}
