import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// The built dd-distill with --method mtt|tesla: flags reach the library, errors are one line with the
/// documented exit status, and no output appears on failure.
@Suite struct TrajectoryCLITests {
    typealias F = TrajectoryFixture

    /// Runs dd-distill on the fixture set with `arguments` in a temporary directory (removed afterwards);
    /// returns the exit status, stderr and the output's bytes (nil when no output file appeared).
    func run(_ arguments: [String]) throws -> (status: Int32, log: String, output: [UInt8]?) {
        let f = try F.require()
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/in.ddt", output = directory + "/out.ddt"
        let sink = MemorySink()
        try f.dataset.write(to: sink)
        try Data(sink.bytes).write(to: URL(fileURLWithPath: input))
        let outcome = try ToolRunner.runTool("dd-distill", [input, "--ipc", "1", "--net", F.network, "--syn-steps", "2",
                                                            "--expert-epochs", "1", "--max-start-epoch", "2",
                                                            "--lr-img", "100", "-o", output] + arguments)
        return (outcome.status, outcome.stderr, try? [UInt8](Data(contentsOf: URL(fileURLWithPath: output))))
    }

    @Test func aRunWritesTheLearnedStepSize() throws {
        let f = try F.require()
        let result = try run(["--method", "tesla", "--experts", f.root, "--iterations", "2", "--soft-labels"])
        #expect(result.status == 0, "\(result.log)")
        #expect(result.log.contains("learned step size"))
        let (metadata, records) = try streamRecords(try #require(result.output))
        #expect((metadata["method"]?["syn_lr"]?.doubleValue ?? 0) > 0)
        #expect(metadata["method"]?["soft_labels"] == .bool(true) && records["soft_labels"] != nil)
        let used = Int(try #require(metadata["method"]?["experts_used"]?.doubleValue))
        #expect(used > 0 && result.log.contains("matching the trajectories of \(used) expert(s) from cache"), "\(result.log)")
    }

    @Test func failuresAreOneLineWithTheirExitStatus() throws {
        let f = try F.require()
        let cases: [([String], Int32, String)] = [
            (["--method", "mtt"], 64, "--experts DIR is required"),
            (["--method", "dm", "--experts", f.root], 64, "--experts applies to --method mtt or tesla only"),
            (["--method", "mtt", "--experts", f.root + "/missing"], 66, "no such directory"),
            (["--method", "mtt", "--experts", f.root + "/" + f.otherKey], 65, "does not match this distillation"),
            (["--method", "mtt", "--experts", f.root, "--max-start-epoch", "4"], 64, "needs checkpoints up to epoch 4"),
            (["--method", "tesla", "--experts", f.root, "--lr-init", "1e30", "--max-nonfinite", "2", "--iterations", "5"],
             65, "and in the 1 before it"),
        ]
        for (arguments, status, message) in cases {
            let result = try run(arguments)
            #expect(result.status == status, "\(arguments): \(result.log)")
            let errorLines = result.log.split(separator: "\n").filter {
                !$0.contains("read 18 images") && !$0.contains("matching the trajectories") && !$0.contains("warning")
            }
            #expect(errorLines.count == 1 && errorLines[0].contains(message), "\(arguments): \(result.log)")
            #expect(result.output == nil, "no output on failure")
        }
    }
}
