import DDAugment
import DDAutograd
import DDNN
import DDTensor

/// DM (distribution matching, Zhao & Bilen WACV 2023), reference methods/dm.md §2: every iteration a fresh
/// random network (never trained) embeds a real batch and the synthetic images of each sub-population
/// under one Siamese DSA draw; the loss is Σ over sub-populations of the squared distance between the two
/// mean embeddings (summed over dimensions), and one image step is taken on it.
public struct DistributionMatching: DistillationMethod {
    public let config: DistillConfig
    public let pool: RealPool
    public let network: Network
    let strategy: DSAStrategy

    public init(config: DistillConfig, pool: RealPool, network: Network) throws {
        self.config = config
        self.pool = pool
        self.network = network
        strategy = try DSAStrategy(parsing: config.dsaStrategy)
    }

    public mutating func step(_ state: inout DistillState) -> Double {
        // Frozen: the images are the only thing that receives a gradient.
        let parameters = network.initialParameters(rng: &state.rng).map { $0.detach() }
        var gradient = NDArray.zeros(state.images.shape)
        var loss = 0.0
        for population in pool.subPopulations {
            let real = Tensor(pool.sample(population, count: config.batchReal, rng: &state.rng))
            let synthetic = SyntheticSlices.leaf(state.images, population)
            var realInput = real, syntheticInput = synthetic
            if !strategy.isNone {
                let augmented = DSA.augmentSiamese([real, synthetic], strategy: strategy, rng: &state.rng).augmented
                realInput = augmented[0]
                syntheticInput = augmented[1]
            }
            let realMean = withNoGrad { network.embed(realInput, parameters: parameters).mean(axes: [0]) }
            let syntheticMean = network.embed(syntheticInput, parameters: parameters).mean(axes: [0])
            let distance = (realMean - syntheticMean).square().sum()
            loss += distance.item()
            SyntheticSlices.accumulate(&gradient, grad(of: distance, wrt: [synthetic])[0].array, population)
        }
        state.updateImages(gradient: gradient)
        return loss
    }
}
