import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing

/// End-to-end runs of the built dd-eval binary (it sits next to the test bundle): exit statuses and one-line
/// errors for every bad input of issue 4.
@Suite struct EvalToolTests {
    static func binary() -> String? { ToolRunner.builtTool("dd-eval") }

    func evaluate(_ arguments: [String]) throws -> ToolOutcome {
        try ToolRunner.runTool("dd-eval", arguments)
    }

    func write(_ dataset: Dataset, _ path: String, kind: StreamKind = .dataset) throws {
        let sink = MemorySink()
        try dataset.write(to: sink, kind: kind)
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
    }

    static let quick = ["--arch", "convnet-d1-w4", "--nets", "2", "--epochs", "1", "--aug", "none", "--batch", "6"]

    @Test(.enabled(if: binary() != nil)) func evaluatesATinySetAndAppendsJSONLines() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(toyDataset(), dir + "/train.ddt")
        try write(toyDataset(perClass: [2, 2, 2], seed: 4), dir + "/test.ddt")
        let outcome = try evaluate([dir + "/train.ddt", "--test", dir + "/test.ddt", "--json", dir + "/r.jsonl",
                                    "--report-stdout", "-q"] + Self.quick)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdoutText.contains("convnet-d1-w4") && outcome.stdoutText.contains("2 epochs"))
        let lines = try String(contentsOfFile: dir + "/r.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let parsed = try lines.map { try JSONValue.parse(String($0)) }
        #expect(parsed.map { $0["type"]?.stringValue ?? "" } == ["network", "network", "summary"])
        #expect(parsed[2]["accuracy"]?["n"]?.doubleValue == 2)

        // A second process finishing network 1 alone appends the same network line (but its own summary).
        let rest = try evaluate([dir + "/train.ddt", "--test", dir + "/test.ddt", "--json", dir + "/r.jsonl", "-q",
                                 "--index", "1"] + Self.quick)
        #expect(rest.status == 0, "\(rest.stderr)")
        let all = try String(contentsOfFile: dir + "/r.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONValue.parse(String($0)) }
        #expect(all.count == 5)
        #expect(all[3]["index"]?.doubleValue == 1 && all[3]["accuracy"] == parsed[1]["accuracy"])
        #expect(all[3]["loss"] == parsed[1]["loss"])
        #expect(all[4]["selection"]?.stringValue == "index 1" && all[4]["networks_total"]?.doubleValue == 2)
    }

    @Test(.enabled(if: binary() != nil)) func sigtermEndsCleanlyWithAMessageAndTempfail() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(toyDataset(), dir + "/train.ddt")
        let tool = try ToolRunner.launchTool("dd-eval", [dir + "/train.ddt", "--test", dir + "/train.ddt", "--arch", "mlp",
                                                         "--epochs", "100000", "--aug", "none", "--nets", "1"])
        // Wait until training has started (the first log line), then ask it to stop.
        tool.waitForStderr(containing: "network(s)")
        tool.send(SIGTERM)
        // Never hang the suite: a child that ignores SIGTERM is killed after 30 s (and the test fails).
        let outcome = tool.finish(killAfter: 30)
        let text = outcome.stderr
        #expect(outcome.status == 75, "\(text)")
        #expect(text.contains("interrupted by a signal"))
    }

    @Test(.enabled(if: binary() != nil)) func badInputsEndWithOneLineAndTheirStatus() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = dir + "/train.ddt", test = dir + "/test.ddt"
        try write(toyDataset(), train)
        try write(toyDataset(perClass: [2, 2, 2], seed: 4), test)
        try write(toyDataset(perClass: [2, 2, 2], side: 6), dir + "/small.ddt")
        try write(toyDataset(perClass: [2, 2, 2, 2]), dir + "/four.ddt")
        try write(toyDataset(perClass: [2, 0, 2]), dir + "/empty-class.ddt")
        try write(toyDataset(), dir + "/trajectory.ddt", kind: .trajectory)

        func expectFailure(_ args: [String], status: Int32, mentions: [String]) throws {
            let outcome = try evaluate(Self.quick.filter { $0 != "convnet-d1-w4" && $0 != "--arch" } + args)
            #expect(outcome.status == status, "\(args): \(outcome.stderr)")
            #expect(outcome.stderrIsOneLine, "\(outcome.stderr)")
            for text in mentions { #expect(outcome.stderr.contains(text), "\(outcome.stderr) lacks \(text)") }
        }
        try expectFailure([train, "--test", dir + "/small.ddt"], status: 65, mentions: ["1×6×6", "1×8×8"])
        try expectFailure([train, "--test", dir + "/four.ddt"], status: 65, mentions: ["4 classes", "3"])
        try expectFailure([dir + "/empty-class.ddt", "--test", test], status: 65, mentions: ["class 1", "no images"])
        try expectFailure([dir + "/trajectory.ddt", "--test", test], status: 65, mentions: ["trajectory"])
        try expectFailure([dir + "/missing.ddt", "--test", test], status: 66, mentions: ["missing.ddt"])
        try expectFailure([train, "--test", test, "--arch", "convnet,transformer"], status: 64,
                          mentions: ["transformer", "resnet18", "lenet"])
        try expectFailure([train, "--test", test, "--lr-from-set"], status: 65, mentions: ["syn_lr"])
        // Flag validation and parse errors are one line too, pointing at --help.
        try expectFailure([train, "--test", test, "--nets", "0"], status: 64, mentions: ["--nets must be at least 1", "dd-eval --help"])
        try expectFailure([train, "--test", test, "--nets", "many"], status: 64, mentions: ["dd-eval: the value 'many' is invalid for '--nets"])
        try expectFailure([train], status: 64, mentions: ["--test"])
        try expectFailure([train, "--test", test, "--shard", "2/2"], status: 64, mentions: ["--shard 2/2", "0 ≤ i < n"])
        try expectFailure([train, "--test", test, "--index", "0,7"], status: 64, mentions: ["--index 7", "--nets 2"])
        try expectFailure([train, "--test", test, "--index", "0", "--shard", "0/2"], status: 64, mentions: ["exclude each other"])
    }
}
