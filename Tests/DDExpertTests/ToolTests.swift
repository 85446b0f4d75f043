import DDData
import DDFormat
import Foundation
import Testing
@testable import DDExpert

/// End-to-end runs of the built dd-expert binary (it sits next to the test bundle).
@Suite struct ToolTests {
    struct Outcome {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    static func binary() throws -> String {
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent().path
        var candidates = [bundleDir + "/dd-expert", Bundle.main.bundleURL.path + "/dd-expert"]
        candidates += [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/dd-expert"]
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "dd-expert not built")
    }

    func launch(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("SLURM_") { env[key] = nil }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    func finish(_ p: (Process, Pipe, Pipe)) -> Outcome {
        let stdout = p.1.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: p.2.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.0.waitUntilExit()
        return Outcome(status: p.0.terminationStatus, stdout: stdout, stderr: stderr)
    }

    func expert(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        finish(try launch(arguments, environment: environment))
    }

    /// A training and a test stream in `dir`; returns the common arguments of a fast run.
    func inputs(_ dir: String, epochs: Int = 2) throws -> [String] {
        let sink = MemorySink()
        try makeDataset(perClass: 6, side: 16).write(to: sink)
        try writeBytes(dir + "/train.ddt", sink.bytes)
        let testSink = MemorySink()
        try makeDataset(perClass: 2, side: 16, seed: 5).write(to: testSink)
        try writeBytes(dir + "/test.ddt", testSink.bytes)
        return [dir + "/train.ddt", "--test", dir + "/test.ddt", "--epochs", String(epochs), "--arch", "convnet-d1-w4",
                "--batch", "30", "--threads", "1"]
    }

    func slurm(_ id: Int, of count: Int) -> [String: String] {
        ["SLURM_ARRAY_TASK_ID": String(id), "SLURM_ARRAY_TASK_COUNT": String(count),
         "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": String(count - 1)]
    }

    @Test func twoConcurrentShardsGiveTheSameCacheAsOneProcess() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        let args = try inputs(dir) + ["--experts", "3", "-q"]
        let single = try expert(args + ["--out", dir + "/one"])
        #expect(single.status == 0, "\(single.stderr)")
        let shards = try [0, 1].map { try launch(args + ["--out", dir + "/two"], environment: slurm($0, of: 2)) }
        let outcomes = shards.map(finish)
        for o in outcomes { #expect(o.status == 0, "\(o.stderr)") }
        let keys = directoryListing(dir + "/one")
        #expect(keys.count == 1 && directoryListing(dir + "/two") == keys)
        let one = dir + "/one/" + keys[0], two = dir + "/two/" + keys[0]
        let files = directoryListing(one).filter { !$0.hasPrefix(".") }
        #expect(files == ["expert-00000.ddt", "expert-00000.json", "expert-00001.ddt", "expert-00001.json",
                          "expert-00002.ddt", "expert-00002.json", "experts.json", "manifest.json"])
        #expect(directoryListing(two).filter { !$0.hasPrefix(".") } == files)
        for f in files { #expect(try readBytes(one + "/" + f) == readBytes(two + "/" + f), "\(f) differs") }
        let listing = try ExpertCache(directory: two).scan(expected: 3)
        #expect(listing.valid == [0, 1, 2] && listing.missing.isEmpty && listing.corrupt.isEmpty)
        // Re-running the array does nothing.
        let rerun = try expert(args + ["--out", dir + "/two"], environment: slurm(1, of: 2))
        #expect(rerun.status == 0 && rerun.stderr.isEmpty)
        let missing = try expert(args + ["--out", dir + "/two", "--experts", "5", "--list-missing"])
        #expect(String(decoding: missing.stdout, as: UTF8.self) == "3\n4\n")
    }

    @Test func sigtermStopsCleanlyAndARerunCompletes() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        let args = try inputs(dir, epochs: 6) + ["--experts", "1", "--out", dir + "/cache"]
        let running = try launch(args)
        // Read stderr line by line until epoch 1 is reported, then send SIGTERM mid-training.
        var text = ""
        let handle = running.2.fileHandleForReading
        while !text.contains("epoch 1/6") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        running.0.terminate()
        let outcome = finish(running)
        text += outcome.stderr
        #expect(outcome.status == 75, "\(text)")
        #expect(text.contains("interrupted before expert 0 was complete"))
        let keyDir = dir + "/cache/" + (directoryListing(dir + "/cache").first ?? "")
        #expect(directoryListing(keyDir).filter { $0.hasPrefix("expert-") || $0.contains(".tmp-") }.isEmpty)
        let rerun = try expert(args + ["-q"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try ExpertCache(directory: keyDir).scan(expected: 1).valid == [0])
    }

    @Test func pipeModeStreamsTheSameBytesAsTheCacheFile() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        let args = try inputs(dir) + ["--experts", "2", "--index", "1", "-q"]
        let piped = try expert(args + ["-o", "-"])
        #expect(piped.status == 0, "\(piped.stderr)")
        let cached = try expert(args + ["--out", dir + "/cache"])
        #expect(cached.status == 0, "\(cached.stderr)")
        let keyDir = dir + "/cache/" + (directoryListing(dir + "/cache").first ?? "")
        #expect([UInt8](piped.stdout) == (try readBytes(keyDir + "/expert-00001.ddt")))
        let reader = StreamReader(bytes: [UInt8](piped.stdout))
        #expect(try reader.requireKind(.trajectory).metadata["expert"]?.intValue == 1)
        #expect(try reader.readAll().map(\.name) == ["checkpoint/0000", "checkpoint/0001", "checkpoint/0002"])
    }

    @Test func badInputIsOneLineWithTheRightStatus() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        let args = try inputs(dir) + ["--experts", "1", "--out", dir + "/cache"]
        let arch = try expert(args + ["--arch", "convnet9"])
        #expect(arch.status == 64 && arch.stderr.contains("valid names") && arch.stderr.contains("resnet18"))
        let big = MemorySink()
        try makeDataset(perClass: 2, side: 20).write(to: big)
        try writeBytes(dir + "/test32.ddt", big.bytes)
        let geometry = try expert(args + ["--test", dir + "/test32.ddt"])
        #expect(geometry.status == 64 && geometry.stderr.contains("1×20×20"))
        var corrupt = try readBytes(dir + "/train.ddt")
        corrupt[corrupt.count / 2] ^= 0x10
        try writeBytes(dir + "/bad.ddt", corrupt)
        let data = try expert(["--experts", "1", "--epochs", "1", dir + "/bad.ddt", "--out", dir + "/cache"])
        #expect(data.status == 65 && data.stderr.contains("bad.ddt") && data.stderr.split(separator: "\n").count == 1)
        let shard = try expert(args + ["--shard", "2/2"])
        #expect(shard.status == 64)
        #expect(!FileManager.default.fileExists(atPath: dir + "/cache"))
    }
}
