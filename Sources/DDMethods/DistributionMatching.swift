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

    /// Real images per no-grad forward pass of a network without batch norm (bounds the activations).
    static let realChunk = 1024

    public init(config: DistillConfig, pool: RealPool, network: Network) throws {
        self.config = config
        self.pool = pool
        self.network = network
        strategy = try DSAStrategy(parsing: config.dsaStrategy)
    }

    public mutating func step(_ state: inout DistillState) throws -> Double {
        // Frozen: the images are the only thing that receives a gradient.
        let parameters = network.initialParameters(rng: &state.rng).map { $0.detach() }
        // Every unit's real batches and Siamese draw first, in unit order; the embedding then runs once
        // over all units (see `unitDistances`).
        var reals: [[Tensor]] = [], synthetics: [Tensor] = [], leaves: [Tensor] = []
        for unit in pool.matchingUnits {
            let unitReals = unit.map { Tensor(pool.sample($0, count: config.batchReal, rng: &state.rng)) }
            let leaf = SyntheticSlices.leaf(state.images, unit[0])
            var inputs = unitReals + [leaf]
            if !strategy.isNone {
                inputs = DSA.augmentSiamese(inputs, strategy: strategy, rng: &state.rng).augmented
            }
            reals.append(Array(inputs.dropLast()))
            synthetics.append(inputs.last!)
            leaves.append(leaf)
        }
        try state.checkStop()
        let distance = Self.unitDistances(network, parameters: parameters, reals: reals, synthetics: synthetics)
        try state.checkStop()
        var gradient = NDArray.zeros(state.images.shape)
        for (unit, leafGradient) in zip(pool.matchingUnits, grad(of: distance, wrt: leaves)) {
            SyntheticSlices.accumulate(&gradient, leafGradient.array, unit[0])
        }
        state.updateImages(gradient: gradient)
        return distance.item()
    }

    /// Σ_g ‖mean φ(real_g) − mean φ(synthetic)‖² (real means detached). One real batch is plain DM; the
    /// groups of a class under `--group-loss sum` are FairDD-DM, with the synthetic embedding computed once.
    public static func groupSumDistance(_ network: Network, parameters: [Tensor], reals: [Tensor],
                                        synthetic: Tensor) -> Tensor {
        unitDistances(network, parameters: parameters, reals: [reals], synthetics: [synthetic])
    }

    /// Σ over units u of Σ over u's real batches r of ‖mean φ(r) − mean φ(synthetics[u])‖².
    /// All real images go through the network in one no-grad pass and all synthetic images in one pass with
    /// the graph. With per-sample norms (ConvNet's instance norm) that equals unit-by-unit passes, at gemm
    /// sizes that keep the CPU busy (group matching has 100 units of 1 synthetic image at IPC 10); with batch
    /// norm it is the reference's BN path, where the batch statistics mix every class (methods/dm.md §2).
    public static func unitDistances(_ network: Network, parameters: [Tensor], reals: [[Tensor]],
                                     synthetics: [Tensor]) -> Tensor {
        let means = realMeans(network, parameters: parameters, batches: reals.flatMap { $0 })
        var next = 0
        let grouped = reals.map { unitReals in
            defer { next += unitReals.count }
            return Array(means[next ..< next + unitReals.count])
        }
        return unitDistances(network, parameters: parameters, realMeans: grouped, synthetics: synthetics)
    }

    /// The same from the real means already computed (`realMeans[u]`: one per real batch of unit u).
    public static func unitDistances(_ network: Network, parameters: [Tensor], realMeans: [[Tensor]],
                                     synthetics: [Tensor]) -> Tensor {
        precondition(realMeans.count == synthetics.count, "one list of real means per synthetic batch")
        let embedding = network.embed(Tensor.concat(synthetics, axis: 0), parameters: parameters)
        let syntheticMeans = segmentMeans(embedding, sizes: synthetics.map { $0.shape[0] })
        let terms = zip(realMeans, syntheticMeans).flatMap { unitMeans, syntheticMean in
            unitMeans.map { ($0 - syntheticMean).square().sum() }
        }
        return terms.dropFirst().reduce(terms[0], +)
    }

    /// Detached mean embedding of each batch: one pass over all of them with batch norm (the reference's
    /// mixed statistics), else passes of at most `realChunk` images.
    public static func realMeans(_ network: Network, parameters: [Tensor], batches: [Tensor]) -> [Tensor] {
        withNoGrad {
            let all = NDArray.concat(batches.map(\.array), axis: 0)
            let count = all.shape[0]
            let embedding: Tensor
            if network.hasBatchNorm || count <= realChunk {
                embedding = network.embed(Tensor(all), parameters: parameters)
            } else {
                embedding = Tensor.concat(stride(from: 0, to: count, by: realChunk).map { start in
                    let rows = all.sliced(axis: 0, start ..< min(count, start + realChunk))
                    return network.embed(Tensor(rows), parameters: parameters)
                }, axis: 0)
            }
            return segmentMeans(embedding, sizes: batches.map { $0.shape[0] })
        }
    }

    /// Means over consecutive row segments of the given sizes.
    static func segmentMeans(_ rows: Tensor, sizes: [Int]) -> [Tensor] {
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return rows.sliced(axis: 0, start ..< start + size).mean(axes: [0])
        }
    }
}
