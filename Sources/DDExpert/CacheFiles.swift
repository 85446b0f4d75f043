#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DDFormat

extension ExpertError {
    /// A failed write is an I/O error; a file that cannot be created or renamed into place, `cantCreate`.
    init(atomicFile failure: AtomicFileFailure) {
        self.init(failure.step == .write ? .io : .cantCreate, failure.message)
    }
}

extension AtomicFileSink {
    /// A cache file written atomically, failing with ExpertErrors.
    static func cacheFile(_ path: String) throws -> AtomicFileSink {
        try AtomicFileSink(path: path, failure: ExpertError.init(atomicFile:))
    }

    static func writeCacheFile(_ bytes: [UInt8], to path: String) throws {
        try write(bytes, to: path, failure: ExpertError.init(atomicFile:))
    }
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
