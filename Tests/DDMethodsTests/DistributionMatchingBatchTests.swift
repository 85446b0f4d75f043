import DDAutograd
import DDNN
import DDTensor
import Testing
@testable import DDMethods

/// DM embeds every unit's real images in one pass and every unit's synthetic images in one pass. With a
/// per-sample norm that must equal the unit-by-unit sum; with batch norm the statistics must mix units, as
/// the reference's BN path does.
@Suite struct DistributionMatchingBatchTests {
    /// Three units (one with two real batches, as FairDD's sum has), real batches of unequal sizes.
    func problem(_ spec: String, seed: UInt64) throws -> (Network, [Tensor], [[Tensor]], [Tensor]) {
        let network = try Network(try NetworkSpec(parsing: spec), channels: 1, height: 12, width: 12, classes: 3)
        var rng = RandomGenerator(seed: seed)
        let parameters = network.initialParameters(rng: &rng, dtype: .float64).map { $0.detach() }
        let reals = [[5], [3, 2], [4]].map { sizes in
            sizes.map { Tensor(NDArray.normal([$0, 1, 12, 12], dtype: .float64, rng: &rng)) }
        }
        let synthetics = [2, 1, 2].map {
            Tensor(NDArray.normal([$0, 1, 12, 12], dtype: .float64, rng: &rng), requiresGrad: true)
        }
        return (network, parameters, reals, synthetics)
    }

    @Test func batchedPassesEqualTheUnitByUnitSumWithInstanceNorm() throws {
        let (network, parameters, reals, synthetics) = try problem("convnet-d2-w4", seed: 11)
        let batched = DistributionMatching.unitDistances(network, parameters: parameters, reals: reals,
                                                         synthetics: synthetics)
        let batchedGradients = grad(of: batched, wrt: synthetics)
        var sum = 0.0
        for (unit, synthetic) in synthetics.enumerated() {
            // The unit on its own, written out without the batched helpers.
            let syntheticMean = network.embed(synthetic, parameters: parameters).mean(axes: [0])
            let single = reals[unit].map { real in
                let realMean = withNoGrad { network.embed(real, parameters: parameters).mean(axes: [0]) }
                return (realMean - syntheticMean).square().sum()
            }.reduce(Tensor(0.0, dtype: .float64), +)
            sum += single.item()
            let expected = grad(of: single, wrt: [synthetic])[0].array.doubles
            let actual = batchedGradients[unit].array.doubles
            let scale = expected.map(abs).max() ?? 0
            #expect(scale > 0)
            #expect(zip(actual, expected).allSatisfy { abs($0 - $1) <= 1e-10 * scale }, "unit \(unit)")
        }
        #expect(abs(batched.item() - sum) <= 1e-10 * abs(sum))
    }

    @Test func realChunksDoNotChangeTheMeans() throws {
        let (network, parameters, _, _) = try problem("convnet-d2-w4", seed: 12)
        var rng = RandomGenerator(seed: 3)
        let count = DistributionMatching.realChunk + 7
        let batch = Tensor(NDArray.normal([count, 1, 12, 12], dtype: .float64, rng: &rng))
        let chunked = DistributionMatching.realMeans(network, parameters: parameters, batches: [batch])[0]
        let whole = withNoGrad { network.embed(batch, parameters: parameters).mean(axes: [0]) }
        let gap = zip(chunked.array.doubles, whole.array.doubles).map { abs($0 - $1) }.max() ?? 1
        #expect(gap <= 1e-12)
    }

    @Test func batchNormStatisticsMixTheUnits() throws {
        let (network, parameters, reals, synthetics) = try problem("convnet-d2-w4-bn", seed: 13)
        #expect(network.hasBatchNorm)
        let batched = DistributionMatching.unitDistances(network, parameters: parameters, reals: reals,
                                                         synthetics: synthetics).item()
        // Explicitly: embed the concatenations, then take the segment means.
        let realRows = withNoGrad {
            network.embed(Tensor.concat(reals.flatMap { $0 }, axis: 0), parameters: parameters)
        }
        let syntheticRows = network.embed(Tensor.concat(synthetics, axis: 0), parameters: parameters)
        let realMeans = [0 ..< 5, 5 ..< 8, 8 ..< 10, 10 ..< 14].map { realRows.sliced(axis: 0, $0).mean(axes: [0]) }
        let syntheticMeans = [0 ..< 2, 2 ..< 3, 3 ..< 5].map { syntheticRows.sliced(axis: 0, $0).mean(axes: [0]) }
        let explicit = zip([0, 1, 1, 2], realMeans).map { unit, mean in
            (mean - syntheticMeans[unit]).square().sum().item()
        }.reduce(0, +)
        #expect(abs(batched - explicit) <= 1e-10 * abs(explicit))
        let perUnit = synthetics.indices.map { unit in   // each unit through its own batch-norm passes
            let syntheticMean = network.embed(synthetics[unit], parameters: parameters).mean(axes: [0])
            return reals[unit].map { real in
                (network.embed(real, parameters: parameters).mean(axes: [0]) - syntheticMean).square().sum().item()
            }.reduce(0, +)
        }.reduce(0, +)
        #expect(abs(batched - perUnit) > 1e-3 * abs(perUnit), "batch norm must see all units at once")
    }
}
