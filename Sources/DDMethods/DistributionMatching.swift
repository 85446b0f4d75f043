import DDAugment
import DDAutograd
import DDNN
import DDTensor

/// DM (distribution matching, Zhao & Bilen WACV 2023), reference methods/dm.md §2: every iteration a fresh
/// random network (never trained) embeds a real batch and the synthetic images of each sub-population
/// under one Siamese DSA draw; the loss is Σ over sub-populations of the squared distance between the two
/// mean embeddings (summed over dimensions), and one image step is taken on it. Sub-populations sharing
/// their synthetic rows (FairDD's groups of a class) share one Siamese draw and one synthetic embedding.
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
        for unit in pool.matchingUnits {
            let reals = unit.map { Tensor(pool.sample($0, count: config.batchReal, rng: &state.rng)) }
            let synthetic = SyntheticSlices.leaf(state.images, unit[0])
            var inputs = reals + [synthetic]
            if !strategy.isNone {
                inputs = DSA.augmentSiamese(inputs, strategy: strategy, rng: &state.rng).augmented
            }
            let distance = Self.groupSumDistance(network, parameters: parameters, reals: Array(inputs.dropLast()),
                                                 synthetic: inputs.last!)
            loss += distance.item()
            SyntheticSlices.accumulate(&gradient, grad(of: distance, wrt: [synthetic])[0].array, unit[0])
        }
        state.updateImages(gradient: gradient)
        return loss
    }

    /// Σ_g ‖mean φ(real_g) − mean φ(synthetic)‖² (real means detached). One real batch is plain DM; the
    /// groups of a class under `--group-loss sum` are FairDD-DM, with the synthetic embedding computed once.
    public static func groupSumDistance(_ network: Network, parameters: [Tensor], reals: [Tensor],
                                        synthetic: Tensor) -> Tensor {
        let syntheticMean = network.embed(synthetic, parameters: parameters).mean(axes: [0])
        var total = Tensor(0.0, dtype: syntheticMean.dtype)
        for real in reals {
            let realMean = withNoGrad { network.embed(real, parameters: parameters).mean(axes: [0]) }
            total = total + (realMean - syntheticMean).square().sum()
        }
        return total
    }
}
