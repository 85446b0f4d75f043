import DDAugment
import DDAutograd
import DDData
import DDNN
import DDTensor
import Foundation
import Testing
@testable import DDTrain

/// A tiny learnable problem: 3-channel 8×8 images whose class is written into the mean of one channel.
func toyData(count: Int = 24, classes: Int = 3, seed: UInt64 = 7) throws -> TrainingData {
    var rng = RandomGenerator(seed: seed)
    var pixels: [Float] = [], labels: [Int] = []
    for i in 0..<count {
        let label = i % classes
        labels.append(label)
        for c in 0..<3 {
            for _ in 0..<64 { pixels.append(Float(rng.normal() * 0.5 + (c == label ? 1.0 : -0.5))) }
        }
    }
    return try TrainingData(images: Tensor(shape: [count, 3, 8, 8], scalars: pixels), labels: labels, classCount: classes, name: "toy")
}

let tinySpec = NetworkSpec(.convnet, depth: 1, width: 4)

func bytes(_ t: Tensor) -> [Float] { t.scalars }

@Suite struct TrainerTests {
    @Test func sameSeedGivesSameParametersAndDifferentSeedDiffers() throws {
        let data = try toyData()
        let recipe = TrainingRecipe(batchSize: 8, epochs: 2, augmentation: .dsa(strategy: .noFlip, mode: .single))
        let a = try Trainer.train(spec: tinySpec, recipe: recipe, data: data, seed: 3)
        let b = try Trainer.train(spec: tinySpec, recipe: recipe, data: data, seed: 3)
        let c = try Trainer.train(spec: tinySpec, recipe: recipe, data: data, seed: 4)
        #expect(bytes(a.flatParameters) == bytes(b.flatParameters))
        #expect(bytes(a.flatParameters) != bytes(c.flatParameters))
        #expect(a.history.map(\.loss) == b.history.map(\.loss))
    }

