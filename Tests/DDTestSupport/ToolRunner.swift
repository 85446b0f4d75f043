import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Runs the built dd-* tools (and python3, gzip, …) for end-to-end tests. stdout and stderr are drained on
// their own threads and stdin is fed from a third: a tool that fills one pipe (64 KB) while the test waits on
// another would otherwise deadlock.

/// What a finished program left behind.
public struct ToolOutcome: Sendable {
    /// The exit status, or the signal number when `terminationReason` is `.uncaughtSignal`.
    public var status: Int32
    public var terminationReason: Process.TerminationReason
    public var stdout: [UInt8]
    public var stderr: String

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Whether stderr is exactly one line: what a dd tool prints for a bad input.
    public var stderrIsOneLine: Bool { stderr.split(separator: "\n").count == 1 }
}

public struct ToolRunnerError: Error, CustomStringConvertible {
    public let description: String
}

public enum ToolRunner {
    /// The executable `name` built beside the test bundle (swift build puts every product in one directory),
    /// or nil when it was not built.
    public static func builtTool(_ name: String) -> String? {
        let bundle = Bundle.main.bundleURL
        let candidates = [bundle.deletingLastPathComponent().path + "/" + name, bundle.path + "/" + name,
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/" + name]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func requireBuiltTool(_ name: String) throws -> String {
        guard let path = builtTool(name) else { throw ToolRunnerError(description: "\(name) not built beside the tests") }
        return path
    }

    /// Runs the built tool `name` to completion.
    public static func runTool(_ name: String, _ arguments: [String], stdin: [UInt8]? = nil,
                               environment: [String: String] = [:], unsetting: [String] = []) throws -> ToolOutcome {
        try launch(try requireBuiltTool(name), arguments, stdin: stdin, environment: environment,
                   unsetting: unsetting).finish()
    }

    /// Starts the built tool `name`; the caller finishes it (and may signal it first).
    public static func launchTool(_ name: String, _ arguments: [String], stdin: [UInt8]? = nil,
                                  environment: [String: String] = [:], unsetting: [String] = []) throws -> RunningTool {
        try launch(try requireBuiltTool(name), arguments, stdin: stdin, environment: environment, unsetting: unsetting)
    }

    /// Runs `program` (a path, or a name looked up on PATH) to completion.
    public static func run(_ program: String, _ arguments: [String], stdin: [UInt8]? = nil,
                           environment: [String: String] = [:], unsetting: [String] = [],
                           directory: URL? = nil) throws -> ToolOutcome {
        try launch(program, arguments, stdin: stdin, environment: environment, unsetting: unsetting,
                   directory: directory).finish()
    }

    /// The stdout of `program`; throws, quoting stderr, when it exits with a non-zero status.
    public static func output(of program: String, _ arguments: [String], stdin: [UInt8]? = nil,
                              directory: URL? = nil) throws -> [UInt8] {
        let outcome = try run(program, arguments, stdin: stdin, directory: directory)
        guard outcome.terminationReason == .exit && outcome.status == 0 else {
            throw ToolRunnerError(description: "\(program) \(arguments.joined(separator: " ")) ended with status "
                                  + "\(outcome.status): \(outcome.stderr)")
        }
        return outcome.stdout
    }

    /// Starts `program` (a path, or a name looked up on PATH) with stdin fed from `stdin` (empty when nil),
    /// the test's environment plus `environment` minus the variables named in `unsetting`.
    public static func launch(_ program: String, _ arguments: [String], stdin: [UInt8]? = nil,
                              environment: [String: String] = [:], unsetting: [String] = [],
                              directory: URL? = nil) throws -> RunningTool {
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        if !environment.isEmpty || !unsetting.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for name in unsetting { merged[name] = nil }
            merged.merge(environment) { _, new in new }
            process.environment = merged
        }
        if let directory { process.currentDirectoryURL = directory }
        return try RunningTool(process, stdin: stdin)
    }
}

/// A started program. Its output is collected as it arrives, so a test can wait for a line before signalling.
public final class RunningTool: @unchecked Sendable {
    public let process: Process
    private let condition = NSCondition()
    private var stdoutBytes: [UInt8] = []
    private var stderrBytes: [UInt8] = []
    private var openStreams = 3   // stdout, stderr, stdin

    init(_ process: Process, stdin: [UInt8]?) throws {
        self.process = process
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        drain(out.fileHandleForReading) { $0.stdoutBytes += $1 }
        drain(err.fileHandleForReading) { $0.stderrBytes += $1 }
        if let stdin {
            Thread { [self] in
                // A child that exits before reading all its stdin must not kill the tests with SIGPIPE: blocked
                // on this thread only, the write fails with EPIPE and the pending signal is consumed here.
                var pipeSignal = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                defer {
                    var noWait = timespec()
                    _ = sigtimedwait(&pipeSignal, nil, &noWait)
                }
                try? input.fileHandleForWriting.write(contentsOf: Data(stdin))
                try? input.fileHandleForWriting.close()
                closeStream()
            }.start()
        } else {
            closeStream()
        }
    }

    private func drain(_ handle: FileHandle, into append: @escaping (RunningTool, [UInt8]) -> Void) {
        Thread { [self] in
            // Raw reads return whatever has arrived, so a test can watch stderr while the program runs.
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                condition.lock()
                append(self, Array(chunk[0..<count]))
                condition.broadcast()
                condition.unlock()
            }
            closeStream()
        }.start()
    }

    private func closeStream() {
        condition.lock()
        openStreams -= 1
        condition.broadcast()
        condition.unlock()
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `number` (SIGTERM, SIGINT, …) to the program.
    public func send(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The stderr text so far.
    public var stderrSoFar: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: stderrBytes, as: UTF8.self)
    }

    /// Waits until stderr contains `text` (true), or the program closes its output or `timeout` passes (false).
    @discardableResult
    public func waitForStderr(containing text: String, timeout: TimeInterval = 120) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !String(decoding: stderrBytes, as: UTF8.self).contains(text) {
            if openStreams == 0 || !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Waits for the program to end and returns what it left. With `killAfter`, a program still running after
    /// that many seconds is killed with SIGKILL, so a child that ignores a signal cannot hang the suite.
    public func finish(killAfter timeout: TimeInterval? = nil) -> ToolOutcome {
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        condition.lock()
        while openStreams > 0 { condition.wait() }
        let outcome = ToolOutcome(status: process.terminationStatus, terminationReason: process.terminationReason,
                                  stdout: stdoutBytes, stderr: String(decoding: stderrBytes, as: UTF8.self))
        condition.unlock()
        return outcome
    }
}
