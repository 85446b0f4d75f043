import DDAutograd
import DDData
import DDFormat
import DDNN
import DDTensor
import Foundation

/// How a run ended.
public enum DistillStop: String, Sendable {
    case completed, timeBudget = "time_budget", interrupted
}

/// What the loop does besides iterating: periodic checkpoints and snapshots, a wall-clock budget, a stop
/// request (signals) and a progress callback. The library knows nothing of terminals or signals; the
/// executable passes closures.
public struct DistillRunOptions {
    public var checkpointPath: String?
    /// Where a stop request writes its checkpoint (default: `checkpointPath`).
    public var interruptCheckpointPath: String?
    /// Checkpoint and snapshot period in iterations (0 = never periodically).
    public var every: Int
    public var snapshotsPath: String?
    /// Seconds this invocation may spend iterating: after its first iteration it stops before one that would
    /// likely end past the budget.
    public var timeBudget: Double?
    public var shouldStop: () -> Bool
    public var progress: (_ done: Int, _ total: Int, _ loss: Double) -> Void
    /// One line for stderr: notices of the method's setup, skipped non-finite updates.
    public var warn: (String) -> Void = { _ in }

    public init(checkpointPath: String? = nil, every: Int = 0, snapshotsPath: String? = nil, timeBudget: Double? = nil,
                shouldStop: @escaping () -> Bool = { false },
                progress: @escaping (Int, Int, Double) -> Void = { _, _, _ in }) {
        self.checkpointPath = checkpointPath
        interruptCheckpointPath = checkpointPath
        self.every = every
        self.snapshotsPath = snapshotsPath
        self.timeBudget = timeBudget
        self.shouldStop = shouldStop
        self.progress = progress
    }
}

/// Runs one distillation: builds the real pool, the network and the initial synthetic set from the seed,
/// iterates a `DistillationMethod`, and writes checkpoints, snapshots and the final synthetic-set stream.
public final class Distiller {
    public let config: DistillConfig
    public let pool: RealPool
    public let network: Network
    public let sourceDigest: String
    /// With `--reweight kde`: how the sampling weights were made (recorded in the output metadata).
    public let kde: KDEReweighting.Summary?
    public private(set) var state: DistillState
    private var method: any DistillationMethod

    /// `initialSet`: the set the images start from when `config.initialization == .set` (its content digest
    /// must be `config.initialSet`).
    public init(config: DistillConfig, dataset: Dataset, initialSet: Dataset? = nil) throws {
        try config.validate()
        self.config = config
        var pool = try RealPool(dataset, ipc: config.ipc, matchBy: config.matchBy, groupLoss: config.groupLoss)
        if config.reweight == .kde {
            let (weights, summary) = try KDEReweighting.weights(dataset, network: config.network, seed: config.seed)
            pool.setSampleWeights(weights)
            kde = summary
        } else {
            kde = nil
        }
        self.pool = pool
        let g = dataset.geometry
        network = try Network(try NetworkSpec(parsing: config.network), channels: g.channels, height: g.height,
                              width: g.width, classes: dataset.classCount)
        sourceDigest = dataset.contentDigest ?? dataset.computeContentDigest()
        method = try makeMethod(config, pool: pool, network: network)
        var rng = RandomGenerator(seed: config.seed)
        let images = try Self.initialImages(config, pool: pool, initialSet: initialSet, rng: &rng)
        state = DistillState(images: images, optimizer: SGD(learningRate: config.learningRateImages,
                                                            momentum: config.momentumImages), rng: rng)
        state.trajectory = config.trajectory.flatMap { config.method.matchesTrajectories ? TrajectoryState(stepSize: $0.initialStepSize) : nil }
        state.warnings = method.notices
    }

    /// Real images of each matching unit (distinct, seeded, uniform whatever the weights), N(0, 1) noise, or
    /// the given set's images (`InitialSet`), in the normalised space.
    static func initialImages(_ config: DistillConfig, pool: RealPool, initialSet: Dataset?,
                              rng: inout RandomGenerator) throws -> NDArray {
        let g = pool.dataset.geometry
        let shape = [pool.syntheticCount, g.channels, g.height, g.width]
        switch config.initialization {
        case .noise:
            return NDArray.normal(shape, rng: &rng)
        case .set:
            guard let initialSet else {
                throw DistillError.usage("the configuration starts from set \(config.initialSet ?? "-"); give it with --init-from FILE")
            }
            let digest = initialSet.contentDigest ?? initialSet.computeContentDigest()
            guard digest == config.initialSet else {
                throw DistillError.badData("--init-from: the set is \(digest), the configuration names \(config.initialSet ?? "none")")
            }
            return try InitialSet.images(initialSet, pool: pool)
        case .real:
            var images = NDArray.zeros(shape)
            for unit in pool.matchingUnits {
                let slots = unit[0].syntheticSlots
                let chosen = pool.sampleDistinct(unit.flatMap(\.realIndices), count: slots.count, rng: &rng)
                images = images + chosen.indexAdd(axis: 0, slots, size: shape[0])
            }
            return images
        }
    }

