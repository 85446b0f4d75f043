import DDTensor

extension Tensor {
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let from = shape
        let value = array.reshaped(newShape)
        if value.shape == from { return self }
        return Tensor.record("reshape", value, [self]) { g, _ in [g.reshaped(from)] }
    }

    /// Result dimension i is input dimension perm[i].
    public func permuted(_ perm: [Int]) -> Tensor {
        var inverse = perm
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return Tensor.record("permute", array.permuted(perm), [self]) { g, _ in [g.permuted(inverse)] }
    }

    /// Swaps the last two axes.
    public func transposed() -> Tensor {
        var p = Array(0..<rank); p.swapAt(rank - 1, rank - 2)
        return permuted(p)
    }

    /// Sub-block with one range per axis.
    public func sliced(_ ranges: [Range<Int>]) -> Tensor {
        let from = shape
        return Tensor.record("slice", array.sliced(ranges), [self]) { g, _ in
            [g.padded(zip(ranges, from).map { ($0.lowerBound, $1 - $0.upperBound) })]
        }
    }

    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        var ranges = shape.map { 0..<$0 }; ranges[a] = range
        return sliced(ranges)
    }

    /// Zero padding, (before, after) per axis.
    public func padded(_ padding: [(Int, Int)]) -> Tensor {
        let from = shape
        return Tensor.record("pad", array.padded(padding), [self]) { g, _ in
            [g.sliced(zip(padding, from).map { $0.0 ..< ($0.0 + $1) })]
        }
    }

    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        let a = axis < 0 ? axis + parts[0].rank : axis
        let sizes = parts.map { $0.shape[a] }
        return record("concat", NDArray.concat(parts.map(\.array), axis: a), parts) { g, need in
            var start = 0
            return sizes.enumerated().map { i, n in
                defer { start += n }
                return need[i] ? g.sliced(axis: a, start ..< start + n) : nil
            }
        }
    }

    public func indexSelect(axis: Int, _ indices: [Int]) -> Tensor {
        let a = axis < 0 ? axis + rank : axis, size = shape[a]
        return Tensor.record("indexSelect", array.indexSelect(axis: a, indices), [self]) { g, _ in
            [g.indexAdd(axis: a, indices, size: size)]
        }
    }

    /// Adjoint of indexSelect: slices of self added at `indices` of a zero tensor with `size` entries on `axis`.
    public func indexAdd(axis: Int, _ indices: [Int], size: Int) -> Tensor {
        let a = axis < 0 ? axis + rank : axis
        return Tensor.record("indexAdd", array.indexAdd(axis: a, indices, size: size), [self]) { g, _ in
            [g.indexSelect(axis: a, indices)]
        }
    }

    /// self [A, B, M] at index [A, K] (shared over B, -1 gives 0) → [A, B, K].
    public func gatherLast(_ index: [Int32], k: Int) -> Tensor {
        let m = shape[2]
        return Tensor.record("gather", array.gatherLast(index, k: k), [self]) { g, _ in [g.scatterAddLast(index, m: m)] }
    }

    /// Adjoint of gatherLast: self [A, B, K] added into a zero [A, B, m].
    public func scatterAddLast(_ index: [Int32], m: Int) -> Tensor {
        let k = shape[2]
        return Tensor.record("scatterAdd", array.scatterAddLast(index, m: m), [self]) { g, _ in [g.gatherLast(index, k: k)] }
    }

    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let from = shape, kept = array.keptShape(axes)
        return Tensor.record("sum", array.sum(axes: axes, keepDims: keepDims), [self]) { g, _ in
            [g.reshaped(kept).broadcast(to: from)]
        }
    }

    public func sum() -> Tensor { sum(axes: Array(0..<rank)) }

    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = array.normalizedAxes(axes).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Double(Swift.max(1, n)))
    }

    public func mean() -> Tensor { mean(axes: Array(0..<rank)) }

    /// Maximum along `axis`; the gradient goes to every position equal to the maximum.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let kept = array.max(axis: axis, keepDims: true)
        let mask = array.binary(kept, .equal)
        let value = keepDims ? kept : array.max(axis: axis, keepDims: false)
        let keptShape = kept.shape, from = shape
        return Tensor.record("max", value, [self]) { g, _ in
            [g.reshaped(keptShape).broadcast(to: from).scaled(by: mask)]
        }
    }
}
