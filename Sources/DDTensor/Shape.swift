import DDKernels

extension NDArray {
    /// Strided copy: out[i] = self[offset + plan strides], used by permute / slice.
    func stridedCopy(outShape: [Int], strides: [Int], offset: Int) -> NDArray {
        var out = NDArray(shape: outShape, dtype: dtype, zeroed: false)
        let plan = StridedPlan(shape: outShape, a: strides, b: [Int](repeating: 0, count: outShape.count))
        func run<T: ArrayElement>(_: T.Type) {
            let src = pointer(T.self) + offset, dst = out.mutablePointer(T.self)
            Threads.parallelFor(plan.rows, grain: plan.grain) { range in
                for row in range {
                    let a = src + plan.offsets(row).0, o = dst + row * plan.inner, sa = plan.innerA
                    if sa == 1 { o.update(from: a, count: plan.inner) } else {
                        for i in 0..<plan.inner { o[i] = a[i * sa] }
                    }
                }
            }
        }
        if out.count > 0 { if dtype == .float32 { run(Float.self) } else { run(Double.self) } }
        return out
    }

    /// Axes reordered: result dimension i is input dimension perm[i].
    public func permuted(_ perm: [Int]) -> NDArray {
        require(perm.sorted() == Array(0..<rank), "invalid permutation \(perm) for rank \(rank)")
        if perm == Array(0..<rank) { return self }
        let st = contiguousStrides(shape)
        return stridedCopy(outShape: perm.map { shape[$0] }, strides: perm.map { st[$0] }, offset: 0)
    }

    /// Swaps the last two axes.
    public func transposed() -> NDArray {
        require(rank >= 2, "transposed needs rank >= 2")
        var p = Array(0..<rank); p.swapAt(rank - 1, rank - 2)
        return permuted(p)
    }

    /// Sub-block given one range per axis.
    public func sliced(_ ranges: [Range<Int>]) -> NDArray {
        require(ranges.count == rank && Swift.zip(ranges, shape).allSatisfy { $0.0.lowerBound >= 0 && $0.0.upperBound <= $0.1 },
                     "slice \(ranges) out of bounds for \(shape)")
        let st = contiguousStrides(shape)
        let offset = Swift.zip(ranges, st).reduce(0) { $0 + $1.0.lowerBound * $1.1 }
        return stridedCopy(outShape: ranges.map(\.count), strides: st, offset: offset)
    }

    /// Sub-range along one axis.
    public func sliced(axis: Int, _ range: Range<Int>) -> NDArray {
        let a = normalizedAxes([axis])[0]
        var ranges = shape.map { 0..<$0 }; ranges[a] = range
        return sliced(ranges)
    }

    /// Zero padding: `padding[i]` = (before, after) for axis i.
    public func padded(_ padding: [(Int, Int)]) -> NDArray {
        require(padding.count == rank && padding.allSatisfy { $0.0 >= 0 && $0.1 >= 0 }, "bad padding for \(shape)")
        let outShape = Swift.zip(shape, padding).map { $0 + $1.0 + $1.1 }
        var out = NDArray(shape: outShape, dtype: dtype)
        let ost = contiguousStrides(outShape)
        let base = Swift.zip(padding, ost).reduce(0) { $0 + $1.0.0 * $1.1 }
        let plan = StridedPlan(shape: shape, a: contiguousStrides(shape), b: ost)
        func run<T: ArrayElement>(_: T.Type) {
            let src = pointer(T.self), dst = out.mutablePointer(T.self) + base
            Threads.parallelFor(plan.rows, grain: plan.grain) { range in
                for row in range {
                    let (oa, ob) = plan.offsets(row)
                    for i in 0..<plan.inner { dst[ob + i * plan.innerB] = src[oa + i * plan.innerA] }
                }
            }
        }
        if count > 0 { if dtype == .float32 { run(Float.self) } else { run(Double.self) } }
        return out
    }

