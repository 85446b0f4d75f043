import DDTestSupport
import Foundation
import Testing

/// The shared runner every end-to-end test uses: it must not deadlock on full pipes, must survive a child
/// that leaves its stdin unread, and must pass environments and signals through.
@Suite struct ToolRunnerTests {
    /// 1 MB on stderr before any stdout, with 1 MB of stdin echoed back: reading one pipe to its end before
    /// the other, or writing stdin on the reading thread, blocks both processes for ever.
    @Test func largeStdinStdoutAndStderrDoNotDeadlock() throws {
        let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let script = "import sys; d = sys.stdin.buffer.read(); sys.stderr.write('e' * (1 << 20)); "
            + "sys.stderr.flush(); sys.stdout.buffer.write(d)"
        let outcome = try ToolRunner.launch("python3", ["-c", script], stdin: input).finish(killAfter: 60)
        #expect(outcome.terminationReason == .exit && outcome.status == 0)
        #expect(outcome.stdout == input)
        #expect(outcome.stderr.count == 1 << 20 && outcome.stderrIsOneLine)
    }

    @Test func aChildThatIgnoresItsStdinLeavesTheTestsRunning() throws {
        let outcome = try ToolRunner.run("true", [], stdin: [UInt8](repeating: 1, count: 1 << 22))
        #expect(outcome.status == 0 && outcome.stdout.isEmpty)
    }

    @Test func environmentIsAddedToAndUnset() throws {
        let outcome = try ToolRunner.run("env", [], environment: ["DD_RUNNER_ADDED": "yes"], unsetting: ["HOME"])
        let lines = outcome.stdoutText.split(separator: "\n")
        #expect(lines.contains("DD_RUNNER_ADDED=yes"))
        #expect(!lines.contains { $0.hasPrefix("HOME=") })
        #expect(lines.contains { $0.hasPrefix("PATH=") }, "the rest is inherited")
    }

    @Test func aLaunchedProgramCanBeWatchedAndSignalled() throws {
        // The test runner's threads block SIGTERM and a child inherits that mask: unblock it, as dd tools do.
        let script = "import signal, sys, time; signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM]); "
            + "print('ready', file=sys.stderr, flush=True); time.sleep(60)"
        let running = try ToolRunner.launch("python3", ["-c", script])
        #expect(running.waitForStderr(containing: "ready\n", timeout: 30))
        running.send(SIGTERM)
        let outcome = running.finish(killAfter: 30)
        #expect(outcome.terminationReason == .uncaughtSignal && outcome.status == SIGTERM)
        #expect(outcome.stderr == "ready\n" && outcome.stderrIsOneLine, "\(outcome.stderr)")
    }

    @Test func outputThrowsOnAFailureAndAMissingToolIsNamed() throws {
        #expect(try ToolRunner.output(of: "printf", ["a%sc", "b"]) == Array("abc".utf8))
        #expect(throws: ToolRunnerError.self) { try ToolRunner.output(of: "false", []) }
        #expect(ToolRunner.builtTool("dd-no-such-tool") == nil)
        #expect(throws: ToolRunnerError.self) { try ToolRunner.runTool("dd-no-such-tool", []) }
    }
}
