import DDData
import DDFormat
import DDRender

// Lower layers classify their own errors; these conformances map them onto the sysexits statuses
// (docs/cli.md) in one place, so no executable keeps its own table.

extension DataError: ExitStatusProviding {
    public var exitStatus: SysExit { SysExit(rawValue: exitCode) ?? .software }
}

extension FormatError: ExitStatusProviding {
    public var exitStatus: SysExit {
        if isDataError { return .dataError }
        if case .misuse = self { return .software }
        return .ioError
    }
}

extension RenderError: ExitStatusProviding {
    public var exitStatus: SysExit {
        switch kind {
        case .invalidArgument: return .usage
        case .invalidData: return .dataError
        case .internalFailure: return .software
        }
    }
}

// The tools' files are the format's byte ends: a stream writes straight into an atomic output (EPIPE
// becomes a quiet exit) and reads straight from a file or stdin.
extension OutputFile: ByteSink {}
extension InputFile: ByteSource {}
