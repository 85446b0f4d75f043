import DDData
import DDFormat
import Foundation
import Testing

/// End-to-end runs of the built dd-eval binary (it sits next to the test bundle): exit statuses and one-line
/// errors for every bad input of issue 4.
@Suite struct EvalToolTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var oneLineError: Bool { stderr.split(separator: "\n").count == 1 }
    }

    static func binary() -> String? {
        let bundle = Bundle.main.bundleURL
        let candidates = [bundle.deletingLastPathComponent().path + "/dd-eval", bundle.path + "/dd-eval",
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/dd-eval"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func evaluate(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.binary(), "dd-eval not built"))
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    func write(_ dataset: Dataset, _ path: String, kind: StreamKind = .dataset) throws {
        let sink = MemorySink()
        try dataset.write(to: sink, kind: kind)
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
    }

    func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dd-eval-tool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let quick = ["--arch", "convnet-d1-w4", "--nets", "2", "--epochs", "1", "--aug", "none", "--batch", "6"]

    @Test(.enabled(if: binary() != nil)) func evaluatesATinySetAndAppendsJSONLines() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(toyDataset(), dir + "/train.ddt")
        try write(toyDataset(perClass: [2, 2, 2], seed: 4), dir + "/test.ddt")
        let outcome = try evaluate([dir + "/train.ddt", "--test", dir + "/test.ddt", "--json", dir + "/r.jsonl",
                                    "--report-stdout", "-q"] + Self.quick)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdout.contains("convnet-d1-w4") && outcome.stdout.contains("2 epochs"))
        let lines = try String(contentsOfFile: dir + "/r.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let parsed = try lines.map { try JSONValue.parse(String($0)) }
        #expect(parsed.map { $0["type"]?.stringValue ?? "" } == ["network", "network", "summary"])
        #expect(parsed[2]["accuracy"]?["n"]?.doubleValue == 2)
    }

    @Test(.enabled(if: binary() != nil)) func sigtermEndsCleanlyWithAMessageAndTempfail() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(toyDataset(), dir + "/train.ddt")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.binary()))
        process.arguments = [dir + "/train.ddt", "--test", dir + "/train.ddt", "--arch", "mlp", "--epochs", "100000",
                             "--aug", "none", "--nets", "1"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until training has started (the first log line), then ask it to stop.
        let handle = err.fileHandleForReading
        var text = ""
        while !text.contains("network(s)") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        process.terminate()
        // Never hang the suite: a child that ignores SIGTERM is killed after 30 s (and the test fails).
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        text += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 75, "\(text)")
        #expect(text.contains("interrupted by a signal"))
    }

    @Test(.enabled(if: binary() != nil)) func badInputsEndWithOneLineAndTheirStatus() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = dir + "/train.ddt", test = dir + "/test.ddt"
        try write(toyDataset(), train)
        try write(toyDataset(perClass: [2, 2, 2], seed: 4), test)
        try write(toyDataset(perClass: [2, 2, 2], side: 6), dir + "/small.ddt")
        try write(toyDataset(perClass: [2, 2, 2, 2]), dir + "/four.ddt")
        try write(toyDataset(perClass: [2, 0, 2]), dir + "/empty-class.ddt")
        try write(toyDataset(), dir + "/trajectory.ddt", kind: .trajectory)

        func expectFailure(_ args: [String], status: Int32, mentions: [String], oneLine: Bool = true) throws {
            let outcome = try evaluate(Self.quick.filter { $0 != "convnet-d1-w4" && $0 != "--arch" } + args)
            #expect(outcome.status == status, "\(args): \(outcome.stderr)")
            if oneLine { #expect(outcome.oneLineError, "\(outcome.stderr)") }
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
        // ArgumentParser's own flag validation adds its usage line after the one-line message.
        try expectFailure([train, "--test", test, "--nets", "0"], status: 64, mentions: ["--nets must be at least 1"], oneLine: false)
    }
}
