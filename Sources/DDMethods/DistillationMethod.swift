import DDAugment
import DDAutograd
import DDFormat
import DDNN
import DDTensor

/// Everything that changes while distilling and must survive a checkpoint: the synthetic images, the image
/// optimiser (its momentum persists over the whole run, as in the reference), the one random generator every
/// draw comes from (networks, real batches, augmentation, shuffles), the iteration count and the loss curve.
/// Restoring it restores the run exactly, so a resumed run reaches the same bytes as an uninterrupted one.
public struct DistillState {
    /// S×C×H×W Float32 in the normalised space.
    public var images: NDArray
    public var optimizer: SGD
    public var rng: RandomGenerator
    /// Iterations completed.
    public var iteration: Int
    /// The loss of every completed iteration.
    public var losses: [Double]
    /// Wall-clock seconds spent over every run that contributed (resumed runs add up).
    public var wallSeconds: Double
    /// The learnable step size of trajectory matching and what goes with it (nil for other methods).
    public var trajectory: TrajectoryState?
    /// Consecutive iterations whose loss was not finite (their updates were skipped).
    public var nonFiniteStreak = 0
    /// Messages for stderr that a method produced during its last step; the loop hands them on and clears them.
    public var warnings: [String] = []
    /// Asked by a method between the pieces of an iteration; true abandons the iteration (not checkpointed).
    public var stopRequested: () -> Bool = { false }

    public init(images: NDArray, optimizer: SGD, rng: RandomGenerator, iteration: Int = 0, losses: [Double] = [],
                wallSeconds: Double = 0) {
        self.images = images
        self.optimizer = optimizer
        self.rng = rng
        self.iteration = iteration
        self.losses = losses
        self.wallSeconds = wallSeconds
    }

    /// Throws `IterationAbandoned` when a stop was requested. Methods call it between the pieces of an
    /// iteration, so a signal does not wait out a whole iteration (minutes for group-aware DC on CMNIST;
    /// a batch scheduler's SIGKILL follows SIGTERM after ~30 s).
    public func checkStop() throws {
        if stopRequested() { throw IterationAbandoned() }
    }

    /// Applies one image-optimiser step with the gradient of the loss with respect to `images`.
    mutating func updateImages(gradient: NDArray) {
        var parameters = [Tensor(images, requiresGrad: false)]
        optimizer.update(&parameters, gradients: [Tensor(gradient)])
        images = parameters[0].array
    }
}

/// Thrown out of `DistillationMethod.step` when a stop request abandons the iteration; the loop restores
/// the state the iteration started from, so the checkpoint resumes to the bytes of an uninterrupted run.
public struct IterationAbandoned: Error {}

/// A distillation method: built once per run from its configuration, the real pool and the network, it
/// performs one outer iteration at a time on the shared state. Checkpointing, resuming, progress, time
/// budgets and signals live in `Distiller`, once for every method.
public protocol DistillationMethod {
    init(config: DistillConfig, pool: RealPool, network: Network) throws
    /// One outer iteration: updates `state.images` (and whatever random draws it needs from `state.rng`) and
    /// returns the iteration's loss (the quantity whose gradient moved the images, summed over
    /// sub-populations; for DC/DSA the mean over its outer-loop steps). Throws `IterationAbandoned` (from
    /// `state.checkStop()`) and nothing else.
    mutating func step(_ state: inout DistillState) throws -> Double
    /// Facts found while setting up (e.g. missing or corrupt experts), reported once on stderr.
    var notices: [String] { get }
    /// Keys added to the output's `method` metadata (e.g. the expert cache used).
    var outputMetadata: [String: JSONValue] { get }
}

extension DistillationMethod {
    public var notices: [String] { [] }
    public var outputMetadata: [String: JSONValue] { [:] }
}

/// The learnable student step size α of MTT/TESLA with its SGD momentum buffer, and the soft labels of the
/// last iteration. Part of checkpoints, so a resumed run continues the same α trajectory.
public struct TrajectoryState: Sendable {
    public var stepSize: Double
    public var velocity: Double = 0
    public var updates: Int = 0
    /// S×C Float32 probabilities (with `--soft-labels`).
    public var softLabels: NDArray?

    public init(stepSize: Double, velocity: Double = 0, updates: Int = 0, softLabels: NDArray? = nil) {
        self.stepSize = stepSize
        self.velocity = velocity
        self.updates = updates
        self.softLabels = softLabels
    }
}

/// Builds the method named by the configuration.
public func makeMethod(_ config: DistillConfig, pool: RealPool, network: Network) throws -> any DistillationMethod {
    switch config.method {
    case .dc, .dsa: return try GradientMatching(config: config, pool: pool, network: network)
    case .dm: return try DistributionMatching(config: config, pool: pool, network: network)
    case .mtt, .tesla: return try TrajectoryMatching(config: config, pool: pool, network: network)
    }
}

/// Per-sub-population pieces of the synthetic set as differentiable leaves, and the assembly of their
/// gradients back into one S-row gradient.
enum SyntheticSlices {
    static func leaf(_ images: NDArray, _ population: SubPopulation) -> Tensor {
        Tensor(images.indexSelect(axis: 0, population.syntheticSlots), requiresGrad: true)
    }

    static func accumulate(_ total: inout NDArray, _ gradient: NDArray, _ population: SubPopulation) {
        total = total + gradient.indexAdd(axis: 0, population.syntheticSlots, size: total.shape[0])
    }
}
