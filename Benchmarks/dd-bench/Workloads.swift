import DDAutograd
import DDMethods
import DDNN
import DDTensor

/// What a timed iteration produced, checked after every iteration so the benchmark cannot silently time a
/// broken path: the objective must be finite and the gradient it drives must be non-zero and finite.
struct StepOutcome {
    let loss: Double
    let gradientNorm: Double

    var failure: String? {
        if !loss.isFinite { return "loss is \(loss)" }
        if !gradientNorm.isFinite || gradientNorm <= 0 { return "gradient norm is \(gradientNorm)" }
        return nil
    }
}

/// One benchmark workload on ConvNet-3: `prepare` (untimed: draws the batches) then `run` (timed).
protocol Workload: AnyObject {
    static var name: String { get }
    /// What one iteration does, for the report.
    static var summary: String { get }
    /// PyTorch 2.15 CPU time of one iteration on this machine (issue 3).
    static var pytorchSeconds: Double { get }
    var flop: Double { get }
    func prepare()
    func run() -> StepOutcome
    /// Workload-specific observations of the last iteration, added to its record.
    var extras: [String: Any] { get }
}

extension Workload {
    var extras: [String: Any] { [:] }
}

/// Shared set-up: the network, the image pool, a seeded generator and the IPC-10 synthetic set.
struct BenchContext {
    let net: Network
    let pool: ImagePool
    let classes = 10
    let ipc = 10
    let realPerClass = 256
    let seed: UInt64

    /// 100 synthetic images in the normalised space (N(0,1), the DC "noise" init), rows c·ipc… of class c.
    func syntheticImages() -> Tensor {
        var rng = RandomGenerator(seed: seed &+ 1000)
        return Tensor.normal([classes * ipc] + ImagePool.imageShape, rng: &rng).requiringGrad()
    }

    var syntheticLabels: [Int] { (0 ..< classes).flatMap { Array(repeating: $0, count: ipc) } }
}

/// Accumulates wall and process CPU seconds per named phase of an iteration (CPU time is the figure that
/// survives a loaded machine).
struct PhaseTimer {
    private(set) var wall: [String: Double] = [:]
    private(set) var cpu: [String: Double] = [:]

    var seconds: [String: [Double]] { wall.mapValues { [$0] }.merging(cpu.mapValues { [$0] }) { $0 + $1 } }

    mutating func time<R>(_ phase: String, _ body: () -> R) -> R {
        let start = Clock.now(), cpuStart = Clock.processCPU()
        let result = body()
        wall[phase, default: 0] += Clock.now() - start
        cpu[phase, default: 0] += Clock.processCPU() - cpuStart
        return result
    }
}

func norm(_ t: Tensor) -> Double { withNoGrad { t.square().sum().item().squareRoot() } }

/// Rank > 1 parameters (conv and linear weights): the only ones DC's layer-wise distance looks at.
func weightIndices(_ net: Network) -> [Int] { net.parameterShapes.indices.filter { net.parameterShapes[$0].count > 1 } }

/// Training step: forward, cross-entropy, backward to every parameter, SGD (lr 0.01, momentum 0.9).
final class TrainingWorkload: Workload {
    static let name = "train"
    static let summary = "training step, batch 256 (forward, backward, SGD momentum 0.9)"
    static let pytorchSeconds = 1.00
    let batch = 256
    var flop: Double { WorkloadCost.train(batch: batch) }
    private let context: BenchContext
    private var parameters: [Tensor]
    private var optimizer = SGD(learningRate: 0.01, momentum: 0.9)
    private var rng: RandomGenerator
    private var images = Tensor(0)
    private var labels: [Int] = []

    init(_ context: BenchContext) {
        self.context = context
        parameters = context.net.initialParameters(seed: context.seed)
        rng = RandomGenerator(seed: context.seed &+ 1)
    }

    func prepare() { (images, labels) = context.pool.mixedBatch(count: batch, rng: &rng) }

    func run() -> StepOutcome {
        let before = parameters[2]
        let loss = context.net.trainingStep(images: images, labels: labels, parameters: &parameters, optimizer: &optimizer)
        return StepOutcome(loss: loss, gradientNorm: norm(parameters[2] - before))   // the conv2 update
    }
}

