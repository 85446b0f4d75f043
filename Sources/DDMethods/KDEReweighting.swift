import DDData
import DDFormat
import DDNN
import DDTensor

/// Sample weights for biased data without group labels: a reconstruction of Cui et al. (ICML 2024)
/// following reference methods/debiasing-groups.md §3 (their kernel, bandwidth and encoder were not
/// published; this is a design consistent with their description, not their recipe).
///
/// 1. Features: the run's network (`--net`) trained one epoch with cross-entropy on all real images
///    (`computeCoresetFeatures`: SGD lr 0.01, momentum 0.9, wd 5e-4, batch 256), embedding rows
///    L2-normalised. Spurious cues such as colour are learned first, so within a class the embedding
///    clusters by the bias attribute (a CPU stand-in for their supervised-contrastive encoder).
/// 2. Per class c, a Gaussian KDE p_i = (1/N_c) Σ_{j∈c} exp(−‖z_i − z_j‖² / (2h_c²)) (j = i included).
///    Bandwidth by the median heuristic: 2h_c² = the median of ‖z_i − z_j‖² over pairs i < j of the class
///    (over an evenly spaced subset of at most 1000 images of large classes).
/// 3. w_i = p_i⁻¹ / Σ_{j∈c} p_j⁻¹, so each class's weights sum to 1; real batches are then drawn with
///    replacement with probability w_i (`RealPool.sample`), so low-density (likely bias-conflicting)
///    images are drawn more often. DM's expected real mean becomes Σ_i w_i φ(x_i); DC's real gradient the
///    weighted one.
public enum KDEReweighting {
    public struct Summary: Sendable, Equatable {
        public var extractor: String
        /// h_c per class.
        public var bandwidths: [Double]
        /// Per class, the largest weight over the smallest (how strongly the KDE reweights).
        public var weightRatios: [Double]

        var json: JSONValue {
            .object(["features": .string(extractor),
                     "kernel": .string("gaussian, per class, bandwidth by the median heuristic, weights 1/density summing to 1 per class"),
                     "bandwidths": .array(bandwidths.map { .number(($0 * 1e6).rounded() / 1e6) }),
                     "max_over_min_weight": .array(weightRatios.map { .number(($0 * 1e3).rounded() / 1e3) })])
        }
    }

    /// Weights for every image of `dataset` (features from `network` trained one epoch, seeded from `seed`).
    public static func weights(_ dataset: Dataset, network: String, seed: UInt64) throws -> ([Double], Summary) {
        var options = CoresetOptions()
        options.network = try NetworkSpec(parsing: network)
        options.featureEpochs = 1
        // Its own stream, derived from the run's seed, so the distillation's draws do not change.
        let features = try computeCoresetFeatures(dataset, options: options, seed: seed &+ 0x6B_6465)
        let (weights, bandwidths) = densityWeights(features.matrix, byClass: dataset.indicesByClass())
        let ratios = dataset.indicesByClass().map { indices -> Double in
            let w = indices.map { weights[$0] }
            return (w.max() ?? 1) / max(w.min() ?? 1, .leastNormalMagnitude)
        }
        return (weights, Summary(extractor: features.extractor + ", rows L2-normalised", bandwidths: bandwidths,
                                 weightRatios: ratios))
    }

    /// Steps 2–3 on given features: per-image weights (each class summing to 1) and h_c per class.
    public static func densityWeights(_ features: CoresetFeatureMatrix, byClass: [[Int]]) -> ([Double], [Double]) {
        var weights = [Double](repeating: 0, count: features.rows)
        var bandwidths: [Double] = []
        for indices in byClass where !indices.isEmpty {
            let z = normalizedRows(features.rows(indices))
            let n = indices.count
            let median = medianSquaredDistance(z)
            bandwidths.append((median / 2).squareRoot())
            var inverseDensity = [Double](repeating: 1, count: n)
            if median > 0 {
                // Row blocks bound the n×n distance matrix to 256·n values at a time.
                for start in stride(from: 0, to: n, by: 256) {
                    let rows = start..<min(n, start + 256)
                    let block = squaredDistances(z, rows: rows)
                    for (r, i) in rows.enumerated() {
                        var density = 0.0
                        for j in 0..<n { density += Double.exp(-Double(block[r * n + j]) / median) }
                        inverseDensity[i] = Double(n) / density
                    }
                }
            }
            let total = inverseDensity.reduce(0, +)
            for (k, index) in indices.enumerated() { weights[index] = inverseDensity[k] / total }
        }
        return (weights, bandwidths)
    }

    static func normalizedRows(_ m: CoresetFeatureMatrix) -> NDArray {
        var values = m.values
        for r in 0..<m.rows {
            let range = (r * m.dimension)..<((r + 1) * m.dimension)
            let norm = values[range].reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for k in range { values[k] /= norm } }
        }
        return NDArray(shape: [m.rows, m.dimension], scalars: values)
    }

    /// ‖z_i − z_j‖² = 2 − 2⟨z_i, z_j⟩ for unit rows (clamped at 0; a zero row counts as distance 1 from all).
    static func squaredDistances(_ z: NDArray, rows: Range<Int>) -> [Float] {
        let block = z.indexSelect(axis: 0, Array(rows))
        let n = z.shape[0], d = z.shape[1]
        let values = z.scalars
        let norms = (0..<n).map { r in values[(r * d)..<((r + 1) * d)].reduce(Float(0)) { $0 + $1 * $1 } }
        let dots = block.matmul(z, transposeB: true).scalars
        return dots.indices.map { k in max(0, norms[rows.lowerBound + k / n] + norms[k % n] - 2 * dots[k]) }
    }

    static func medianSquaredDistance(_ z: NDArray) -> Double {
        let n = z.shape[0]
        guard n >= 2 else { return 0 }
        let step = max(1, n / 1000)
        let subset = z.indexSelect(axis: 0, Array(stride(from: 0, to: n, by: step)))
        let m = subset.shape[0]
        let all = squaredDistances(subset, rows: 0..<m)
        var pairs: [Float] = []
        pairs.reserveCapacity(m * (m - 1) / 2)
        for i in 0..<m { for j in (i + 1)..<m { pairs.append(all[i * m + j]) } }
        pairs.sort()
        return Double(pairs[pairs.count / 2])
    }
}
