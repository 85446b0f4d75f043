import DDAugment
import DDAutograd
import DDNN
import DDTensor

/// DC (gradient matching, Zhao et al. ICLR 2021) and DSA (the same with Differentiable Siamese
/// Augmentation, ICML 2021), following reference methods/dc-dsa.md §2:
/// a fresh network per iteration; `outerLoop` image updates, each on the sum over sub-populations of the
/// layer-wise distance between the synthetic and the real parameter gradients; between updates
/// `innerLoop` epochs of training the network on the (detached) synthetic set. DSA applies one Siamese
/// draw to the real and synthetic batch of a sub-population, and per-sample DSA in the inner loop.
public struct GradientMatching: DistillationMethod {
    public let config: DistillConfig
    public let pool: RealPool
    public let network: Network
    let strategy: DSAStrategy
    let syntheticLabels: [Int]

    public init(config: DistillConfig, pool: RealPool, network: Network) throws {
        self.config = config
        self.pool = pool
        self.network = network
        strategy = config.method == .dc ? .none : try DSAStrategy(parsing: config.dsaStrategy)
        syntheticLabels = pool.syntheticLabels
    }

    public mutating func step(_ state: inout DistillState) throws -> Double {
        var parameters = network.initialParameters(rng: &state.rng)
        var networkOptimizer = SGD(learningRate: config.learningRateNet, momentum: config.momentumNet)
        var lossSum = 0.0
        for outer in 0..<config.outerLoop {
            var gradient = NDArray.zeros(state.images.shape)
            for unit in pool.matchingUnits {
                try state.checkStop()
                let (loss, unitGradient) = matchingStep(unit, parameters: parameters, state: &state)
                lossSum += loss
                SyntheticSlices.accumulate(&gradient, unitGradient, unit[0])
            }
            state.updateImages(gradient: gradient)
            // No network update after the last matching step (reference step 2.3.4).
            if outer == config.outerLoop - 1 { break }
            try trainOnSynthetic(&parameters, optimizer: &networkOptimizer, state: &state)
        }
        return lossSum / Double(config.outerLoop)
    }

    /// Σ_g D(∇θ CE(synthetic), ∇θ CE(real_g)) for one matching unit (one real batch per sub-population,
    /// one Siamese draw for all of them) and its gradient w.r.t. the unit's synthetic rows.
    func matchingStep(_ unit: [SubPopulation], parameters: [Tensor],
                      state: inout DistillState) -> (Double, NDArray) {
        let reals = unit.map { Tensor(pool.sample($0, count: config.batchReal, rng: &state.rng)) }
        let synthetic = SyntheticSlices.leaf(state.images, unit[0])
        var inputs = reals + [synthetic]
        if !strategy.isNone {
            inputs = DSA.augmentSiamese(inputs, strategy: strategy, rng: &state.rng).augmented
        }
        let distance = Self.groupSumDistance(network, parameters: parameters, label: unit[0].label,
                                             reals: Array(inputs.dropLast()), synthetic: inputs.last!)
        return (distance.item(), grad(of: distance, wrt: [synthetic])[0].array)
    }

    /// Σ_g D(∇θ CE(synthetic), ∇θ CE(real_g)) with every image labelled `label`; the real gradients are
    /// detached, the synthetic one keeps its graph (computed once however many groups). One real batch is
    /// DC's per-class term; the groups of a class under `--group-loss sum` are FairDD-GM.
    public static func groupSumDistance(_ network: Network, parameters: [Tensor], label: Int, reals: [Tensor],
                                        synthetic: Tensor) -> Tensor {
        let syntheticLoss = network.forward(synthetic, parameters: parameters)
            .crossEntropy(labels: Array(repeating: label, count: synthetic.shape[0]))
        let syntheticGradients = grad(of: syntheticLoss, wrt: parameters, createGraph: true)
        var total = Tensor(0.0, dtype: synthetic.dtype)
        for real in reals {
            let realLoss = network.forward(real, parameters: parameters)
                .crossEntropy(labels: Array(repeating: label, count: real.shape[0]))
            let realGradients = grad(of: realLoss, wrt: parameters).map { $0.detach() }
            total = total + distance(syntheticGradients, realGradients)
        }
        return total
    }

    /// The reference's 'ours' distance: per parameter tensor of rank ≥ 2, rows = output channels/neurons
    /// (the rest flattened), Σ_rows 1 − ⟨a,b⟩/(‖a‖‖b‖ + 1e-6); 1-D tensors (biases, norm γ/β) contribute 0.
    public static func distance(_ synthetic: [Tensor], _ real: [Tensor]) -> Tensor {
        var total = Tensor(0.0, dtype: synthetic.first?.dtype ?? .float32)
        for (a, b) in zip(synthetic, real) where a.rank >= 2 {
            let rows = a.shape[0]
            let a2 = a.reshaped([rows, -1]), b2 = b.reshaped([rows, -1])
            let dot = (a2 * b2).sum(axes: [1])
            // The tiny term keeps the square root's derivative finite for an all-zero row; below Float32
            // resolution for any non-zero row, so the value is the reference's.
            let normA = (a2.square().sum(axes: [1]) + 1e-30).sqrt()
            let normB = b2.square().sum(axes: [1]).sqrt()
            total = total + (1 - dot / (normA * normB + 1e-6)).sum()
        }
        return total
    }

    /// `innerLoop` epochs of plain training on the synthetic set (hard labels, shuffled batches), with
    /// per-sample DSA on every batch for DSA.
    func trainOnSynthetic(_ parameters: inout [Tensor], optimizer: inout SGD, state: inout DistillState) throws {
        let images = state.images
        let count = images.shape[0]
        for _ in 0..<config.innerLoop {
            try state.checkStop()
            let order = state.rng.permutation(count)
            for start in stride(from: 0, to: count, by: config.batchTrain) {
                let batch = Array(order[start..<min(count, start + config.batchTrain)])
                var input = Tensor(images.indexSelect(axis: 0, batch))
                if !strategy.isNone { input = DSA.augment(input, strategy: strategy, rng: &state.rng) }
                network.trainingStep(images: input, labels: batch.map { syntheticLabels[$0] },
                                     parameters: &parameters, optimizer: &optimizer)
            }
        }
    }
}
