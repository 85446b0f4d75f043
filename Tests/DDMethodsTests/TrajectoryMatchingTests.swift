import DDData
import DDEval
import DDFormat
import DDTensor
import DDTrain
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

@Suite struct TrajectoryMatchingTests {
    typealias F = TrajectoryFixture

    func output(_ distiller: Distiller) throws -> (bytes: [UInt8], metadata: JSONValue, dataset: Dataset) {
        let sink = MemorySink()
        try distiller.writeSynthetic(to: sink, stop: .completed)
        let (metadata, _) = try streamRecords(sink.bytes)
        return (sink.bytes, metadata, try Dataset.read(from: StreamReader(bytes: sink.bytes)))
    }

    @Test(arguments: [DistillMethodName.mtt, .tesla])
    func theLearnedStepSizeReachesDDEval(_ method: DistillMethodName) throws {
        let f = try F.require()
        let distiller = try Distiller(config: F.config(method, experts: f.root, iterations: 3), dataset: f.dataset)
        #expect(try distiller.run(DistillRunOptions()) == .completed)
        #expect(distiller.state.losses.count == 3 && distiller.state.losses.allSatisfy { $0.isFinite && $0 > 0 })
        let learned = try #require(distiller.state.trajectory?.stepSize)
        #expect(learned != 0.01 && learned > 0, "α moved: \(learned)")
        let (_, metadata, synthetic) = try output(distiller)
        #expect(metadata["method"]?["syn_lr"]?.doubleValue == learned)
        #expect(metadata["method"]?["expert_cache"]?.stringValue == f.key)
        #expect(synthetic.count == 3 && synthetic.softLabels == nil)
        var options = RecipeOptions()
        options.learningRateFromSet = true
        let (recipe, source) = try options.recipe(for: synthetic, metadata: metadata)
        #expect(recipe.learningRate == learned)
        #expect(source.contains("syn_lr"))
    }

