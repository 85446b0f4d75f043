import DDData
import DDFormat
import DDNN
import DDTrain
import Testing
@testable import DDExpert

@Suite struct KeyAndSeedTests {
    @Test func keyIsStableAndIsTheHashOfTheCanonicalConfiguration() throws {
        let a = try makeConfiguration(), b = try makeConfiguration()
        #expect(a.key == b.key)
        #expect(a.key.count == 64 && a.key.allSatisfy(\.isHexDigit))
        // Independent of how the JSON object was built: re-parse the canonical text and hash it again.
        let text = a.keyJSON.serialized()
        #expect(SHA256.hexDigest(of: Array((try JSONValue.parse(text)).serialized().utf8)) == a.key)
        #expect(text.contains("\"content_digest\":\"\(a.dataset.digest)\""))
    }

    @Test func anyChangeToRecipeDataOrNetworkChangesTheKey() throws {
        let base = try makeConfiguration().key
        var variants: [String: String] = [:]
        variants["lr"] = try makeConfiguration(recipe: { $0.learningRate = 0.02 }).key
        variants["momentum"] = try makeConfiguration(recipe: { $0.momentum = 0.5 }).key
        variants["wd"] = try makeConfiguration(recipe: { $0.weightDecay = 1e-4 }).key
        variants["batch"] = try makeConfiguration(recipe: { $0.batchSize = 32 }).key
        variants["aug"] = try makeConfiguration(recipe: { $0.augmentation = .none }).key
        variants["epochs"] = try makeConfiguration(epochs: 3).key
        variants["seed"] = try makeConfiguration(seed: 1).key
        variants["spec"] = try makeConfiguration(spec: "convnet-d1-w8").key
        variants["activation"] = try makeConfiguration(spec: "convnet-d1-w4-sigmoid").key
        variants["data"] = try makeConfiguration(dataset: makeDataset(seed: 2)).key
        variants["order"] = try makeConfiguration(dataset: {
            var d = makeDataset(); d.labels.swapAt(0, 1); return d.withContentDigest() }()).key
        var withTest = try makeConfiguration()
        withTest.testSet = DatasetIdentity(makeDataset(perClass: 5, seed: 9))
        variants["test"] = withTest.key
        for (what, key) in variants { #expect(key != base, "changing \(what) kept the key") }
        #expect(Set(variants.values).count == variants.count)
    }

    @Test func expertSeedsAreDeterministicDistinctAndDependOnTheBase() {
        let seeds = (0..<100).map { ExpertSeed.seed(base: 0, expert: $0) }
        #expect(Set(seeds).count == 100)
        #expect(seeds == (0..<100).map { ExpertSeed.seed(base: 0, expert: $0) })
        #expect(ExpertSeed.seed(base: 1, expert: 0) != seeds[0])
        // The documented rule, computed here from its definition.
        var z: UInt64 = (5 ^ 0x6464_6578_7065_7274) &+ 0x9E37_79B9_7F4A_7C15 &* 4
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        #expect(ExpertSeed.seed(base: 5, expert: 3) == z ^ (z >> 31))
    }

    /// dd-eval trains network k from `Trainer.derivedSeed(base, k)`; an expert sharing that seed would hand
    /// trajectory matching the evaluation networks' own initialisations.
    @Test func expertSeedsNeverEqualEvaluationNetworkSeeds() {
        for base: UInt64 in [0, 1, 2, 3, 42] {
            let evaluation = Set((0..<64).map { Trainer.derivedSeed(base, $0) })
            for otherBase: UInt64 in [0, 1, 2, 3, 42] {
                let experts = (0..<64).map { ExpertSeed.seed(base: otherBase, expert: $0) }
                #expect(evaluation.isDisjoint(with: experts), "expert base \(otherBase) against dd-eval base \(base)")
            }
        }
    }

    @Test func shardsPartitionTheExpertsAndSlurmVariablesSelectThem() throws {
        var seen: [Int] = []
        for i in 0..<3 { seen += try ExpertSelection.parseShard("\(i)/3").indices(experts: 10) }
        #expect(seen.sorted() == Array(0..<10))
        #expect(try ExpertSelection.parseShard("1/3").indices(experts: 10) == [1, 4, 7])
        for bad in ["3/3", "-1/2", "1", "a/b", "1/0"] {
            #expect(throws: ExpertError.self) { try ExpertSelection.parseShard(bad) }
        }
        let contiguous = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2",
                          "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "1"]
        #expect(try ExpertSelection.resolve(index: nil, shard: nil, environment: contiguous) == .shard(index: 1, count: 2))
        // --array=3,7 (from --list-missing): the task id is the expert index.
        let listed = ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "2",
                      "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "7"]
        #expect(try ExpertSelection.resolve(index: nil, shard: nil, environment: listed) == .index(7))
        // Explicit flags win over the environment; nothing set means every expert.
        #expect(try ExpertSelection.resolve(index: 4, shard: nil, environment: contiguous) == .index(4))
        #expect(try ExpertSelection.resolve(index: nil, shard: nil, environment: [:]) == .all)
        #expect(throws: ExpertError.self) { try ExpertSelection.index(10).indices(experts: 10) }
    }

    @Test func configurationRefusesEmptyClassesAndMismatchedTestSets() throws {
        var empty = makeDataset()
        empty.labels = empty.labels.map { $0 == 3 ? 4 : $0 }
        #expect(throws: ExpertError.self) { try makeConfiguration(dataset: empty.withContentDigest()).validate() }
        var c = try makeConfiguration()
        c.testSet = DatasetIdentity(makeDataset(perClass: 2, side: 32))
        #expect(throws: ExpertError.self) { try c.validate() }
        c.testSet = DatasetIdentity(makeDataset(perClass: 2, classes: 5))
        #expect(throws: ExpertError.self) { try c.validate() }
        #expect(throws: ExpertError.self) { try makeConfiguration(epochs: 0).validate() }
    }
}