    /// Continues from a checkpoint written by a run with the same method, hyper-parameters and dataset.
    public func resume(from checkpoint: DistillCheckpoint) throws {
        try checkpoint.checkCompatible(config: config, sourceDigest: sourceDigest)
        guard checkpoint.images.shape == state.images.shape else {
            throw DistillError.badData("checkpoint images have shape \(checkpoint.images.shape), this run needs "
                                       + "\(state.images.shape)")
        }
        var optimizer = SGD(learningRate: config.learningRateImages, momentum: config.momentumImages)
        do {
            try optimizer.restore(OptimizerState(step: checkpoint.optimizerStep, tensors: checkpoint.optimizerTensors),
                                  parameters: [Tensor(checkpoint.images)])
        } catch {
            throw DistillError.badData("checkpoint optimiser state does not fit: \(error)")
        }
        let notices = state.warnings
        state = DistillState(images: checkpoint.images, optimizer: optimizer, rng: checkpoint.rng,
                             iteration: checkpoint.iteration, losses: checkpoint.losses,
                             wallSeconds: checkpoint.wallSeconds)
        state.nonFiniteStreak = checkpoint.nonFiniteStreak
        state.warnings = notices
        if config.method.matchesTrajectories {
            guard let trajectory = checkpoint.trajectory else {
                throw DistillError.badData("checkpoint lacks the learnable step size of \(config.method.rawValue)")
            }
            if let soft = trajectory.softLabels, soft.shape != [state.images.shape[0], pool.dataset.classCount] {
                throw DistillError.badData("checkpoint soft labels have shape \(soft.shape)")
            }
            state.trajectory = trajectory
        }
    }

    public var checkpoint: DistillCheckpoint {
        DistillCheckpoint(config: config, sourceDigest: sourceDigest, images: state.images,
                          optimizerStep: state.optimizer.state.step, optimizerTensors: state.optimizer.state.tensors,
                          rng: state.rng, iteration: state.iteration, losses: state.losses,
                          wallSeconds: state.wallSeconds, trajectory: state.trajectory,
                          nonFiniteStreak: state.nonFiniteStreak)
    }

    /// Iterates until `config.iterations`, the time budget, or a stop request. A stop request abandons the
    /// iteration in progress; the checkpoint of the iterations completed is written to
    /// `options.interruptCheckpointPath` (when given) before returning `.interrupted`. Any other end writes
    /// the final checkpoint to `options.checkpointPath` (when given).
    public func run(_ options: DistillRunOptions) throws -> DistillStop {
        let start = Date()
        let previousSeconds = state.wallSeconds
        let startIteration = state.iteration
        var stop = DistillStop.completed
        for line in state.warnings { options.warn(line) }
        state.warnings = []
        while state.iteration < config.iterations {
            if options.shouldStop() { stop = .interrupted; break }
            let elapsed = Date().timeIntervalSince(start)
            // Every invocation makes at least one iteration of progress; after that it stops before an
            // iteration that would, at the mean pace so far, end past the budget.
            let done = state.iteration - startIteration
            if let budget = options.timeBudget, done > 0, elapsed + elapsed / Double(done) > budget {
                stop = .timeBudget
                break
            }
            let before = state
            state.stopRequested = options.shouldStop
            let loss: Double
            do {
                loss = try method.step(&state)
            } catch is IterationAbandoned {
                state = before
                stop = .interrupted
                break
            }
            state.stopRequested = { false }
            for line in state.warnings { options.warn(line) }
            state.warnings = []
            if loss.isFinite {
                state.nonFiniteStreak = 0
            } else {
                // Trajectory matching skips such an update and tolerates a few in a row; the other methods
                // have already stepped, so one is fatal.
                state.nonFiniteStreak += 1
                let limit = config.method.matchesTrajectories ? config.trajectory?.maxNonFinite ?? 1 : 1
                guard state.nonFiniteStreak < limit else {
                    throw DistillError.badData("the loss was \(loss) at iteration \(state.iteration + 1)"
                                               + (limit > 1 ? " and in the \(limit - 1) before it" : "")
                                               + "; lower --lr-img\(limit > 1 ? " or --lr-lr" : ""), or check the input")
                }
                options.warn("iteration \(state.iteration + 1): non-finite loss, update skipped "
                             + "(\(state.nonFiniteStreak) in a row; the run stops at \(limit))")
            }
            state.iteration += 1
            state.losses.append(loss)
            state.wallSeconds = previousSeconds + Date().timeIntervalSince(start)
            options.progress(state.iteration, config.iterations, loss)
            if options.every > 0, state.iteration % options.every == 0 {
                if let path = options.checkpointPath { try checkpoint.write(toPath: path) }
                if let path = options.snapshotsPath { try appendSnapshot(toPath: path) }
            }
        }
        state.wallSeconds = previousSeconds + Date().timeIntervalSince(start)
        if stop == .interrupted {
            if let path = options.interruptCheckpointPath { try checkpoint.write(toPath: path) }
        } else if let path = options.checkpointPath, state.iteration > startIteration {
            // A run that ends by its budget (or its schedule) leaves its last iteration resumable: the next
            // budgeted job of a chain continues there, or a longer --iterations extends it.
            try checkpoint.write(toPath: path)
        }
        return stop
    }

