import Foundation

/// Where original dataset files are looked for, in order: a mirror (`--from DIR`, else `$DD_DATA`), the
/// directories system packages install into, the user cache, then the publishers' URLs (downloaded into
/// the cache with curl).
public struct FetchOptions: Sendable {
    /// Mirror root laid out as `ROOT/NAME/<original file names>`; files may be gzip or decompressed.
    public var mirror: String?
    public var useSystemDirectories = true
    /// Cache root; dataset files go in `cache/NAME/`.
    public var cacheDirectory: String?
    public var allowDownload = true
    /// Replaces each dataset's own URL prefixes (tests point this at file:// URLs).
    public var downloadBasesOverride: [String]?
    public var connectTimeoutSeconds = 15
    public var downloadTimeoutSeconds = 900
    /// Check SHA-256 of decompressed content against the registry.
    public var verify = true

    public init(mirror: String? = nil, cacheDirectory: String? = nil, verify: Bool = true) {
        self.mirror = mirror
        self.cacheDirectory = cacheDirectory
        self.verify = verify
    }

    /// Options from the environment: `--from` if given, else `$DD_DATA`; cache `$XDG_CACHE_HOME/dd`, else
    /// `$HOME/.cache/dd`.
    public static func standard(from: String?, verify: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) -> FetchOptions {
        let mirror = from ?? environment["DD_DATA"].flatMap { $0.isEmpty ? nil : $0 }
        var cache: String?
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            cache = xdg + "/dd"
        } else if let home = environment["HOME"], !home.isEmpty {
            cache = home + "/.cache/dd"
        }
        return FetchOptions(mirror: mirror, cacheDirectory: cache, verify: verify)
    }
}

/// A located file and which kind of place it came from.
public struct LocatedFile: Equatable, Sendable {
    public enum Origin: String, Sendable { case mirror, system, cache, download }
    public var path: String
    public var origin: Origin
}

public struct SourceLocator: Sendable {
    public var options: FetchOptions

    public init(_ options: FetchOptions) { self.options = options }

    /// Finds `file` of `spec`, downloading it into the cache if no local copy exists. Failing everywhere
    /// is a `missingInput` error listing every place tried.
    public func locate(_ file: SourceFile, of spec: DatasetSpec) throws -> LocatedFile {
        var tried: [String] = []
        var directories: [(String, LocatedFile.Origin)] = []
        if let mirror = options.mirror { directories.append((mirror + "/" + spec.name, .mirror)) }
        if options.useSystemDirectories { directories += spec.systemDirectories.map { ($0, .system) } }
        let cacheDir = options.cacheDirectory.map { $0 + "/" + spec.name }
        if let cacheDir { directories.append((cacheDir, .cache)) }

        for (directory, origin) in directories {
            for candidate in Set([file.name, file.decompressedName]).sorted(by: { $0.count > $1.count }) {
                let path = directory + "/" + candidate
                if Self.isReadableFile(path) { return LocatedFile(path: path, origin: origin) }
            }
            tried.append(directory + "/" + (file.name == file.decompressedName ? file.name : file.decompressedName + "{.gz,}"))
        }

        if options.allowDownload {
            let bases = options.downloadBasesOverride ?? spec.downloadBases
            if let cacheDir {
                for base in bases {
                    let url = base + file.name
                    switch download(url, into: cacheDir, as: file.name, maxBytes: file.maxBytes) {
                    case .success(let path): return LocatedFile(path: path, origin: .download)
                    case .failure(let reason): tried.append("\(url) (\(reason))")
                    }
                }
            } else {
                tried += bases.map { "\($0)\(file.name) (no cache directory: set XDG_CACHE_HOME or HOME)" }
            }
        }
        let mirrorHint = options.mirror == nil ? "; use --from DIR or DD_DATA=DIR with DIR/\(spec.name)/\(file.name)" : ""
        throw DataError.missing("\(spec.name): \(file.name) not found; tried \(tried.joined(separator: ", "))\(mirrorHint)")
    }

    static func isReadableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
    }

    struct DownloadFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Downloads with curl into a temp file in the cache directory, renamed into place only when complete,
    /// so an interrupted download never looks like a cached file.
    /// `maxBytes` (the decompressed bound, which a compressed file stays under) caps what a misbehaving
    /// server can write into the cache.
    func download(_ url: String, into directory: String, as name: String, maxBytes: Int) -> Result<String, DownloadFailure> {
        guard let curl = Self.findExecutable("curl") else { return .failure(DownloadFailure(description: "curl not installed")) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return .failure(DownloadFailure(description: "cannot create \(directory)"))
        }
        let final = directory + "/" + name
        let temp = directory + "/." + name + ".part-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: curl)
        process.arguments = ["--fail", "--silent", "--show-error", "--location",
                             "--connect-timeout", String(options.connectTimeoutSeconds),
                             "--max-time", String(options.downloadTimeoutSeconds),
                             "--max-filesize", String(maxBytes),
                             "--output", temp, url]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(DownloadFailure(description: "cannot run curl"))
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            unlink(temp)
            let text = String(decoding: message, as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map(String.init) ?? "curl exit \(process.terminationStatus)"
            return .failure(DownloadFailure(description: text))
        }
        guard rename(temp, final) == 0 else {
            unlink(temp)
            return .failure(DownloadFailure(description: "cannot rename into \(final)"))
        }
        return .success(final)
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
