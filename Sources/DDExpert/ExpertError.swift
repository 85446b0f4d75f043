/// A failure of the expert cache, described in one line. DDExpert sits below DDCLI, so it classifies its
/// own errors with sysexits statuses (the raw values) for the CLI layer to map.
public struct ExpertError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Int32, Sendable {
        case usage = 64        // bad selection, unknown architecture, geometry/class mismatch
        case badData = 65      // corrupt expert file, key mismatch, malformed manifest
        case missing = 66      // no manifest / cache directory
        case cantCreate = 73   // cache directory or file cannot be created
        case io = 74           // read/write failure
        case interrupted = 75  // SIGTERM/SIGINT: stopped at a batch boundary; re-running continues
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func usage(_ m: String) -> ExpertError { ExpertError(.usage, m) }
    public static func badData(_ m: String) -> ExpertError { ExpertError(.badData, m) }
    public static func io(_ m: String) -> ExpertError { ExpertError(.io, m) }

    public var exitCode: Int32 { kind.rawValue }
    public var description: String { message }
}
