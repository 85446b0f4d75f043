import DDTensor

/// A row-major matrix of feature vectors, one row per candidate sample (e.g. the images of one class).
public struct CoresetFeatureMatrix: Sendable, Equatable {
    public let rows: Int
    public let dimension: Int
    /// rows × dimension values, row-major.
    public let values: [Float]

    public init(rows: Int, dimension: Int, values: [Float]) {
        require(rows >= 0 && dimension >= 1 && values.count == rows * dimension,
                "feature matrix: \(values.count) values for \(rows) rows × \(dimension)")
        self.rows = rows
        self.dimension = dimension
        self.values = values
    }

    public func row(_ index: Int) -> ArraySlice<Float> { values[(index * dimension)..<((index + 1) * dimension)] }

    /// The listed rows, in that order.
    public func rows(_ indices: [Int]) -> CoresetFeatureMatrix {
        var out: [Float] = []
        out.reserveCapacity(indices.count * dimension)
        for index in indices { out += row(index) }
        return CoresetFeatureMatrix(rows: indices.count, dimension: dimension, values: out)
    }

    /// Mean row, accumulated in Double.
    public func mean() -> [Double] {
        var sum = [Double](repeating: 0, count: dimension)
        for r in 0..<rows {
            let base = r * dimension
            for k in 0..<dimension { sum[k] += Double(values[base + k]) }
        }
        let scale = rows > 0 ? 1 / Double(rows) : 0
        return sum.map { $0 * scale }
    }
}

/// Herding and K-Center as pure functions of a feature matrix (Euclidean distance on the raw features,
/// reference/methods/coresets.md). Both return row indices in pick order; ties go to the lowest index.
///
/// Distances use ‖a‖² + ‖b‖² − 2a·b with the products from one BLAS matrix–vector pass per pick, in
/// float64 so the expansion does not lose the small differences between close candidates: the cost is
/// O(rows · count · dimension), as the reference budgets.
public enum CoresetGreedy {
    /// Greedy mean matching, the authors' form: at step t = 1…count pick the unselected row i minimising
    /// ‖t·μ − (Σ_selected f + f_i)‖, i.e. the row closest to t·μ − Σ_selected f.
    public static func herding(_ features: CoresetFeatureMatrix, count: Int) -> [Int] {
        require(count >= 0 && count <= features.rows, "herding: \(count) picks from \(features.rows) rows")
        guard count > 0 else { return [] }
        let matrix = FeatureProducts(features)
        let mean = features.mean()
        var selectedSum = [Double](repeating: 0, count: features.dimension)
        var taken = [Bool](repeating: false, count: features.rows)
        var picks: [Int] = []
        picks.reserveCapacity(count)
        for t in 1...count {
            let target = (0..<features.dimension).map { Double(t) * mean[$0] - selectedSum[$0] }
            let products = matrix.products(with: target)
            // ‖target − f_i‖² up to the constant ‖target‖².
            var best = -1
            var bestScore = Double.infinity
            for i in 0..<features.rows where !taken[i] {
                let score = matrix.squaredNorms[i] - 2 * products[i]
                if score < bestScore { bestScore = score; best = i }
            }
            // Non-finite features compare false everywhere; fall back to the first free row rather than trap.
            if best < 0 { best = taken.firstIndex(of: false) ?? 0 }
            taken[best] = true
            picks.append(best)
            let base = best * features.dimension
            for k in 0..<features.dimension { selectedSum[k] += Double(features.values[base + k]) }
        }
        return picks
    }

    /// Greedy farthest point (the authors' variant): first the row closest to the mean, then repeatedly
    /// the row whose distance to its nearest selected row is largest.
    public static func kCenter(_ features: CoresetFeatureMatrix, count: Int) -> [Int] {
        require(count >= 0 && count <= features.rows, "k-center: \(count) picks from \(features.rows) rows")
        guard count > 0 else { return [] }
        let matrix = FeatureProducts(features)
        let toMean = matrix.products(with: features.mean())
        var first = 0
        for i in 1..<features.rows where matrix.squaredNorms[i] - 2 * toMean[i] < matrix.squaredNorms[first] - 2 * toMean[first] {
            first = i
        }
        var picks = [first]
        picks.reserveCapacity(count)
        var nearest = [Double](repeating: .infinity, count: features.rows)
        var taken = [Bool](repeating: false, count: features.rows)
        taken[first] = true
        while picks.count < count {
            let last = picks[picks.count - 1]
            let lastRow = features.row(last).map(Double.init)
            let products = matrix.products(with: lastRow)
            let lastNorm = matrix.squaredNorms[last]
            var best = -1
            var bestDistance = -Double.infinity
            for i in 0..<features.rows where !taken[i] {
                // Clamped: rounding can make the expansion slightly negative for duplicate rows.
                let distance = Swift.max(0, matrix.squaredNorms[i] + lastNorm - 2 * products[i])
                if distance < nearest[i] { nearest[i] = distance }
                if nearest[i] > bestDistance { bestDistance = nearest[i]; best = i }
            }
            if best < 0 { best = taken.firstIndex(of: false) ?? 0 }
            taken[best] = true
            picks.append(best)
        }
        return picks
    }
}

/// The features as a float64 array with their squared norms, for repeated f·v products.
private struct FeatureProducts {
    let array: NDArray
    let squaredNorms: [Double]
    let rows: Int
    let dimension: Int

    init(_ features: CoresetFeatureMatrix) {
        rows = features.rows
        dimension = features.dimension
        let doubles = features.values.map(Double.init)
        array = NDArray(shape: [rows, dimension], doubles: doubles)
        var norms = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            var sum = 0.0
            for k in 0..<dimension { let v = doubles[r * dimension + k]; sum += v * v }
            norms[r] = sum
        }
        squaredNorms = norms
    }

    /// f_i · vector for every row i.
    func products(with vector: [Double]) -> [Double] {
        array.matmul(NDArray(shape: [dimension, 1], doubles: vector)).doubles
    }
}
