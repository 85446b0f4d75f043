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

    public mutating func step(_ state: inout DistillState) -> Double {
        var parameters = network.initialParameters(rng: &state.rng)
        var networkOptimizer = SGD(learningRate: config.learningRateNet, momentum: config.momentumNet)
        var lossSum = 0.0
        for outer in 0..<config.outerLoop {
            var gradient = NDArray.zeros(state.images.shape)
            for population in pool.subPopulations {
                let (loss, populationGradient) = matchingStep(population, parameters: parameters, state: &state)
                lossSum += loss
                SyntheticSlices.accumulate(&gradient, populationGradient, population)
            }
            state.updateImages(gradient: gradient)
            // No network update after the last matching step (reference step 2.3.4).
            if outer == config.outerLoop - 1 { break }
            trainOnSynthetic(&parameters, optimizer: &networkOptimizer, state: &state)
        }
        return lossSum / Double(config.outerLoop)
    }

    /// D(∇θ CE(synthetic), ∇θ CE(real)) for one sub-population and its gradient w.r.t. the synthetic rows.
    func matchingStep(_ population: SubPopulation, parameters: [Tensor],
                      state: inout DistillState) -> (Double, NDArray) {
        let real = Tensor(pool.sample(population, count: config.batchReal, rng: &state.rng))
        let synthetic = SyntheticSlices.leaf(state.images, population)
        var realInput = real, syntheticInput = synthetic
        if !strategy.isNone {
            let augmented = DSA.augmentSiamese([real, synthetic], strategy: strategy, rng: &state.rng).augmented
            realInput = augmented[0]
            syntheticInput = augmented[1]
        }
        let realLoss = network.forward(realInput, parameters: parameters)
            .crossEntropy(labels: Array(repeating: population.label, count: real.shape[0]))
        let realGradients = grad(of: realLoss, wrt: parameters).map { $0.detach() }
        let syntheticLoss = network.forward(syntheticInput, parameters: parameters)
            .crossEntropy(labels: Array(repeating: population.label, count: synthetic.shape[0]))
        let syntheticGradients = grad(of: syntheticLoss, wrt: parameters, createGraph: true)
        let distance = Self.distance(syntheticGradients, realGradients)
        return (distance.item(), grad(of: distance, wrt: [synthetic])[0].array)
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
    func trainOnSynthetic(_ parameters: inout [Tensor], optimizer: inout SGD, state: inout DistillState) {
        let images = state.images
        let count = images.shape[0]
        for _ in 0..<config.innerLoop {
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
