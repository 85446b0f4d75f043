import DDAutograd
import DDMethods
import DDNN
import DDTensor

/// DM iteration, IPC 10: a fresh random network (frozen), per class the mean embedding of 256 real images
/// (no graph) and of the class's 10 synthetic images, squared distance of the means summed over classes,
/// its gradient w.r.t. the 100 images, one image SGD step (lr 1, momentum 0.5).
final class DistributionMatchingWorkload: Workload {
    static let name = "dm"
    static let summary = "DM iteration, IPC 10 (fresh net, embed 256 real + 10 synthetic per class, mean distance, backward to images, SGD)"
    static let pytorchSeconds = 3.35
    var flop: Double { WorkloadCost.dm(classes: context.classes, real: context.realPerClass, ipc: context.ipc) }
    private let context: BenchContext
    private var synthetic: Tensor
    private var imageOptimizer = SGD(learningRate: 1, momentum: 0.5)
    private var realBatches: [Tensor] = []
    private var rng: RandomGenerator
    private var phases = PhaseTimer()
    var extras: [String: Any] { ["phase_seconds": phases.seconds] }

    init(_ context: BenchContext) {
        self.context = context
        synthetic = context.syntheticImages()
        rng = RandomGenerator(seed: context.seed &+ 4)
    }

    func prepare() {
        realBatches = (0 ..< context.classes).map { context.pool.batch(of: $0, count: context.realPerClass, rng: &rng) }
    }

    func run() -> StepOutcome {
        let net = context.net, ipc = context.ipc
        let frozen = net.initialParameters(rng: &rng).map { $0.detach() }   // timed: part of the iteration
        phases = PhaseTimer()
        // dd-distill's DM path: all real images in one no-grad pass (chunks of 1024), all synthetic in one.
        let realMeans = phases.time("real embeddings (10 × 256, no graph)") {
            DistributionMatching.realMeans(net, parameters: frozen, batches: realBatches)
        }
        let distance = phases.time("synthetic embeddings (10 × 10) and distance") {
            DistributionMatching.unitDistances(net, parameters: frozen, realMeans: realMeans.map { [$0] },
                                               synthetics: (0 ..< context.classes).map {
                                                   synthetic.sliced(axis: 0, $0 * ipc ..< ($0 + 1) * ipc)
                                               })
        }
        let imageGradient = phases.time("backward to the images") { grad(of: distance, wrt: [synthetic]) }
        var images = [synthetic]
        imageOptimizer.update(&images, gradients: imageGradient)
        synthetic = images[0]
        return StepOutcome(loss: distance.item(), gradientNorm: norm(imageGradient[0]))
    }
}

/// MTT iteration, IPC 10: from a start vector θ₀, 20 unrolled SGD steps θ ← θ − α·∇θ CE on batches of 100
/// synthetic images (a fresh permutation of the 100 each step), each gradient recorded with createGraph;
/// loss ‖θ₂₀ − θ*‖² / ‖θ₀ − θ*‖²; its gradient w.r.t. the images and α; SGD on both (images lr 100,
/// α lr 1e-5, momentum 0.5). θ₀ is a fresh initialisation and θ* = θ₀ + 0.01·N(0,1) stands in for an
/// expert checkpoint (the values do not change the work done).
final class TrajectoryMatchingWorkload: Workload {
    static let name = "mtt"
    static let summary = "MTT iteration, IPC 10 (20 unrolled SGD steps, batch 100, flat θ, normalised distance, backward to images and step size)"
    static let pytorchSeconds = 21.8
    let steps = 20
    let batch = 100
    var flop: Double { WorkloadCost.mtt(steps: steps, batch: batch) }
    private let context: BenchContext
    private var synthetic: Tensor
    private var stepSize = Tensor(shape: [1], scalars: [0.01], requiresGrad: true)
    private var imageOptimizer = SGD(learningRate: 100, momentum: 0.5)
    private var stepSizeOptimizer = SGD(learningRate: 1e-5, momentum: 0.5)
    private let start: Tensor
    private let target: Tensor
    private var orders: [[Int]] = []
    private var rng: RandomGenerator
    /// Resident memory before the unroll and after it (graph of all 20 steps alive, before the backward).
    private var residentBeforeUnroll = 0, residentAfterUnroll = 0
    /// Taken in the first (warm-up) iteration only: afterwards the allocator keeps the freed graph resident.
    private var firstIteration = true
    private var phases = PhaseTimer()
    var extras: [String: Any] {
        ["first_iteration_rss_before_unroll_bytes": residentBeforeUnroll,
         "first_iteration_rss_after_unroll_bytes": residentAfterUnroll,
         "first_iteration_rss_per_unrolled_step_bytes": (residentAfterUnroll - residentBeforeUnroll) / steps,
         "phase_seconds": phases.seconds]
    }

    init(_ context: BenchContext) {
        self.context = context
        synthetic = context.syntheticImages()
        rng = RandomGenerator(seed: context.seed &+ 5)
        start = flatten(context.net.initialParameters(seed: context.seed)).detach()
        target = start + Tensor.normal(start.shape, std: 0.01, rng: &rng)
    }

    func prepare() { orders = (0 ..< steps).map { _ in Array(rng.permutation(synthetic.shape[0]).prefix(batch)) } }

    func run() -> StepOutcome {
        let net = context.net, labels = context.syntheticLabels
        if firstIteration { residentBeforeUnroll = Clock.currentRSSBytes() }
        phases = PhaseTimer()
        var theta = start.requiringGrad()
        for order in orders {
            let images = synthetic.indexSelect(axis: 0, order)
            let loss = phases.time("unrolled forward (20 × batch 100)") {
                net.forward(images, parameters: net.unflatten(theta)).crossEntropy(labels: order.map { labels[$0] })
            }
            theta = phases.time("unrolled gradients with createGraph") {
                theta - stepSize * grad(of: loss, wrt: [theta], createGraph: true)[0]
            }
        }
        let distance = (theta - target).square().sum() / (start - target).square().sum()
        if firstIteration { residentAfterUnroll = Clock.currentRSSBytes(); firstIteration = false }
        let gradients = phases.time("backward through the unroll") { grad(of: distance, wrt: [synthetic, stepSize]) }
        var images = [synthetic], rate = [stepSize]
        imageOptimizer.update(&images, gradients: [gradients[0]])
        stepSizeOptimizer.update(&rate, gradients: [gradients[1]])
        synthetic = images[0]
        stepSize = rate[0]
        let stepSizeGradient = abs(gradients[1].item())
        return StepOutcome(loss: distance.item(),
                           gradientNorm: stepSizeGradient > 0 && stepSizeGradient.isFinite ? norm(gradients[0]) : 0)
    }
}
