import DDAugment
import DDAutograd
import DDData
import DDNN
import DDTensor

/// What the observer is told at epoch 0 (the initialisation: no training yet, loss and accuracy NaN)
/// and after every epoch.
public struct EpochReport: @unchecked Sendable {
    /// 0 = initialisation, k = after k passes.
    public let epoch: Int
    /// All parameters as one 1-D f32 tensor in `Network.parameterInfo` order (DDNN's `flatten`).
    public let flatParameters: Tensor
    /// Mean training loss over the epoch's samples (NaN at epoch 0).
    public let loss: Double
    /// Training accuracy of the epoch's batches, measured on the (augmented) batches as they were
    /// trained (NaN at epoch 0).
    public let trainAccuracy: Double
    /// The learning rate used in this epoch (the base rate at epoch 0).
    public let learningRate: Double
    public let seconds: Double
    /// The run at this epoch's end, to continue it later (`Trainer.train(resume:)`); nil at epoch 0.
    public let snapshot: TrainingSnapshot?
}

/// Statistics of one finished epoch, kept in the result's history.
public struct EpochStats: Sendable, Equatable, Codable {
    public let epoch: Int
    public let loss: Double
    public let trainAccuracy: Double
    public let learningRate: Double
    public let seconds: Double
}

/// A trained network: the architecture, its parameters and batch-norm buffers, and the epoch history.
public struct TrainedNetwork: @unchecked Sendable {
    public let network: Network
    public let parameters: [Tensor]
    public let buffers: [BatchNormStatistics]
    public let history: [EpochStats]

    public var flatParameters: Tensor { withNoGrad { flatten(parameters.map { $0.detach() }) } }
}

