import ArgumentParser
import DDKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options every dd tool accepts.
public struct CommonOptions: ParsableArguments {
    @Option(help: "Seed for every random choice; the same seed gives the same bytes.")
    public var seed: UInt64 = 0

    @Option(help: "Worker threads (default: all cores).")
    public var threads: Int?

    @Flag(name: .shortAndLong, help: "Only warnings and errors on stderr.")
    public var quiet = false

    public init() {}

    public func validate() throws {
        if let t = threads, t < 1 || t > 256 {
            throw ValidationError("--threads must be between 1 and 256, got \(t)")
        }
    }

    /// The thread count in force: the flag, else every core.
    public var resolvedThreads: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// Applies `--threads` to the engine's parallel loops and OpenBLAS; numeric tools call it first.
    public func applyThreads() {
        Threads.set(resolvedThreads)
    }
}

/// Runs a tool body with the shared error policy: one line on stderr naming what is wrong, a sysexits
/// status, no partial outputs, and a quiet end when the downstream reader closed the pipe.
public enum Tool {
    public static func run(_ log: Log, _ body: () throws -> Void) -> Never {
        do {
            try body()
            exit(SysExit.ok.rawValue)
        } catch is BrokenPipe {
            Signals.exitForBrokenPipe()
        } catch {
            log.endProgress()
            log.error(oneLine(error))
            Signals.removeTemps()
            exit(status(of: error).rawValue)
        }
    }

    /// Tells the user, once at start, when OpenBLAS runs its slow generic kernels on a CPU that has faster ones.
    public static func adviseOnBLAS(_ log: Log) {
        if !log.quiet, let advice = BLASCore.fallbackAdvice() { log.warn(advice) }
    }

    /// The exit status an error maps to; unknown errors are our bugs.
    public static func status(of error: Error) -> SysExit {
        if let provider = error as? ExitStatusProviding { return provider.exitStatus }
        if error is ValidationError { return .usage }
        return .software
    }

    /// Error text folded onto one line, so logs stay greppable.
    public static func oneLine(_ error: Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// Prefixes an error from a lower layer with the file it concerns, keeping its exit status.
public func inFile<T>(_ name: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as BrokenPipe {
        throw error
    } catch let error as ToolError {
        throw error
    } catch {
        throw ToolError("\(name): \(Tool.oneLine(error))", exit: Tool.status(of: error))
    }
}
