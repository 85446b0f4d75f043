import DDKernels

extension NDArray {
    /// Normalises possibly negative axes, sorted and unique.
    public func normalizedAxes(_ axes: [Int]) -> [Int] {
        let r = rank
        return Array(Set(axes.map { a -> Int in
            let n = a < 0 ? a + r : a
            require(n >= 0 && n < r, "axis \(a) out of range for rank \(r)")
            return n
        })).sorted()
    }

    /// Shape after reducing `axes` with keepDims (reduced axes become 1).
    public func keptShape(_ axes: [Int]) -> [Int] {
        let set = Set(normalizedAxes(axes))
        return shape.enumerated().map { set.contains($0.offset) ? 1 : $0.element }
    }

    /// Sum over `axes` (all axes when empty is not implied: pass them explicitly).
    /// Accumulates in Double, so Float32 sums over large batches stay accurate.
    public func sum(axes: [Int], keepDims: Bool = false) -> NDArray {
        let ax = normalizedAxes(axes)
        let kept = keptShape(ax)
        let finalShape = keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        switch dtype {
        case .float32: return sumImpl(Float.self, kept).reshaped(finalShape)
        case .float64: return sumImpl(Double.self, kept).reshaped(finalShape)
        }
    }

    private func sumImpl<T: ArrayElement>(_: T.Type, _ kept: [Int]) -> NDArray {
        var out = NDArray(shape: kept, dtype: dtype, zeroed: false)
        let src = pointer(T.self), dst = out.mutablePointer(T.self)
        let outCount = out.count
        if outCount == 0 { return out }
        let block = count / Swift.max(1, outCount)
        // Reduced axes form a trailing block: each output is one contiguous run, parallel over outputs.
        let trailing = kept.count == shape.count &&
            Swift.zip(kept, shape).drop(while: { $0.0 == $0.1 }).allSatisfy { $0.0 == 1 }
        if trailing {
            Threads.parallelFor(outCount, grain: Swift.max(1, 16384 / Swift.max(1, block))) { range in
                for o in range {
                    dst[o] = T(Accumulate.sum(src + o * block, block))
                }
            }
            return out
        }
        // Reduced axes form a prefix and a suffix around a kept block (e.g. per-channel sums over
        // [N, C, H, W] axes 0, 2, 3): parallel over kept elements, each summing contiguous runs.
        let firstKept = kept.indices.first { kept[$0] != 1 || shape[$0] == 1 } ?? kept.count
        let lastKept = kept.indices.last { kept[$0] != 1 || shape[$0] == 1 } ?? -1
        if firstKept <= lastKept, (firstKept...lastKept).allSatisfy({ kept[$0] == shape[$0] }) {
            let outer = shape[..<firstKept].reduce(1, *), inner = shape[(lastKept + 1)...].reduce(1, *)
            let middle = outCount
            Threads.parallelFor(middle, grain: Swift.max(1, 16384 / Swift.max(1, outer * inner))) { range in
                for k in range {
                    var acc = 0.0
                    for a in 0..<outer { acc += Accumulate.sum(src + (a * middle + k) * inner, inner) }
                    dst[k] = T(acc)
                }
            }
            return out
        }
        let plan = StridedPlan(shape: shape, a: contiguousStrides(shape), b: broadcastStrides(kept, to: shape))
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: outCount)
        defer { acc.deallocate() }
        acc.update(repeating: 0, count: outCount)
        for row in 0..<plan.rows {
            let (oa, ob) = plan.offsets(row)
            let a = src + oa, b = acc + ob, sa = plan.innerA, sb = plan.innerB
            if sb == 0 {
                var s = 0.0
                for i in 0..<plan.inner { s += Double(a[i * sa]) }
                b[0] += s
            } else {
                for i in 0..<plan.inner { b[i * sb] += Double(a[i * sa]) }
            }
        }
        for i in 0..<outCount { dst[i] = T(acc[i]) }
        return out
    }

    public func mean(axes: [Int], keepDims: Bool = false) -> NDArray {
        let ax = normalizedAxes(axes)
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims) * (1.0 / Double(Swift.max(1, n)))
    }

    /// Sum of all elements as a rank-0 array.
    public func sumAll() -> NDArray { sum(axes: Array(0..<rank)) }

    /// Maximum along one axis.
    public func max(axis: Int, keepDims: Bool = false) -> NDArray {
        let a = normalizedAxes([axis])[0]
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        require(n > 0, "max over an empty axis")
        var kept = shape; kept[a] = 1
        var out = NDArray(shape: kept, dtype: dtype, zeroed: false)
        func run<T: ArrayElement>(_: T.Type) {
            let src = pointer(T.self), dst = out.mutablePointer(T.self)
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = src[o * n * inner + i]
                    for k in 1..<Swift.max(1, n) { best = Swift.max(best, src[(o * n + k) * inner + i]) }
                    dst[o * inner + i] = best
                }
            }
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        if keepDims { return out }
        var s = shape; s.remove(at: a)
        return out.reshaped(s)
    }

    /// Index of the maximum along the last axis of a 2-D array (e.g. predicted classes).
    public func argmaxRows() -> [Int] {
        require(rank == 2, "argmaxRows needs a 2-D array")
        let rows = shape[0], cols = shape[1], v = doubles
        return (0..<rows).map { r in
            var best = 0
            for c in 1..<Swift.max(1, cols) where v[r * cols + c] > v[r * cols + best] { best = c }
            return best
        }
    }
}
