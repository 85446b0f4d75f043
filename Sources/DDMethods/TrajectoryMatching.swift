import DDAugment
import DDAutograd
import DDExpert
import DDFormat
import DDNN
import DDTensor
import DDTrain

/// MTT (Cazenavette et al. 2022) and TESLA (Cui et al. 2023) over a dd-expert cache, reference
/// methods/mtt-tesla.md §2.2: per iteration one expert and a start epoch s < T⁺ drawn uniformly, N student
/// steps from θ*_s on DSA-augmented synthetic batches with the learnable step size α, the normalised
/// distance to θ*_{s+M}, and SGD (momentum 0.5) on the images and on α. MTT differentiates the kept graph
/// of all N steps; TESLA uses the constant-memory two-pass approximation (`TrajectoryObjective.tesla`).
public struct TrajectoryMatching: DistillationMethod {
    public let config: DistillConfig
    public let settings: TrajectoryMatchingConfig
    public let pool: RealPool
    public let network: Network
    public let cache: ExpertCache
    /// Experts that verified when the run started (and have not failed to load since).
    public private(set) var experts: [Int]
    public let notices: [String]
    let strategy: DSAStrategy

    public init(config: DistillConfig, pool: RealPool, network: Network) throws {
        guard let settings = config.trajectory, config.method.matchesTrajectories else {
            throw DistillError.usage("trajectory matching needs --method mtt or tesla with --experts")
        }
        self.config = config
        self.settings = settings
        self.pool = pool
        self.network = network
        strategy = try DSAStrategy(parsing: config.dsaStrategy)
        let digest = pool.dataset.contentDigest ?? pool.dataset.computeContentDigest()
        let cache = try ExpertSource.open(settings.experts, datasetDigest: digest, network: network.spec)
        guard cache.layout.map(\.shape) == network.parameterShapes else {
            throw DistillError.badData("expert cache \(cache.key.prefix(12)): its parameter layout does not fit \(network.spec) "
                                       + "on \(pool.dataset.geometry) images with \(pool.dataset.classCount) classes")
        }
        let needed = settings.maxStartEpoch - 1 + settings.expertEpochs
        guard needed <= cache.epochs else {
            throw DistillError.usage("--max-start-epoch \(settings.maxStartEpoch) with --expert-epochs \(settings.expertEpochs) "
                                     + "needs checkpoints up to epoch \(needed); the experts in \(cache.key.prefix(12)) have "
                                     + "\(cache.epochs) epochs")
        }
        let listing = cache.scan(verify: true)
        guard !listing.valid.isEmpty else {
            throw DistillError.badData("expert cache \(cache.directory) has no valid expert (\(listing.summary))")
        }
        var notices: [String] = []
        if !listing.missing.isEmpty || !listing.corrupt.isEmpty {
            notices.append("expert cache \(cache.key.prefix(12)): \(listing.summary); going on with the valid "
                           + "expert(s) \(ranges(listing.valid))")
        }
        if config.matchBy == .group, !Self.groupBalanced(cache) {
            notices.append("expert cache \(cache.key.prefix(12)) was trained with uniform sampling: on biased data its "
                           + "trajectories carry the bias, and --match-by group only balances the initialisation "
                           + "(experts from dd-expert --balance groups match group-balanced training)")
        }
        self.cache = cache
        experts = listing.valid
        self.notices = notices
    }

    /// Whether the cache's experts drew group-balanced batches (its manifest's training recipe says so).
    static func groupBalanced(_ cache: ExpertCache) -> Bool {
        cache.manifest["configuration"]?["recipe"]?["training_recipe"]?["sampling"]?.stringValue
            == TrainingSampling.groupBalanced.rawValue
    }

    public var outputMetadata: [String: JSONValue] {
        ["expert_cache": .string(cache.key), "experts_used": .number(Double(experts.count))]
    }

    public mutating func step(_ state: inout DistillState) throws -> Double {
        var trajectory = state.trajectory ?? TrajectoryState(stepSize: settings.initialStepSize)
        let expert = experts[state.rng.int(below: experts.count)]
        let start = state.rng.int(below: settings.maxStartEpoch)
        let geometry = DSAGeometry(height: state.images.shape[2], width: state.images.shape[3])
        let plan = TrajectoryObjective.drawPlan(
            syntheticCount: state.images.shape[0], batch: settings.batchSize(syntheticCount: state.images.shape[0]),
            steps: settings.syntheticSteps, strategy: strategy, geometry: geometry, rng: &state.rng)
        let checkpoints: [[Float]]
        do {
            checkpoints = try cache.loadCheckpoints(expert: expert, epochs: [start, start + settings.expertEpochs])
        } catch {
            // A file that verified at start and fails now (replaced, truncated): drop it, skip this update.
            state.warnings.append("expert \(expert) failed to load and is dropped: \(error)")
            if experts.count > 1 { experts.removeAll { $0 == expert } }
            return .nan
        }
        let p = checkpoints[0].count
        let theta0 = NDArray(shape: [p], scalars: checkpoints[0]), thetaTarget = NDArray(shape: [p], scalars: checkpoints[1])
        let labels: StudentLabels
        if settings.softLabels {
            // TESLA --teacher_label: the target expert's softmax on the current (unaugmented) images.
            let probabilities = withNoGrad {
                network.forward(Tensor(state.images), parameters: network.unflatten(Tensor(thetaTarget))).softmax(axis: 1).array
            }
            labels = .soft(probabilities)
            trajectory.softLabels = probabilities
        } else {
            labels = .hard(pool.syntheticLabels)
        }
        try state.checkStop()
        let objective = config.method == .mtt ? TrajectoryObjective.exact : TrajectoryObjective.tesla
        let result = objective(network, state.images, labels, theta0, thetaTarget, trajectory.stepSize, plan)
        guard result.isFinite else {
            state.warnings.append("expert \(expert), start epoch \(start): loss \(result.loss), step-size gradient "
                                  + "\(result.stepSize); non-finite, update skipped (α = \(trajectory.stepSize))")
            return .nan
        }
        state.updateImages(gradient: result.images)
        Self.updateStepSize(&trajectory, gradient: result.stepSize, settings: settings)
        state.trajectory = trajectory
        return result.loss
    }

    /// SGD with momentum (PyTorch semantics) on α, then the clamp α ≥ α_min; a clamped step also clears
    /// the momentum so it does not keep pushing into the floor.
    static func updateStepSize(_ t: inout TrajectoryState, gradient: Double, settings: TrajectoryMatchingConfig) {
        t.velocity = settings.momentumStepSize * t.velocity + gradient
        t.stepSize -= settings.learningRateStepSize * t.velocity
        if t.stepSize < settings.minimumStepSize {
            t.stepSize = settings.minimumStepSize
            t.velocity = 0
        }
        t.updates += 1
    }
}
