import DDAugment
import DDAutograd
import DDNN
import DDTensor

/// What one unrolled student step trains on: rows of the synthetic set and their augmentation. The whole
/// plan of an iteration is drawn before any computation, so TESLA's second pass replays exactly the
/// batches and DSA numbers of its first.
public struct StudentStep: Sendable, Equatable {
    public var rows: [Int]
    /// Per-sample DSA draw for `rows` (nil: no augmentation).
    public var augmentation: DSAParams?

    public init(rows: [Int], augmentation: DSAParams?) {
        self.rows = rows
        self.augmentation = augmentation
    }
}

/// The student's targets: the synthetic set's hard labels or one probability row per synthetic image.
public enum StudentLabels {
    case hard([Int])
    /// S×C probabilities, in the images' dtype.
    case soft(NDArray)

    func loss(_ logits: Tensor, rows: [Int]) -> Tensor {
        switch self {
        case .hard(let labels): return logits.crossEntropy(labels: rows.map { labels[$0] })
        case .soft(let table): return logits.crossEntropy(probabilities: Tensor(table.indexSelect(axis: 0, rows)))
        }
    }
}

/// L, ∂L/∂images and ∂L/∂α of one iteration.
public struct TrajectoryGradient {
    public var loss: Double
    public var images: NDArray
    public var stepSize: Double

    /// False when anything is NaN or infinite (the update must then be skipped).
    public var isFinite: Bool {
        loss.isFinite && stepSize.isFinite && images.doubles.allSatisfy(\.isFinite)
    }
}

/// The trajectory-matching objective, reference methods/mtt-tesla.md §2.2 and §3:
/// w₀ = θ*_s, w_{i+1} = w_i − α ∇_w CE(f(DSA_i(S[rows_i]); w_i)), L = ‖w_N − θ*_{s+M}‖² / ‖θ*_s − θ*_{s+M}‖².
/// Everything runs in the dtype of `images` (Float32 in production, Float64 in the gradient tests).
public enum TrajectoryObjective {
    /// N steps of rows and DSA draws: a fresh permutation of the synthetic indices cut into chunks of
    /// `batch`, redrawn when used up (the reference's indices_chunks), one per-sample draw per step.
    public static func drawPlan(syntheticCount: Int, batch: Int, steps: Int, strategy: DSAStrategy,
                                geometry: DSAGeometry, rng: inout RandomGenerator) -> [StudentStep] {
        var order: [Int] = [], cursor = 0
        return (0..<steps).map { _ in
            if cursor >= order.count { order = rng.permutation(syntheticCount); cursor = 0 }
            let rows = Array(order[cursor..<min(cursor + batch, order.count)])
            cursor += batch
            let augmentation = strategy.isNone ? nil
                : DSA.draw(strategy: strategy, batch: .perSample(rows.count), geometry: geometry, rng: &rng)
            return StudentStep(rows: rows, augmentation: augmentation)
        }
    }

    /// ∇_w of the student's loss on one step's batch; with `createGraph` the result stays differentiable
    /// with respect to `batch` (and `w`).
    static func studentGradient(_ network: Network, batch: Tensor, step: StudentStep, w: Tensor,
                                labels: StudentLabels, createGraph: Bool) -> Tensor {
        var x = batch
        if let augmentation = step.augmentation { x = DSA.apply(augmentation, to: x) }
        let loss = labels.loss(network.forward(x, parameters: network.unflatten(w)), rows: step.rows)
        return grad(of: loss, wrt: [w], createGraph: createGraph)[0]
    }

    static func squaredNorm(_ v: NDArray) -> Double { (v * v).sumAll().item() }

