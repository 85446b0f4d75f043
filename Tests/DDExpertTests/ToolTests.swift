import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDExpert

/// End-to-end runs of the built dd-expert binary (it sits next to the test bundle).
@Suite struct ToolTests {
    /// dd-expert without the SLURM_* variables of a scheduler the tests may run under.
    func launch(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningTool {
        let inherited = ProcessInfo.processInfo.environment.keys.filter { $0.hasPrefix("SLURM_") }
        return try ToolRunner.launchTool("dd-expert", arguments, environment: environment, unsetting: Array(inherited))
    }

    func expert(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolOutcome {
        try launch(arguments, environment: environment).finish()
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
        let outcomes = shards.map { $0.finish() }
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
        // Wait until epoch 1 is reported, then send SIGTERM mid-training.
        running.waitForStderr(containing: "epoch 1/6")
        running.send(SIGTERM)
        let outcome = running.finish()
        let text = outcome.stderr
        #expect(outcome.status == 75, "\(text)")
        #expect(text.contains("interrupted before expert 0 was complete"))
        let keyDir = dir + "/cache/" + (directoryListing(dir + "/cache").first ?? "")
        #expect(directoryListing(keyDir).filter { $0.hasPrefix("expert-") || $0.contains(".tmp-") }.isEmpty)
        // The finished epochs are kept, and the re-run continues from them to the bytes of a run made in one go.
        #expect(directoryListing(keyDir).contains(".expert-00000.partial"))
        let rerun = try expert(args)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("continuing its interrupted run after epoch"), "\(rerun.stderr)")
        #expect(try ExpertCache(directory: keyDir).scan(expected: 1).valid == [0])
        let straight = try expert(Array(args.dropLast()) + [dir + "/straight", "-q"])
        #expect(straight.status == 0, "\(straight.stderr)")
        let name = directoryListing(dir + "/straight").first ?? ""
        #expect(try readBytes(keyDir + "/expert-00000.ddt") == readBytes(dir + "/straight/" + name + "/expert-00000.ddt"))
        #expect(!directoryListing(keyDir).contains { $0.hasPrefix(".expert-") })
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

    /// `--balance groups`: refused (65, one line) on a stream without group labels; on one with them it is
    /// part of the cache key, so balanced experts never mix with uniform ones, and the run completes.
    @Test func balancedExpertsNeedGroupsAndGetTheirOwnKey() throws {
        let dir = try makeTempDirectory(); defer { cleanUp(dir) }
        let args = try inputs(dir, epochs: 1) + ["--experts", "1", "--out", dir + "/cache"]
        let refused = try expert(args + ["--balance", "groups"])
        #expect(refused.status == 65 && refused.stderr.contains("group labels")
                && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        var grouped = makeDataset(perClass: 6, side: 16)
        grouped.groups = (0..<grouped.count).map { Int32($0 % 3 == 0 ? 1 : 0) }
        let sink = MemorySink()
        try grouped.withContentDigest().write(to: sink)
        try writeBytes(dir + "/grouped.ddt", sink.bytes)
        let groupedArgs = [dir + "/grouped.ddt"] + args.dropFirst()
        let plainKey = try expert(groupedArgs + ["--print-key"])
        let balancedKey = try expert(groupedArgs + ["--balance", "groups", "--print-key"])
        #expect(plainKey.status == 0 && balancedKey.status == 0, "\(balancedKey.stderr)")
        #expect(!plainKey.stdout.isEmpty && plainKey.stdout != balancedKey.stdout)
        let made = try expert(groupedArgs + ["--balance", "groups", "-q"])
        #expect(made.status == 0, "\(made.stderr)")
        let directory = String(decoding: balancedKey.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let manifest = String(decoding: try readBytes(directory + "/manifest.json"), as: UTF8.self)
        #expect(manifest.contains("\"sampling\":\"group-balanced\""))
        #expect(try ExpertCache(directory: directory).scan(expected: 1).valid == [0])
    }
}
