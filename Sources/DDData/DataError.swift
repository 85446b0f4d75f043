/// A failure while locating, decoding or checking a dataset, described in one line.
///
/// DDData sits below DDCLI in the module layering, so it carries its own classification; the CLI layer
/// maps `kind` to a sysexits status (the raw values here are those statuses).
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Int32, Sendable {
        case usage = 64          // EX_USAGE: unknown dataset, bad class list, …
        case badData = 65        // EX_DATAERR: malformed file, checksum mismatch, broken invariant
        case missingInput = 66   // EX_NOINPUT: no mirror, cache or network source has the file
        case io = 74             // EX_IOERR: a read, write or download failed mid-way
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func usage(_ message: String) -> DataError { DataError(.usage, message) }
    public static func badData(_ message: String) -> DataError { DataError(.badData, message) }
    public static func missing(_ message: String) -> DataError { DataError(.missingInput, message) }
    public static func io(_ message: String) -> DataError { DataError(.io, message) }

    /// The sysexits status this error should end a tool with.
    public var exitCode: Int32 { kind.rawValue }

    public var description: String { message }
}