/// The one training loop of dd: a fresh network trained on a dataset under a recipe, deterministic for a
/// seed (and thread count).
public enum Trainer {
    /// Seed k of a family derived from a base seed (network k of dd-eval, expert k of dd-expert): distinct,
    /// well mixed, the same on every machine.
    public static func derivedSeed(_ base: UInt64, _ index: Int) -> UInt64 {
        var z = base &+ 0x9E37_79B9_7F4A_7C15 &* (UInt64(truncatingIfNeeded: index) &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Builds `spec` for the data's geometry and class count; a network that does not fit is invalid data.
    public static func makeNetwork(_ spec: NetworkSpec, for data: TrainingData) throws -> Network {
        let g = data.geometry
        do {
            return try Network(spec, channels: g.channels, height: g.height, width: g.width, classes: data.classCount)
        } catch {
            throw TrainingError.invalidData("\(spec.description) on \(g) images: \(error)")
        }
    }

    /// Trains a fresh `spec` network (initialised from `seed`) on `data`.
    ///
    /// * Parameters are drawn from `seed`; batch order and augmentation use a separate generator derived
    ///   from `seed`, so the same seed gives the same bytes.
    /// * Each epoch visits a fresh seeded permutation in mini-batches of `recipe.batchSize` (the last one
    ///   smaller unless `dropLast`), DSA drawn per batch, one optimiser step per batch; with group-balanced
    ///   sampling it visits as many draws from the (class, group) cells instead (`balancedDraws`).
    /// * `observer` is called at epoch 0 (initialisation) and after every epoch; it may throw to stop.
    /// * `shouldStop` is polled between batches; when it returns true the run throws
    ///   `TrainingError.cancelled`.
    /// * `resume`: a report's snapshot of this same run (spec, recipe, data, seed); training continues after
    ///   its epoch and ends with the bytes of the uninterrupted run. The observer then starts at the next epoch.
    public static func train(spec: NetworkSpec, recipe: TrainingRecipe, data: TrainingData, seed: UInt64,
                             resume: TrainingSnapshot? = nil,
                             observer: (EpochReport) throws -> Void = { _ in },
                             shouldStop: () -> Bool = { false }) throws -> TrainedNetwork {
        try recipe.validate()
        guard data.count > 0 else { throw TrainingError.invalidData("\(data.name): no training images") }
        let network = try makeNetwork(spec, for: data)
        var parameters = network.initialParameters(seed: seed)
        var buffers = network.makeBuffers()
        var rng = RandomGenerator(seed: derivedSeed(seed, -1))
        let softTargets = try softTargetProbabilities(data, recipe.loss)
        let cells = try recipe.sampling.map { _ in try groupCells(data) }

        var rate = recipe.schedule.rate(base: recipe.learningRate, epoch: 0)
        var optimizer = recipe.makeOptimizer(rate: rate)
        var history: [EpochStats] = []
        var firstEpoch = 0
        let clock = ContinuousClock()
        if let resume {
            guard resume.epoch >= 1, resume.epoch <= recipe.epochs, resume.history.count == resume.epoch,
                  resume.parameters.map(\.shape) == parameters.map(\.shape),
                  let restored = network.restoreBuffers(resume.buffers) else {
                throw TrainingError.invalidData("the resume state does not fit \(spec.description) trained for \(recipe.epochs) epochs")
            }
            parameters = resume.parameters.map { Tensor($0) }
            buffers = restored
            rng = resume.rng
            history = resume.history
            firstEpoch = resume.epoch
            rate = recipe.schedule.rate(base: recipe.learningRate, after: firstEpoch)
            optimizer = recipe.makeOptimizer(rate: rate)
            do { try optimizer.restore(resume.optimizer, parameters: parameters) } catch {
                throw TrainingError.invalidData("the resume state's optimiser does not fit: \(error)")
            }
        } else {
            try observer(EpochReport(epoch: 0, flatParameters: flatView(parameters), loss: .nan, trainAccuracy: .nan,
                                      learningRate: rate, seconds: 0, snapshot: nil))
        }
        for epoch in firstEpoch..<recipe.epochs {
            let start = clock.now
            let nextRate = recipe.schedule.rate(base: recipe.learningRate, epoch: epoch)
            if recipe.schedule.rebuildsOptimizer(at: epoch) || nextRate != rate {
                rate = nextRate
                optimizer = recipe.makeOptimizer(rate: rate)
            }
            let order = cells.map { balancedDraws($0, count: data.count, rng: &rng) } ?? rng.permutation(data.count)
            var lossSum = 0.0, correct = 0, seen = 0
            for batchStart in stride(from: 0, to: data.count, by: recipe.batchSize) {
                let end = min(data.count, batchStart + recipe.batchSize)
                if recipe.dropLast && end - batchStart < recipe.batchSize { break }
                if shouldStop() { throw TrainingError.cancelled(epoch: epoch + 1) }
                let indices = Array(order[batchStart..<end])
                let batch = data.batch(indices)
                let images = augment(batch.images, recipe.augmentation, &rng)
                let targets = softTargets.map { Tensor($0.array.indexSelect(axis: 0, indices)) }
                let leaves = parameters.map { $0.requiresGrad ? $0 : $0.requiringGrad() }
                let logits = network.forward(images, parameters: leaves, buffers: buffers, training: true)
                let loss = lossValue(logits, labels: batch.labels, targets: targets, recipe.loss)
                let gradients = grad(of: loss, wrt: leaves)
                parameters = leaves
                optimizer.update(&parameters, gradients: gradients)
                let value = loss.item()
                guard value.isFinite else { throw TrainingError.diverged(epoch: epoch + 1, loss: value) }
                lossSum += value * Double(indices.count)
                correct += zip(logits.array.argmaxRows(), batch.labels).filter { $0 == $1 }.count
                seen += indices.count
            }
            let elapsed = (clock.now - start).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
            let stats = EpochStats(epoch: epoch + 1, loss: seen > 0 ? lossSum / Double(seen) : .nan,
                                   trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : .nan,
                                   learningRate: rate, seconds: seconds)
            history.append(stats)
            let snapshot = TrainingSnapshot(epoch: stats.epoch, parameters: parameters.map(\.array),
                                            buffers: network.bufferArrays(buffers), optimizer: optimizer.state,
                                            rng: rng, history: history)
            try observer(EpochReport(epoch: stats.epoch, flatParameters: flatView(parameters), loss: stats.loss,
                                      trainAccuracy: stats.trainAccuracy, learningRate: rate, seconds: seconds,
                                      snapshot: snapshot))
        }
        return TrainedNetwork(network: network, parameters: parameters.map { $0.detach() }, buffers: buffers,
                              history: history)
    }

    /// The sample indices of each (class, group) cell, in order of first appearance.
    static func groupCells(_ data: TrainingData) throws -> [[Int]] {
        guard let groups = data.groups else {
            throw TrainingError.invalidData("\(data.name): group-balanced sampling needs group labels "
                                            + "(a stream from dd-bias, or dd-bias --groups-from FILE)")
        }
        var cellOf: [[Int]: Int] = [:], cells: [[Int]] = []
        for (i, key) in zip(data.labels, groups).map({ [$0, $1] }).enumerated() {
            if let c = cellOf[key] { cells[c].append(i) } else { cellOf[key] = cells.count; cells.append([i]) }
        }
        return cells
    }

    /// `count` draws with replacement: a uniform cell, then a uniform member of it.
    static func balancedDraws(_ cells: [[Int]], count: Int, rng: inout RandomGenerator) -> [Int] {
        (0..<count).map { _ in
            let cell = cells[rng.int(below: cells.count)]
            return cell[rng.int(below: cell.count)]
        }
    }

    private static func flatView(_ parameters: [Tensor]) -> Tensor {
        withNoGrad { flatten(parameters.map { $0.detach() }) }
    }

    private static func augment(_ images: Tensor, _ augmentation: TrainingAugmentation,
                                _ rng: inout RandomGenerator) -> Tensor {
        switch augmentation {
        case .none: return images
        case .dsa(let strategy, let mode):
            if strategy.isNone { return images }
            return withNoGrad { DSA.augment(images, strategy: strategy, mode: mode, rng: &rng) }
        case .dc(let strategy):
            return DCAugment.augment(images, strategy: strategy, rng: &rng)
        }
    }

    /// The loss of one batch under the recipe's loss.
    static func lossValue(_ logits: Tensor, labels: [Int], targets: Tensor?, _ loss: TrainingLoss) -> Tensor {
        switch loss {
        case .hardCrossEntropy:
            return logits.crossEntropy(labels: labels)
        case .softCrossEntropy(let t):
            guard let targets else { return logits.crossEntropy(labels: labels) }
            return (logits * (1 / t)).crossEntropy(probabilities: targets) * (t * t)
        }
    }

    /// Soft-label training targets as probabilities: stored probability rows as they are, stored logits
    /// through softmax(·/T). Nil when the loss is hard or the data has no soft labels.
    static func softTargetProbabilities(_ data: TrainingData, _ loss: TrainingLoss) throws -> Tensor? {
        guard case .softCrossEntropy(let t) = loss, let soft = data.softLabels else { return nil }
        let k = data.classCount, values = soft.scalars
        var areProbabilities = true
        for row in 0..<data.count {
            let slice = values[(row * k)..<((row + 1) * k)]
            if slice.contains(where: { $0 < 0 }) || abs(slice.reduce(0, +) - 1) > 1e-3 { areProbabilities = false; break }
        }
        if areProbabilities { return soft }
        return withNoGrad { (soft * (1 / t)).softmax(axis: 1) }
    }
}
