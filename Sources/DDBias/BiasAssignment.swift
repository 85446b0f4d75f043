import DDData
import DDTensor

/// Which attribute value (colour) each sample gets, and which samples a split keeps. Pure functions of
/// the labels and a seed, so counts can be checked without touching a pixel.
public enum BiasAssignment {
    /// Samples per attribute value for one class of `classSize` samples whose own value is `alignedValue`:
    /// LfF's milestone rule (reference/protocols.md §4.1). The ratio row is (1 − r) on the class's own
    /// value and r/(A − 1) on each other one; milestones = round-half-even(n · cumsum(row)); counts are the
    /// milestone differences. r = 0.9 with A = 10 makes every value equally likely (the unbiased test set),
    /// r = 1 puts every sample on another value (the conflicting-only set).
    public static func valueCounts(classSize n: Int, alignedValue c: Int, attributeCount a: Int,
                                   conflictingRatio r: Double) -> [Int] {
        precondition(a >= 2 && (0..<a).contains(c) && n >= 0, "valueCounts: bad arguments")
        // The same float operations as LfF's numpy code, so rounding ties land the same way.
        let aligned = 1 - r
        let other = (1 - aligned) / Double(a - 1)
        var cumulative = 0.0
        var milestones: [Int] = []
        for j in 0..<a {
            cumulative += j == c ? aligned : other
            milestones.append(Int((Double(n) * cumulative).rounded(.toNearestOrEven)))
        }
        milestones[a - 1] = n   // cumsum may end at 0.999…; every sample gets a value
        var counts: [Int] = []
        var previous = 0
        for m in milestones {
            let clamped = min(max(m, previous), n)
            counts.append(clamped - previous)
            previous = clamped
        }
        return counts
    }

    /// The attribute value of every sample: per class, exactly `valueCounts` samples per value, with the
    /// samples that get each value chosen by a seeded shuffle (LfF assigns contiguous index blocks; a shuffle
    /// keeps the counts and does not tie the colour to MNIST's file order).
    public static func assign(labels: [Int32], classCount: Int, attributeCount: Int, conflictingRatio: Double,
                              seed: UInt64) -> [Int32] {
        var rng = RandomGenerator(seed: derivedSeed(seed, stream: 2))
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, label) in labels.enumerated() { byClass[Int(label)].append(i) }
        var values = [Int32](repeating: 0, count: labels.count)
        for (c, members) in byClass.enumerated() {
            let counts = valueCounts(classSize: members.count, alignedValue: c, attributeCount: attributeCount,
                                     conflictingRatio: conflictingRatio)
            var pool: [Int32] = []
            pool.reserveCapacity(members.count)
            for (value, count) in counts.enumerated() { pool += repeatElement(Int32(value), count: count) }
            let order = rng.permutation(pool.count)
            for (k, sample) in members.enumerated() { values[sample] = pool[order[k]] }
        }
        return values
    }

    /// Sizes of the founding document's split for `count` images: 3/4 train and 1/12 validation, i.e.
    /// 45,000 and 5,000 of MNIST's 60,000; the remaining 1/6 is left out, as in the document.
    public static func splitSizes(count: Int) -> (train: Int, validation: Int) {
        (count * 3 / 4, count / 12)
    }

    /// Ascending indices kept by `split`: a seeded permutation of all images, first the training part, then
    /// the validation part, so train and val made with one seed never share an image whatever the ratio.
    public static func splitIndices(count: Int, split: BiasSplit, seed: UInt64) -> [Int] {
        guard split != .all else { return Array(0..<count) }
        var rng = RandomGenerator(seed: derivedSeed(seed, stream: 1))
        let order = rng.permutation(count)
        let (train, validation) = splitSizes(count: count)
        let part = split == .train ? order[0..<train] : order[train..<(train + validation)]
        return part.sorted()
    }

    /// Independent generators for the split, the assignment and the jitter, all from the one --seed.
    public static func derivedSeed(_ seed: UInt64, stream: UInt64) -> UInt64 {
        var z = seed &+ stream &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