    /// Joins arrays along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [NDArray], axis: Int) -> NDArray {
        require(!parts.isEmpty, "concat of nothing")
        let first = parts[0], a = first.normalizedAxes([axis])[0]
        for p in parts {
            require(p.rank == first.rank && p.dtype == first.dtype &&
                         (0..<p.rank).allSatisfy { $0 == a || p.shape[$0] == first.shape[$0] },
                         "concat shape mismatch \(p.shape) vs \(first.shape)")
        }
        var outShape = first.shape; outShape[a] = parts.reduce(0) { $0 + $1.shape[a] }
        var out = NDArray(shape: outShape, dtype: first.dtype, zeroed: false)
        let outer = outShape[..<a].reduce(1, *), inner = outShape[(a + 1)...].reduce(1, *)
        func run<T: ArrayElement>(_: T.Type) {
            let dst = out.mutablePointer(T.self)
            var at = 0
            for p in parts {
                let n = p.shape[a] * inner, src = p.pointer(T.self)
                for o in 0..<outer { (dst + o * outShape[a] * inner + at).update(from: src + o * n, count: n) }
                at += n
            }
        }
        if first.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return out
    }

    /// Picks entries `indices` along `axis` (repeats allowed).
    public func indexSelect(axis: Int, _ indices: [Int]) -> NDArray {
        let a = normalizedAxes([axis])[0], n = shape[a]
        require(indices.allSatisfy { $0 >= 0 && $0 < n }, "index out of range 0..<\(n)")
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape; outShape[a] = indices.count
        var out = NDArray(shape: outShape, dtype: dtype, zeroed: false)
        func run<T: ArrayElement>(_: T.Type) {
            let src = pointer(T.self), dst = out.mutablePointer(T.self)
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    (dst + (o * indices.count + k) * inner).update(from: src + (o * n + i) * inner, count: inner)
                }
            }
        }
        if out.count > 0 { if dtype == .float32 { run(Float.self) } else { run(Double.self) } }
        return out
    }

    /// Adjoint of `indexSelect`: a zero array with `size` entries along `axis`, and slice k of self
    /// added at position indices[k] (index-add; repeated indices accumulate in order).
    public func indexAdd(axis: Int, _ indices: [Int], size: Int) -> NDArray {
        let a = normalizedAxes([axis])[0]
        require(shape[a] == indices.count && indices.allSatisfy { $0 >= 0 && $0 < size }, "bad indexAdd")
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape; outShape[a] = size
        var out = NDArray(shape: outShape, dtype: dtype)
        func run<T: ArrayElement>(_: T.Type) {
            let src = pointer(T.self), dst = out.mutablePointer(T.self)
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    let d = dst + (o * size + i) * inner, s = src + (o * indices.count + k) * inner
                    for j in 0..<inner { d[j] += s[j] }
                }
            }
        }
        if count > 0 { if dtype == .float32 { run(Float.self) } else { run(Double.self) } }
        return out
    }

    /// self [A, B, M] gathered at index [A, K] (shared across B; -1 gives 0) → [A, B, K].
    public func gatherLast(_ index: [Int32], k: Int) -> NDArray {
        require(rank == 3 && index.count == shape[0] * k, "gatherLast needs [A,B,M] and A*K indices")
        let m = shape[2]
        require(index.allSatisfy { $0 >= -1 && Int($0) < m }, "gather index out of range")
        var out = NDArray(shape: [shape[0], shape[1], k], dtype: dtype, zeroed: false)
        index.withUnsafeBufferPointer { idx in
            if dtype == .float32 {
                GatherScatter.gather(a: shape[0], b: shape[1], m: m, k: k, input: pointer(Float.self),
                                     index: idx.baseAddress!, output: out.mutablePointer(Float.self))
            } else {
                GatherScatter.gather(a: shape[0], b: shape[1], m: m, k: k, input: pointer(Double.self),
                                     index: idx.baseAddress!, output: out.mutablePointer(Double.self))
            }
        }
        return out
    }

    /// Adjoint of `gatherLast`: self [A, B, K] scattered (added) into [A, B, m].
    public func scatterAddLast(_ index: [Int32], m: Int) -> NDArray {
        require(rank == 3 && index.count == shape[0] * shape[2], "scatterAddLast needs [A,B,K] and A*K indices")
        require(index.allSatisfy { $0 >= -1 && Int($0) < m }, "scatter index out of range")
        var out = NDArray(shape: [shape[0], shape[1], m], dtype: dtype, zeroed: false)
        index.withUnsafeBufferPointer { idx in
            if dtype == .float32 {
                GatherScatter.scatterAdd(a: shape[0], b: shape[1], m: m, k: shape[2], input: pointer(Float.self),
                                         index: idx.baseAddress!, output: out.mutablePointer(Float.self))
            } else {
                GatherScatter.scatterAdd(a: shape[0], b: shape[1], m: m, k: shape[2], input: pointer(Double.self),
                                         index: idx.baseAddress!, output: out.mutablePointer(Double.self))
            }
        }
        return out
    }
}