    /// The current synthetic set as a dataset: f32 images in the source's normalised space with its mean/std
    /// and class names, the sub-populations' labels.
    public func syntheticDataset() -> Dataset {
        let source = pool.dataset
        let soft = state.trajectory?.softLabels?.scalars
        var provenance = ["tool": "dd-distill", "source_digest": sourceDigest, "source_name": source.name]
        provenance["method"] = config.method.rawValue
        // The source's name, not a new one: tools pick per-dataset defaults by name (dd-eval's DSA strategy
        // drops flip for "mnist"); the method is in the metadata.
        return Dataset(name: source.name,
                       images: .normalized(state.images.scalars), geometry: source.geometry,
                       labels: pool.syntheticLabels.map { Int32($0) }, classNames: source.classNames,
                       mean: source.mean, std: source.std, groups: pool.syntheticGroups,
                       biasLabels: pool.syntheticBiasLabels, softLabels: soft, provenance: provenance).withContentDigest()
    }

    /// What the method reports of its setup (e.g. the experts it matches), as the output's metadata records it.
    public var methodMetadata: [String: JSONValue] { method.outputMetadata }

    /// Begin-record keys of a synthetic stream (docs/format.md §6.2): `method` (every hyper-parameter and the
    /// run's outcome) and `source_digest`.
    public func syntheticMetadata(stop: DistillStop) -> [String: JSONValue] {
        var method = config.metadata.objectValue ?? [:]
        method["iterations_done"] = .number(Double(state.iteration))
        method["wall_seconds"] = .number((state.wallSeconds * 1000).rounded() / 1000)
        method["stop"] = .string(stop.rawValue)
        method["loss"] = LossSummary(state.losses).json
        method.merge(self.method.outputMetadata) { _, new in new }
        if let trajectory = state.trajectory {
            // The key dd-eval --lr-from-set reads (EvalInputs.learnedRateKey).
            method["syn_lr"] = .number(trajectory.stepSize)
            method["skipped_updates"] = .number(Double(state.losses.filter { !$0.isFinite }.count))
        }
        var metadata: [String: JSONValue] = ["method": .object(method), "source_digest": .string(sourceDigest)]
        if config.matchBy == .group { metadata["group_allotment"] = pool.groupMetadata }
        if let kde { metadata["kde"] = kde.json }
        return metadata
    }

    /// Writes the synthetic-set stream.
    public func writeSynthetic(to sink: ByteSink, stop: DistillStop) throws {
        try syntheticDataset().write(to: sink, kind: .synthetic, extraMetadata: syntheticMetadata(stop: stop))
    }

    /// Appends the current synthetic set as one complete stream to `path` (concatenated streams are valid
    /// input, so the file shows the set's evolution).
    public func appendSnapshot(toPath path: String) throws {
        let sink = MemorySink()
        try writeSynthetic(to: sink, stop: state.iteration >= config.iterations ? .completed : .interrupted)
        try FileWriting.append(sink.bytes, toPath: path)
    }
}

/// A short description of the loss curve for the output metadata: first, last, minimum, and the curve
/// averaged into at most 32 equal buckets (enough to see its shape without storing 20,000 numbers).
public struct LossSummary: Equatable {
    public var first: Double?, last: Double?, minimum: Double?
    public var buckets: [Double]

    public init(_ all: [Double]) {
        let losses = all.filter(\.isFinite)   // skipped (non-finite) iterations are counted elsewhere
        first = losses.first
        last = losses.last
        minimum = losses.min()
        let count = min(32, losses.count)
        buckets = (0..<count).map { b in
            let range = (b * losses.count / count)..<((b + 1) * losses.count / count)
            return losses[range].reduce(0, +) / Double(range.count)
        }
    }

    var json: JSONValue {
        // Shortest decimal of the Float value: "0.4312", not 0.43119999766349792.
        func number(_ x: Double?) -> JSONValue {
            x.map { .number(Double(String(describing: Float($0))) ?? $0) } ?? .null
        }
        return .object(["first": number(first), "last": number(last), "min": number(minimum),
                        "curve": .array(buckets.map { number($0) })])
    }
}