    @Test func softLabelsComeFromTheTargetExpertAndAreStored() throws {
        let f = try F.require()
        let distiller = try Distiller(config: F.config(.mtt, experts: f.root, iterations: 2, softLabels: true),
                                      dataset: f.dataset)
        _ = try distiller.run(DistillRunOptions())
        let (_, metadata, synthetic) = try output(distiller)
        let soft = try #require(synthetic.softLabels)
        #expect(soft.count == 3 * 3)
        for row in 0..<3 { #expect(abs(soft[(3 * row)..<(3 * row + 3)].reduce(0, +) - 1) < 1e-5) }
        #expect(Set(soft).count > 3, "probabilities, not one-hot")
        var options = RecipeOptions()
        options.learningRateFromSet = true
        #expect(try options.recipe(for: synthetic, metadata: metadata).recipe.loss == .softCrossEntropy(temperature: 1))
    }

    @Test(arguments: [(DistillMethodName.mtt, true), (.tesla, false)])
    func resumeEqualsAnUninterruptedRun(_ method: DistillMethodName, _ softLabels: Bool) throws {
        let f = try F.require()
        let config = F.config(method, experts: f.root, iterations: 4, softLabels: softLabels)
        let straight = try Distiller(config: config, dataset: f.dataset)
        _ = try straight.run(DistillRunOptions())

        var half = config
        half.iterations = 2
        let first = try Distiller(config: half, dataset: f.dataset)
        _ = try first.run(DistillRunOptions())
        let sink = MemorySink()
        try first.checkpoint.write(to: sink)
        let saved = try DistillCheckpoint.read(from: StreamReader(bytes: sink.bytes))
        #expect(saved.trajectory?.stepSize == first.state.trajectory?.stepSize)
        #expect(saved.trajectory?.velocity == first.state.trajectory?.velocity && saved.trajectory?.velocity != 0)
        let resumed = try Distiller(config: config, dataset: f.dataset)
        try resumed.resume(from: saved)
        _ = try resumed.run(DistillRunOptions())

        #expect(resumed.state.losses == straight.state.losses)
        #expect(resumed.state.trajectory?.stepSize == straight.state.trajectory?.stepSize)
        #expect(resumed.state.trajectory?.updates == 4)
        let a = try streamRecords(output(straight).bytes), b = try streamRecords(output(resumed).bytes)
        #expect(a.records == b.records, "same tensor bytes (images, labels, soft labels)")
        #expect(a.metadata["method"]?["syn_lr"] == b.metadata["method"]?["syn_lr"])
    }

    @Test func aCacheOfAnotherDatasetOrNetworkIsRefused() throws {
        let f = try F.require()
        // The root holds both keys: the matching one is picked.
        let picked = try Distiller(config: F.config(.tesla, experts: f.root, iterations: 0), dataset: f.dataset)
        #expect(try output(picked).metadata["method"]?["expert_cache"]?.stringValue == f.key)
        // The other dataset's key directory, named directly.
        let direct = F.error { _ = try Distiller(config: F.config(.mtt, experts: f.root + "/" + f.otherKey, iterations: 1),
                                                 dataset: f.dataset) }
        #expect(direct?.kind == .badData)
        #expect(direct?.message.contains("does not match this distillation") == true)
        // A root whose only cache belongs to another dataset.
        let lonely = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: lonely) }
        try FileManager.default.copyItem(atPath: f.root + "/" + f.otherKey, toPath: lonely + "/" + f.otherKey)
        let other = F.error { _ = try Distiller(config: F.config(.mtt, experts: lonely, iterations: 1), dataset: f.dataset) }
        #expect(other?.kind == .badData)
        #expect(other?.message.contains("no cache for dataset") == true)
        #expect(other?.message.contains(String(f.otherKey.prefix(12))) == true, "lists what is there")
        // Same dataset, another network.
        var wider = F.config(.mtt, experts: f.root + "/" + f.key, iterations: 1)
        wider.network = "convnet-d1-w8"
        let network = F.error { _ = try Distiller(config: wider, dataset: f.dataset) }
        #expect(network?.kind == .badData)
        #expect(network?.message.contains("convnet-d1-w8") == true)
    }

    @Test func badRequestsAreOneLineErrors() throws {
        let f = try F.require()
        let noExperts = F.error { _ = try Distiller(config: F.config(.mtt, experts: "", iterations: 1), dataset: f.dataset) }
        #expect(noExperts?.kind == .usage && noExperts?.message.contains("--experts") == true)
        let missing = F.error { _ = try Distiller(config: F.config(.mtt, experts: f.root + "/nope", iterations: 1), dataset: f.dataset) }
        #expect(missing?.kind == .noInput)
        let late = F.error {
            _ = try Distiller(config: F.config(.mtt, experts: f.root, iterations: 1) { $0.maxStartEpoch = 3; $0.expertEpochs = 2 },
                              dataset: f.dataset)
        }
        #expect(late?.kind == .usage)
        #expect(late?.message.contains("up to epoch 4") == true && late?.message.contains("3 epochs") == true)
        var large = F.config(.tesla, experts: f.root, iterations: 1)
        large.ipc = 7
        let ipc = F.error { _ = try Distiller(config: large, dataset: f.dataset) }
        #expect(ipc?.kind == .usage && ipc?.message.contains("only 6 images") == true)
        let steps = F.error { _ = try Distiller(config: F.config(.mtt, experts: f.root, iterations: 1) { $0.syntheticSteps = 0 },
                                                dataset: f.dataset) }
        #expect(steps?.kind == .usage && steps?.message.contains("--syn-steps") == true)
    }

    @Test func corruptExpertsAreReportedAndTheRestUsed() throws {
        let f = try F.require()
        let copy = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: f.root + "/" + f.key, toPath: copy + "/" + f.key)
        let expert1 = copy + "/" + f.key + "/expert-00001.ddt"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: expert1))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: expert1))
        let distiller = try Distiller(config: F.config(.mtt, experts: copy, iterations: 2), dataset: f.dataset)
        #expect(distiller.state.warnings.contains { $0.contains("corrupt 1") }, "\(distiller.state.warnings)")
        var warned: [String] = []
        var options = DistillRunOptions()
        options.warn = { warned.append($0) }
        _ = try distiller.run(options)
        #expect(warned.contains { $0.contains("corrupt 1") } && distiller.state.losses.allSatisfy(\.isFinite))
        #expect(try output(distiller).metadata["method"]?["experts_used"]?.intValue == 1)

        try FileManager.default.removeItem(atPath: copy + "/" + f.key + "/expert-00000.ddt")
        let none = F.error { _ = try Distiller(config: F.config(.mtt, experts: copy, iterations: 1), dataset: f.dataset) }
        #expect(none?.kind == .badData && none?.message.contains("no valid expert") == true)
    }

    @Test(arguments: [DistillMethodName.mtt, .tesla])
    func nonFiniteIterationsAreSkippedThenStopTheRun(_ method: DistillMethodName) throws {
        let f = try F.require()
        // α₀ = 1e30 makes the student diverge: every iteration's loss is non-finite.
        let tolerant = try Distiller(config: F.config(method, experts: f.root, iterations: 3) {
            $0.initialStepSize = 1e30; $0.maxNonFinite = 10 }, dataset: f.dataset)
        let initial = tolerant.state.images
        var warned: [String] = []
        var options = DistillRunOptions()
        options.warn = { warned.append($0) }
        #expect(try tolerant.run(options) == .completed)
        #expect(tolerant.state.images.scalars == initial.scalars, "skipped updates leave the images alone")
        #expect(tolerant.state.trajectory?.stepSize == 1e30 && tolerant.state.trajectory?.updates == 0)
        #expect(warned.filter { $0.contains("update skipped") }.count >= 3)
        let metadata = try output(tolerant).metadata
        #expect(metadata["method"]?["skipped_updates"]?.intValue == 3)
        #expect(metadata["method"]?["loss"]?["first"] == .null)

        let strict = try Distiller(config: F.config(method, experts: f.root, iterations: 5) {
            $0.initialStepSize = 1e30; $0.maxNonFinite = 2 }, dataset: f.dataset)
        let stop = F.error { _ = try strict.run(DistillRunOptions()) }
        #expect(stop?.kind == .badData)
        #expect(stop?.message.contains("at iteration 2 and in the 1 before it") == true, "\(stop?.message ?? "")")
        #expect(strict.state.iteration == 1)
    }
}