    /// MTT: the exact meta-gradient. The graph of all N steps is kept (memory linear in N): per step the
    /// forward activations, the double-backward graph of g_i, and w_i and g_i themselves.
    public static func exact(network: Network, images: NDArray, labels: StudentLabels, start: NDArray,
                             target: NDArray, stepSize: Double, plan: [StudentStep]) -> TrajectoryGradient {
        let denominator = squaredNorm(start - target)
        let pixels = Tensor(images, requiresGrad: true)
        let alpha = Tensor(NDArray.scalar(stepSize, dtype: images.dtype), requiresGrad: true)
        var w = Tensor(start, requiresGrad: true)
        for step in plan {
            let g = studentGradient(network, batch: pixels.indexSelect(axis: 0, step.rows), step: step, w: w,
                                    labels: labels, createGraph: true)
            w = w - alpha * g
        }
        let loss = (w - Tensor(target)).square().sum() / denominator
        let gradients = grad(of: loss, wrt: [pixels, alpha])
        return TrajectoryGradient(loss: loss.item(), images: gradients[0].array, stepSize: gradients[1].item())
    }

    /// TESLA with the factor-of-two slip fixed: memory constant in N. With θ_N = θ₀ − αΣg_i, the
    /// approximation holds every θ_i constant, so ∂L/∂X_i = cᵀ ∂g_i/∂X_i with the constant c = ∂L/∂g_i =
    /// −(2α/D)(θ_N − θ*), and ∂L/∂α = −(2/D) Gᵀ(θ_N − θ*) with G = Σg_i constant.
    /// Pass 1 runs the student without any graph to get θ_N and G. Pass 2 re-walks the trajectory from θ₀
    /// (no stored θ_i: c is constant, so the order is free), rebuilding one step's graph at a time on the
    /// replayed batch and augmentation and differentiating cᵀg_i into that step's rows.
    /// Dropped against MTT: for the images, −α Σ_{i>j} H_i ∂θ_i/∂X_j (θ_i's dependence on earlier
    /// batches); for α, Σ_i ∂g_i/∂θ_i ∂θ_i/∂α (the trajectory's dependence on α).
    public static func tesla(network: Network, images: NDArray, labels: StudentLabels, start: NDArray,
                             target: NDArray, stepSize: Double, plan: [StudentStep]) -> TrajectoryGradient {
        let denominator = squaredNorm(start - target)
        var w = start, total = NDArray.zeros(start.shape, dtype: start.dtype)
        for step in plan {
            let g = studentGradient(network, batch: Tensor(images.indexSelect(axis: 0, step.rows)), step: step,
                                    w: Tensor(w, requiresGrad: true), labels: labels, createGraph: false).array
            total = total + g
            w = w - g * stepSize
        }
        let residual = w - target
        let loss = squaredNorm(residual) / denominator
        let stepSizeGradient = -2 * (total * residual).sumAll().item() / denominator
        let direction = Tensor(residual * (-2 * stepSize / denominator))
        var imageGradient = NDArray.zeros(images.shape, dtype: images.dtype)
        w = start
        for step in plan {
            let batch = Tensor(images.indexSelect(axis: 0, step.rows), requiresGrad: true)
            let g = studentGradient(network, batch: batch, step: step, w: Tensor(w, requiresGrad: true),
                                    labels: labels, createGraph: true)
            let batchGradient = grad(of: (g * direction).sum(), wrt: [batch])[0].array
            imageGradient = imageGradient + batchGradient.indexAdd(axis: 0, step.rows, size: images.shape[0])
            w = w - g.array * stepSize
        }
        return TrajectoryGradient(loss: loss, images: imageGradient, stepSize: stepSizeGradient)
    }

    /// L of the true unrolled student, no graph (finite differences in the tests).
    public static func loss(network: Network, images: NDArray, labels: StudentLabels, start: NDArray,
                            target: NDArray, stepSize: Double, plan: [StudentStep]) -> Double {
        var w = start
        for step in plan {
            let g = studentGradient(network, batch: Tensor(images.indexSelect(axis: 0, step.rows)), step: step,
                                    w: Tensor(w, requiresGrad: true), labels: labels, createGraph: false).array
            w = w - g * stepSize
        }
        return squaredNorm(w - target) / squaredNorm(start - target)
    }
}
