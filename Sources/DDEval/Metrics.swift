import DDTrain

/// Mean and population standard deviation (ddof 0), as the reference reports (protocols.md §3.1).
public struct MeanStd: Sendable, Equatable, Codable {
    public let mean: Double
    public let std: Double
    public let count: Int

    public init(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        count = finite.count
        guard !finite.isEmpty else { mean = .nan; std = .nan; return }
        let m = finite.reduce(0, +) / Double(finite.count)
        mean = m
        std = (finite.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(finite.count)).squareRoot()
    }
}

/// Group and bias metrics of one network (reference/protocols.md §5). Accuracies are fractions; DEO_M and
/// DEO_A are ×100 as FairDD reports them.
public struct BiasMetrics: Sendable, Equatable, Codable {
    /// Accuracy per group id (from the `groups` record), when present.
    public let groupAccuracy: [Int: Double]
    /// Minimum over groups when groups are present, else the minimum over non-empty (class, bias) cells.
    public let worstGroupAccuracy: Double?
    /// Mean of acc[y][b] over non-empty cells with b = y, and with b ≠ y (LfF).
    public let alignedAccuracy: Double?
    public let conflictingAccuracy: Double?
    /// Mean of all non-empty cells (LfF's group-balanced accuracy).
    public let groupBalancedAccuracy: Double?
    /// max / mean over classes c of (max_b acc[c][b] − min_b acc[c][b]) over non-empty cells, ×100.
    public let deoMax: Double?
    public let deoMean: Double?

    /// Nil when the test set has neither group nor bias labels.
    public init?(_ counts: ClassificationCounts) {
        let hasGroups = !counts.groupTotal.isEmpty, hasBias = counts.biasCount > 0
        guard hasGroups || hasBias else { return nil }
        groupAccuracy = counts.perGroupAccuracy
        let cells = counts.cellAccuracy
        var aligned: [Double] = [], conflicting: [Double] = [], all: [Double] = [], gaps: [Double] = []
        for (y, row) in cells.enumerated() {
            let present = row.filter(\.isFinite)
            for (b, value) in row.enumerated() where value.isFinite {
                all.append(value)
                if b == y { aligned.append(value) } else { conflicting.append(value) }
            }
            if let hi = present.max(), let lo = present.min() { gaps.append(hi - lo) }
        }
        func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
        worstGroupAccuracy = hasGroups ? groupAccuracy.values.min() : all.min()
        alignedAccuracy = mean(aligned)
        conflictingAccuracy = mean(conflicting)
        groupBalancedAccuracy = mean(all)
        deoMax = gaps.max().map { $0 * 100 }
        deoMean = mean(gaps).map { $0 * 100 }
    }
}

/// DD-Ranking's scores (reference/protocols.md §3.5). Inputs are accuracies as **fractions**; the results
/// are in the same units (DD-Ranking's code computes them from percentages, i.e. 100× these values; its
/// LRS/ARS normalisation assumes fractions, which is why dd uses fractions throughout).
public enum DDRanking {
    /// IOR = Acc(synthetic) − Acc(random real subset of the same IPC, same recipe). Higher is better.
    public static func improvementOverRandom(synthetic: Double, random: Double) -> Double { synthetic - random }
    /// HLR = Acc(full real data, hard labels) − Acc(synthetic, hard labels). Lower is better.
    public static func hardLabelRecovery(fullData: Double, synthetic: Double) -> Double { fullData - synthetic }
}
