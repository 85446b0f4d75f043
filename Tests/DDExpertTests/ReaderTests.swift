import DDData
import DDFormat
import DDNN
import DDTestSupport
import Foundation
import Testing
@testable import DDExpert

@Suite struct ReaderTests {
    func populated(_ root: String, experts: [Int], epochs: Int = 5) throws -> (ExpertCacheBuilder, ExpertConfiguration) {
        let c = try makeConfiguration(epochs: epochs)
        let b = ExpertCacheBuilder(root: root, configuration: c)
        try b.run(experts: experts, trainer: FormulaTrainer(parameterCount: c.parameterCount))
        return (b, c)
    }

    @Test func loadsCheckpointsSAndSPlusMAsWritten() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let (b, c) = try populated(root, experts: [0, 1])
        let cache = try ExpertCache(directory: b.directory)
        #expect(cache.key == c.key && cache.epochs == 5 && cache.parameterCount == c.parameterCount)
        #expect(cache.layout.map(\.name) == c.parameterLayout.map(\.name))
        #expect(cache.layout.last.map { $0.offset + $0.count } == c.parameterCount)
        let seed = ExpertSeed.seed(base: 0, expert: 1)
        let loaded = try cache.loadCheckpoints(expert: 1, epochs: [2, 4])
        #expect(loaded.count == 2)
        for (j, e) in [2, 4].enumerated() {
            let expected = (0..<c.parameterCount).map { FormulaTrainer.value(seed: seed, epoch: e, index: $0) }
            #expect(loaded[j] == expected)
        }
        #expect(try cache.loadCheckpoints(expert: 1, epochs: [0]) == [(0..<c.parameterCount).map {
            FormulaTrainer.value(seed: seed, epoch: 0, index: $0) }])
        #expect(throws: ExpertError.self) { try cache.loadCheckpoints(expert: 1, epochs: [6]) }
        #expect(cache.diagnostics()[1]?.map(\.testAccuracy) == [0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5])
    }

    @Test func scanReportsMissingAndCorruptExpertsAndGoesOn() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let (b, _) = try populated(root, experts: [0, 2, 3, 5])
        var bytes = try readBytes(b.path(expert: 3))
        bytes[200] ^= 1
        try writeBytes(b.path(expert: 3), bytes)
        let cache = try ExpertCache(directory: b.directory)
        let listing = cache.scan(expected: 7)
        #expect(listing.valid == [0, 2, 5])
        #expect(listing.missing == [1, 4, 6])
        #expect(listing.corrupt.map(\.index) == [3])
        #expect(listing.summary.hasPrefix("3 experts; missing 1, 4, 6; corrupt 3 ("))
        #expect(throws: ExpertError.self) { try cache.loadCheckpoints(expert: 3, epochs: [0, 5]) }
        #expect(try cache.loadCheckpoints(expert: 5, epochs: [1]).count == 1)
        #expect(ExpertCache.keys(root: root) == [b.key])
        #expect(ranges([0, 1, 2, 4, 6, 7]) == "0-2, 4, 6-7")
    }

    @Test func refusesACacheOfAnotherDatasetOrNetworkNamingBoth() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let (b, c) = try populated(root, experts: [0], epochs: 1)
        let cache = try ExpertCache(directory: b.directory)
        try cache.check(datasetDigest: c.dataset.digest, network: c.network)
        try cache.check(configuration: c)
        let otherDigest = makeDataset(seed: 3).contentDigest ?? ""
        do {
            try cache.check(datasetDigest: otherDigest, network: c.network)
            Issue.record("another dataset was accepted")
        } catch let error as ExpertError {
            #expect(error.message.contains(c.dataset.digest) && error.message.contains(otherDigest))
        }
        #expect(throws: ExpertError.self) { try cache.check(datasetDigest: c.dataset.digest, network: .convNet3) }
        let other = try makeConfiguration(epochs: 1, recipe: { $0.learningRate = 0.1 })
        do {
            try cache.check(configuration: other)
            Issue.record("another recipe was accepted")
        } catch let error as ExpertError {
            #expect(error.message.contains(c.key) && error.message.contains(other.key))
        }
        #expect(throws: ExpertError.self) { try ExpertCache(directory: root + "/nonexistent") }
    }
}

@Suite struct PythonInteropTests {
    /// python/ddt.py (an independent reader of the format) sees the layout docs/expert.md promises.
    @Test func pythonReadsAnExpertFile() throws {
        let root = try makeTempDirectory(); defer { cleanUp(root) }
        let c = try makeConfiguration(epochs: 2)
        let b = ExpertCacheBuilder(root: root, configuration: c)
        try b.run(experts: [3], trainer: FormulaTrainer(parameterCount: c.parameterCount))
        let script = """
        import sys; sys.path.insert(0, sys.argv[1] + "/python"); import ddt
        arrays, meta = ddt.load(sys.argv[2])
        s = meta["stream"]
        print(meta["kind"], s["expert"], s["parameter_count"], s["cache_key"], sorted(arrays))
        print(repr(float(arrays["checkpoint/0002"][5])), [r["epoch"] for r in meta["records"].values()])
        """
        let python = try ToolRunner.run("python3", ["-c", script, repositoryRoot.path, b.path(expert: 3)])
        #expect(python.status == 0, "\(python.stderr)")
        let text = python.stdoutText
        let seed = ExpertSeed.seed(base: 0, expert: 3)
        let value = Double(FormulaTrainer.value(seed: seed, epoch: 2, index: 5))
        #expect(text == """
        trajectory 3 \(c.parameterCount) \(c.key) ['checkpoint/0000', 'checkpoint/0001', 'checkpoint/0002']
        \(value) [0, 1, 2]

        """)
    }
}