/// Inference: logits of 1000 images without recording a graph.
final class InferenceWorkload: Workload {
    static let name = "infer"
    static let summary = "inference, batch 1000 (forward, no graph)"
    static let pytorchSeconds = 2.41
    let batch = 1000
    var flop: Double { WorkloadCost.infer(batch: batch) }
    private let context: BenchContext
    private let parameters: [Tensor]
    private var rng: RandomGenerator
    private var images = Tensor(0)

    init(_ context: BenchContext) {
        self.context = context
        parameters = context.net.initialParameters(seed: context.seed).map { $0.detach() }
        rng = RandomGenerator(seed: context.seed &+ 2)
    }

    func prepare() { images = context.pool.mixedBatch(count: batch, rng: &rng).0 }

    func run() -> StepOutcome {
        let logits = withNoGrad { context.net.forward(images, parameters: parameters, training: false) }
        // "gradient" here: the spread of the logits, zero only if the forward pass collapsed
        let spread = withNoGrad { (logits - logits.mean(axes: [0], keepDims: true)).square().sum().item() }
        return StepOutcome(loss: withNoGrad { logits.sum().item() }, gradientNorm: spread.squareRoot())
    }
}

/// DC outer step, IPC 10 (reference methods/dc-dsa.md §2–3): per class, the weight gradient of the mean
/// cross-entropy on 256 real images (constant) and on the class's 10 synthetic images (createGraph), the
/// layer-wise 1 − cos distance summed over classes, its gradient w.r.t. the 100 images, one image SGD step
/// (lr 0.1, momentum 0.5).
final class GradientMatchingWorkload: Workload {
    static let name = "dc"
    static let summary = "DC outer step, IPC 10 (10 × [grad on 256 real + createGraph grad on 10 synthetic], distance, backward to images, SGD)"
    static let pytorchSeconds = 8.27
    var flop: Double { WorkloadCost.dc(classes: context.classes, real: context.realPerClass, ipc: context.ipc) }
    private let context: BenchContext
    private var synthetic: Tensor
    private var imageOptimizer = SGD(learningRate: 0.1, momentum: 0.5)
    private var parameters: [Tensor] = []
    private var realBatches: [Tensor] = []
    private var rng: RandomGenerator
    private let weights: [Int]
    /// Wall seconds of the last iteration's phases: where the time goes.
    private var phases = PhaseTimer()
    var extras: [String: Any] { ["phase_seconds": phases.seconds] }

    init(_ context: BenchContext) {
        self.context = context
        synthetic = context.syntheticImages()
        rng = RandomGenerator(seed: context.seed &+ 3)
        weights = weightIndices(context.net)
    }

    func prepare() {
        parameters = context.net.initialParameters(rng: &rng)           // a fresh network per outer loop
        realBatches = (0 ..< context.classes).map { context.pool.batch(of: $0, count: context.realPerClass, rng: &rng) }
    }

    func run() -> StepOutcome {
        let net = context.net, ipc = context.ipc
        let weightTensors = weights.map { parameters[$0] }
        var distance = Tensor(0)
        phases = PhaseTimer()
        for c in 0 ..< context.classes {
            let realGradients = phases.time("real gradients (256 per class)") {
                let realLoss = net.forward(realBatches[c], parameters: parameters)
                    .crossEntropy(labels: Array(repeating: c, count: context.realPerClass))
                return grad(of: realLoss, wrt: weightTensors)
            }
            let syntheticGradients = phases.time("synthetic gradients with createGraph (10 per class)") {
                let images = synthetic.sliced(axis: 0, c * ipc ..< (c + 1) * ipc)
                let syntheticLoss = net.forward(images, parameters: parameters).crossEntropy(labels: Array(repeating: c, count: ipc))
                return grad(of: syntheticLoss, wrt: weightTensors, createGraph: true)
            }
            distance = phases.time("distance") { distance + GradientMatching.distance(syntheticGradients, realGradients) }
        }
        let imageGradient = phases.time("backward to the images") { grad(of: distance, wrt: [synthetic]) }
        var images = [synthetic]
        imageOptimizer.update(&images, gradients: imageGradient)
        synthetic = images[0]
        return StepOutcome(loss: distance.item(), gradientNorm: norm(imageGradient[0]))
    }
}

