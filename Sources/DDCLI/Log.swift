import Foundation

/// Human messages on stderr, prefixed with the tool name. `--quiet` silences info; warnings and errors
/// always appear because a silent failure in an unattended batch job is worse than noise.
public final class Log: @unchecked Sendable {
    public let tool: String
    public var quiet: Bool
    private let lock = NSLock()
    private var progressVisible = false

    public init(tool: String, quiet: Bool = false) {
        self.tool = tool
        self.quiet = quiet
    }

    public func info(_ message: String) {
        if !quiet { emit("\(tool): \(message)\n") }
    }

    public func warn(_ message: String) {
        emit("\(tool): warning: \(message)\n")
    }

    public func error(_ message: String) {
        emit("\(tool): \(message)\n")
    }

    /// Redraws one status line in place; only on a TTY and never when quiet, so logs captured by a batch
    /// scheduler stay free of carriage-return noise.
    public func progress(_ line: String) {
        guard !quiet, Terminal.stderrIsTTY else { return }
        lock.lock(); defer { lock.unlock() }
        progressVisible = true
        Terminal.writeStderr("\r\u{1B}[2K\(tool): \(line)")
    }

    /// Ends a progress line so the next message starts on a fresh line.
    public func endProgress() {
        lock.lock(); defer { lock.unlock() }
        if progressVisible { Terminal.writeStderr("\r\u{1B}[2K"); progressVisible = false }
    }

    private func emit(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if progressVisible { Terminal.writeStderr("\r\u{1B}[2K"); progressVisible = false }
        Terminal.writeStderr(text)
    }
}

/// Rate-limited progress for long loops: "iteration 120/1000  loss 0.4312  3.1 it/s  ETA 4m44s".
public struct ProgressMeter {
    public let total: Int
    public let label: String
    private let start = Date()
    private var lastDraw = Date.distantPast

    public init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    /// Draws at most 5 times a second; `done` counts completed units.
    public mutating func update(_ done: Int, log: Log, extra: String = "") {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        var line = "\(label) \(done)/\(total)"
        if !extra.isEmpty { line += "  \(extra)" }
        line += String(format: "  %.2f/s  ETA %@", rate, formatDuration(eta))
        log.progress(line)
    }
}

/// "1h02m", "4m44s", "12s": short enough for a status line.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}
