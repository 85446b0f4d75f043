#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an atomic file failed, with the path and the system's reason; each layer turns it into its own error
/// (the `failure` argument below), so the messages stay the same whichever tool writes the file.
public struct AtomicFileFailure: Error, Sendable {
    public enum Step: Sendable { case create, write, rename }
    public let step: Step
    public let path: String
    public let errno: Int32

    /// "PATH: cannot create: REASON", "PATH: write failed: REASON" or "PATH: cannot rename into place: REASON".
    public var message: String {
        let reason = String(cString: strerror(errno))
        switch step {
        case .create: return "\(path): cannot create: \(reason)"
        case .write: return "\(path): write failed: \(reason)"
        case .rename: return "\(path): cannot rename into place: \(reason)"
        }
    }
}

/// A file written under a temporary name beside its target and renamed over it only when complete
/// (reference §5.1, git's lockfile): a reader, or a job re-run after a kill, sees either no file or the
/// whole file under the final name, never a partial one.
public final class AtomicFileSink: ByteSink {
    public let path: String
    public let tempPath: String
    public let fileDescriptor: Int32
    private let failure: (AtomicFileFailure) -> Error
    private var finished = false

    /// `failure` makes the error thrown for each failed step (default: the `AtomicFileFailure` itself).
    public init(path: String, failure: @escaping (AtomicFileFailure) -> Error = { $0 }) throws {
        self.path = path
        self.failure = failure
        let (directory, name) = Self.split(path)
        tempPath = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fileDescriptor = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fileDescriptor < 0 { throw failure(AtomicFileFailure(step: .create, path: path, errno: errno)) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try FileDescriptorSink(fileDescriptor: fileDescriptor).write(bytes)
        } catch FormatError.io(_, let code) {
            throw failure(AtomicFileFailure(step: .write, path: path, errno: code))
        }
    }

    /// fsync, rename over the target, fsync the directory so the rename itself survives a crash. `target`
    /// (same directory) keeps an unfinished file under another name instead, e.g. the part of an
    /// interrupted expert that a re-run continues from.
    public func commit(as target: String? = nil) throws {
        guard !finished else { return }
        finished = true
        let destination = target ?? path
        if fsync(fileDescriptor) != 0 || close(fileDescriptor) != 0 {
            let code = errno
            unlink(tempPath)
            throw failure(AtomicFileFailure(step: .write, path: destination, errno: code))
        }
        if rename(tempPath, destination) != 0 {
            let code = errno
            unlink(tempPath)
            throw failure(AtomicFileFailure(step: .rename, path: destination, errno: code))
        }
        syncDirectory()
    }

    /// Like `commit`, but never replaces an existing file: `link` fails with EEXIST when another process
    /// got there first, which is how concurrent writers agree on one file. Returns false then.
    public func commitExclusive() throws -> Bool {
        guard !finished else { return false }
        finished = true
        defer { unlink(tempPath) }
        if fsync(fileDescriptor) != 0 || close(fileDescriptor) != 0 {
            throw failure(AtomicFileFailure(step: .write, path: path, errno: errno))
        }
        if link(tempPath, path) != 0 {
            if errno == EEXIST { return false }
            throw failure(AtomicFileFailure(step: .create, path: path, errno: errno))
        }
        syncDirectory()
        return true
    }

    /// Drops the unfinished file: nothing appears under the final name.
    public func abandon() {
        guard !finished else { return }
        finished = true
        close(fileDescriptor)
        unlink(tempPath)
    }

    deinit { abandon() }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String,
                             failure: @escaping (AtomicFileFailure) -> Error = { $0 }) throws {
        let file = try AtomicFileSink(path: path, failure: failure)
        try bytes.withUnsafeBytes { try file.write($0) }
        try file.commit()
    }

    /// The directory ("." for a bare name) and the file name of `path`.
    public static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private func syncDirectory() {
        let directory = open(Self.split(path).directory, O_RDONLY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); close(directory) }
    }
}
