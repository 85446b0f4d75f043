#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DDFormat

/// A file written under a temporary name beside its target and renamed over it only when complete
/// (reference §5.1, git's lockfile): a reader, or a job re-run after a kill, sees either no file or the
/// whole file under the final name, never a partial one.
final class AtomicFile: ByteSink {
    let path: String
    let tempPath: String
    private var fd: Int32
    private var finished = false

    init(path: String) throws {
        self.path = path
        let (dir, base) = splitPath(path)
        tempPath = "\(dir)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw ExpertError(.cantCreate, "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ExpertError.io("\(path): write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// fsync, rename over the target, fsync the directory so the rename itself survives a crash.
    func commit() throws {
        guard !finished else { return }
        finished = true
        if fsync(fd) != 0 || close(fd) != 0 {
            let text = String(cString: strerror(errno))
            unlink(tempPath)
            throw ExpertError.io("\(path): write failed: \(text)")
        }
        if rename(tempPath, path) != 0 {
            let text = String(cString: strerror(errno))
            unlink(tempPath)
            throw ExpertError(.cantCreate, "\(path): cannot rename into place: \(text)")
        }
        syncDirectory(of: path)
    }

    /// Like `commit`, but never replaces an existing file: `link` fails with EEXIST when another process
    /// got there first, which is how concurrent shards agree on one manifest. Returns false then.
    func commitExclusive() throws -> Bool {
        guard !finished else { return false }
        finished = true
        defer { unlink(tempPath) }
        if fsync(fd) != 0 || close(fd) != 0 {
            throw ExpertError.io("\(path): write failed: \(String(cString: strerror(errno)))")
        }
        if link(tempPath, path) != 0 {
            if errno == EEXIST { return false }
            throw ExpertError(.cantCreate, "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        syncDirectory(of: path)
        return true
    }

    /// Drops the unfinished file: nothing appears under the final name.
    func abandon() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(tempPath)
    }

    deinit { abandon() }

    /// Writes `bytes` to `path` atomically.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let file = try AtomicFile(path: path)
        try bytes.withUnsafeBytes { try file.write($0) }
        try file.commit()
    }
}

func splitPath(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let dir = String(path[..<slash])
    return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
}

func syncDirectory(of path: String) {
    let dirFD = open(splitPath(path).directory, O_RDONLY | O_CLOEXEC)
    if dirFD >= 0 { fsync(dirFD); close(dirFD) }
}

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

/// Reads a small file (manifest, sidecar) with a bound on its size.
func readSmallFile(_ path: String, limit: Int = 16 << 20) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
        let code = errno
        throw ExpertError(code == ENOENT ? .missing : .io, "\(path): cannot open: \(String(cString: strerror(code)))")
    }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ExpertError.io("\(path): read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { return result }
        guard result.count + n <= limit else { throw ExpertError.badData("\(path): larger than \(limit) bytes") }
        result += chunk[0..<n]
    }
}

func makeDirectory(_ path: String) throws {
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
        throw ExpertError(.cantCreate, "\(path): cannot create directory: \(String(cString: strerror(errno)))")
    }
}
