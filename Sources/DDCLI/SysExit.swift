#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses from BSD sysexits(3), the contract every dd tool keeps so scripts and schedulers can
/// tell a bad invocation from bad data from a failing disk.
public enum SysExit: Int32, Sendable {
    case ok = 0
    case usage = 64        // EX_USAGE: bad flags or arguments
    case dataError = 65    // EX_DATAERR: the input is malformed
    case noInput = 66      // EX_NOINPUT: an input file does not exist or cannot be read
    case software = 70     // EX_SOFTWARE: an internal error (a bug in dd)
    case cantCreate = 73   // EX_CANTCREAT: an output file cannot be created
    case ioError = 74      // EX_IOERR: reading or writing failed
    case tempFail = 75     // EX_TEMPFAIL: interrupted; re-running (or --resume) continues
}

/// A failure the tool reports as one line on stderr and turns into an exit status.
public struct ToolError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var exit: SysExit

    public init(_ message: String, exit: SysExit) {
        self.message = message
        self.exit = exit
    }

    public static func usage(_ message: String) -> ToolError { ToolError(message, exit: .usage) }
    public static func data(_ message: String) -> ToolError { ToolError(message, exit: .dataError) }
    public static func noInput(_ message: String) -> ToolError { ToolError(message, exit: .noInput) }
    public static func io(_ message: String) -> ToolError { ToolError(message, exit: .ioError) }

    public var description: String { message }
}

/// Errors from lower layers (format, data, methods) describe themselves with a sysexits status through
/// this protocol, so the CLI layer needs no table of every error type.
public protocol ExitStatusProviding: Error {
    var exitStatus: SysExit { get }
}

extension ToolError: ExitStatusProviding {
    public var exitStatus: SysExit { exit }
}

/// The text of errno as a short phrase ("No such file or directory").
public func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