    @Test func observerSeesEpochsZeroThroughEWithFullFlatVectors() throws {
        let data = try toyData()
        let recipe = TrainingRecipe(batchSize: 10, epochs: 3)
        var epochs: [Int] = [], sizes: [Int] = [], firstVector: [Float] = []
        let trained = try Trainer.train(spec: tinySpec, recipe: recipe, data: data, seed: 1, observer: { report in
            epochs.append(report.epoch)
            sizes.append(report.flatParameters.count)
            #expect(report.flatParameters.rank == 1)
            if report.epoch == 0 { firstVector = report.flatParameters.scalars; #expect(report.loss.isNaN) }
        })
        #expect(epochs == [0, 1, 2, 3])
        let count = trained.network.parameterCount
        #expect(sizes == [Int](repeating: count, count: 4))
        // Epoch 0 is the untouched initialisation of the seed.
        let initial = flatten(trained.network.initialParameters(seed: 1)).scalars
        #expect(firstVector == initial)
        #expect(trained.history.count == 3)
    }

    @Test func scheduleDropsTheRateAtTheMilestoneAndResetsMomentum() throws {
        let data = try toyData()
        var decayed = TrainingRecipe(batchSize: 8, epochs: 4, schedule: .stepDecay(epoch: 2, factor: 0.1))
        var rates: [Double] = []
        _ = try Trainer.train(spec: tinySpec, recipe: decayed, data: data, seed: 5, observer: { rates.append($0.learningRate) })
        // Reports: init, after passes 0, 1 (base rate), after passes 2, 3 (decayed).
        #expect(rates.count == 5)
        #expect(rates[1] == 0.01 && rates[2] == 0.01)
        #expect(abs(rates[3] - 0.001) < 1e-15 && abs(rates[4] - 0.001) < 1e-15)

        // A ×1 "decay" at epoch 1 changes nothing but rebuilding the optimiser: with momentum the run must
        // leave the constant run exactly at that epoch; without momentum it must not leave it at all.
        decayed.schedule = .stepDecay(epoch: 1, factor: 1)
        decayed.epochs = 2
        var constant = decayed
        constant.schedule = .constant
        func trajectory(_ recipe: TrainingRecipe) throws -> [[Float]] {
            var out: [[Float]] = []
            _ = try Trainer.train(spec: tinySpec, recipe: recipe, data: data, seed: 5, observer: { out.append($0.flatParameters.scalars) })
            return out
        }
        let withReset = try trajectory(decayed), withoutReset = try trajectory(constant)
        #expect(withReset[1] == withoutReset[1])
        #expect(withReset[2] != withoutReset[2])
        decayed.momentum = 0; constant.momentum = 0
        #expect(try trajectory(decayed) == trajectory(constant))
    }

    @Test func evaluationProtocolMatchesTheReference() {
        let r = TrainingRecipe.evaluationProtocol(referenceEpochs: 1000, augmentation: .none)
        #expect(r.epochs == 1001)
        #expect(r.schedule == .stepDecay(epoch: 502, factor: 0.1))
        // 502 epochs at 0.01, then 499 (protocols.md §3.1).
        #expect((0..<r.epochs).filter { r.schedule.rate(base: 0.01, epoch: $0) == 0.01 }.count == 502)
        #expect(r.momentum == 0.9 && r.weightDecay == 5e-4 && r.batchSize == 256 && r.learningRate == 0.01)
        let r300 = TrainingRecipe.evaluationProtocol(referenceEpochs: 300, augmentation: .none)
        // 152 epochs at 0.01 (0…151), then 149 at 0.001 (protocols.md §3.1).
        #expect((0..<r300.epochs).filter { r300.schedule.rate(base: 0.01, epoch: $0) == 0.01 }.count == 152)
        #expect(r300.epochs - 152 == 149)
    }

    @Test func softLossEqualsHardLossForOneHotRows() throws {
        var rng = RandomGenerator(seed: 9)
        let logits = Tensor(shape: [5, 4], scalars: (0..<20).map { _ in Float(rng.normal() * 2) })
        let labels = [0, 3, 1, 1, 2]
        var oneHot = [Float](repeating: 0, count: 20)
        for (i, y) in labels.enumerated() { oneHot[i * 4 + y] = 1 }
        let hard = Trainer.lossValue(logits, labels: labels, targets: nil, .hardCrossEntropy).item()
        let soft = Trainer.lossValue(logits, labels: labels, targets: Tensor(shape: [5, 4], scalars: oneHot),
                                     .softCrossEntropy(temperature: 1)).item()
        #expect(abs(hard - soft) < 1e-6)
        // And training on one-hot soft labels follows the hard-label run.
        let data = try toyData()
        var rows = [Float](repeating: 0, count: data.count * 3)
        for (i, y) in data.labels.enumerated() { rows[i * 3 + y] = 1 }
        let softData = try TrainingData(images: data.images, labels: data.labels, classCount: 3,
                                        softLabels: Tensor(shape: [data.count, 3], scalars: rows))
        let hardRun = try Trainer.train(spec: tinySpec, recipe: TrainingRecipe(batchSize: 8, epochs: 2), data: data, seed: 2)
        let softRun = try Trainer.train(spec: tinySpec, recipe: TrainingRecipe(batchSize: 8, epochs: 2, loss: .softCrossEntropy(temperature: 1)),
                                        data: softData, seed: 2)
        let gap = zip(hardRun.flatParameters.scalars, softRun.flatParameters.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(gap < 1e-4)
    }

    @Test func storedLogitsBecomeTemperatureSoftmaxTargets() throws {
        let data = try toyData(count: 2, classes: 3)
        let logits = Tensor(shape: [2, 3], scalars: [2, 0, -2, 1, 1, 4])
        let softData = try TrainingData(images: data.images, labels: data.labels, classCount: 3, softLabels: logits)
        let targets = try #require(try Trainer.softTargetProbabilities(softData, .softCrossEntropy(temperature: 2)))
        let row0 = [2.0, 0, -2].map { exp($0 / 2) }, z = row0.reduce(0, +)
        for (t, e) in zip(targets.doubles.prefix(3), row0.map { $0 / z }) { #expect(abs(t - e) < 1e-6) }
    }

    @Test func cancellationStopsBetweenBatches() throws {
        let data = try toyData()
        var polls = 0
        #expect(throws: TrainingError.cancelled(epoch: 1)) {
            _ = try Trainer.train(spec: tinySpec, recipe: TrainingRecipe(batchSize: 4, epochs: 3), data: data, seed: 0,
                                  shouldStop: { polls += 1; return polls > 2 })
        }
        #expect(polls == 3)
    }

    @Test func recipeValidationAndCanonicalJSON() throws {
        #expect(throws: TrainingError.self) { try TrainingRecipe(learningRate: -1, epochs: 1).validate() }
        #expect(throws: TrainingError.self) { try TrainingRecipe(batchSize: 0, epochs: 1).validate() }
        let a = TrainingRecipe(epochs: 3, augmentation: .dsa(strategy: .full, mode: .single))
        #expect(a.canonicalJSON == TrainingRecipe(epochs: 3, augmentation: .dsa(strategy: .full, mode: .single)).canonicalJSON)
        #expect(a.canonicalJSON != TrainingRecipe(epochs: 4, augmentation: .dsa(strategy: .full, mode: .single)).canonicalJSON)
        let decoded = try JSONDecoder().decode(TrainingRecipe.self, from: Data(a.canonicalJSON.utf8))
        #expect(decoded == a)
        #expect(!a.canonicalJSON.contains(" ") && a.canonicalJSON.hasPrefix("{\"augmentation\""))
    }

    @Test func derivedSeedsAreDistinct() {
        let seeds = (0..<1000).map { Trainer.derivedSeed(42, $0) }
        #expect(Set(seeds).count == 1000)
        #expect(Trainer.derivedSeed(42, 3) == Trainer.derivedSeed(42, 3))
        #expect(Trainer.derivedSeed(42, 3) != Trainer.derivedSeed(43, 3))
    }
}

/// Continuing a run from an epoch's snapshot gives the uninterrupted run's bytes.
@Suite struct TrainerResumeTests {
    /// Resumed after epoch 1 and after epoch 2 of 4: the same parameters, batch-norm statistics and history
    /// as 4 epochs straight. Momentum, the lr drop (optimiser rebuilt) at epoch 2, DSA draws and batch norm
    /// exercise every piece of the snapshot; the observer restarts at the next epoch.
    @Test(arguments: [("convnet-d1-w4", 1), ("convnet-d1-w4-bn", 2), ("convnet-d1-w4", 3)])
    func resumeEqualsTheUninterruptedRun(spec name: String, after epoch: Int) throws {
        let spec = try NetworkSpec(parsing: name)
        let data = try toyData()
        let recipe = TrainingRecipe(batchSize: 8, epochs: 4, schedule: .stepDecay(epoch: 2, factor: 0.1),
                                    augmentation: .dsa(strategy: .noFlip, mode: .single))
        var snapshot: TrainingSnapshot?
        let straight = try Trainer.train(spec: spec, recipe: recipe, data: data, seed: 9, observer: { report in
            if report.epoch == epoch { snapshot = report.snapshot }
            #expect((report.snapshot == nil) == (report.epoch == 0))
        })
        var seen: [Int] = []
        let resumed = try Trainer.train(spec: spec, recipe: recipe, data: data, seed: 9,
                                        resume: try #require(snapshot), observer: { seen.append($0.epoch) })
        #expect(seen == Array((epoch + 1)...4))
        #expect(bytes(resumed.flatParameters) == bytes(straight.flatParameters))
        #expect(resumed.network.bufferArrays(resumed.buffers).map(\.scalars)
                == straight.network.bufferArrays(straight.buffers).map(\.scalars))
        #expect(resumed.history.map(\.loss) == straight.history.map(\.loss))
        if name.hasSuffix("bn") { #expect(!straight.buffers.isEmpty) }
    }

    @Test func aSnapshotOfAnotherRunIsRefused() throws {
        let data = try toyData()
        var snapshot: TrainingSnapshot?
        _ = try Trainer.train(spec: tinySpec, recipe: TrainingRecipe(batchSize: 8, epochs: 2), data: data, seed: 1,
                              observer: { if $0.epoch == 1 { snapshot = $0.snapshot } })
        let wider = NetworkSpec(.convnet, depth: 1, width: 8)
        #expect(throws: TrainingError.self) {
            _ = try Trainer.train(spec: wider, recipe: TrainingRecipe(batchSize: 8, epochs: 2), data: data, seed: 1, resume: snapshot)
        }
        #expect(throws: TrainingError.self) {   // beyond the run's epochs
            _ = try Trainer.train(spec: tinySpec, recipe: TrainingRecipe(batchSize: 8, epochs: 0), data: data, seed: 1, resume: snapshot)
        }
    }
}
