import DDTensor
import Testing

/// Randomised comparisons of the strided machinery (broadcasting, reductions, permutes, slices, pads)
/// against naive index arithmetic, over many random shapes including size-1 and size-0-free edge cases.
@Suite struct ArrayPropertyTests {
    func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
        var r = flat, idx = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) { idx[d] = r % shape[d]; r /= shape[d] }
        return idx
    }
    func ravel(_ idx: [Int], _ shape: [Int]) -> Int { zip(idx, shape).reduce(0) { $0 * $1.1 + $1.0 } }

    @Test func broadcastingMatchesNaive() {
        var rng = RandomGenerator(seed: 5)
        for _ in 0..<60 {
            let rank = 1 + rng.int(below: 4)
            let out = (0..<rank).map { _ in 1 + rng.int(below: 4) }
            // Each operand drops leading dims and sets some dims to 1.
            func operand() -> [Int] {
                let drop = rng.int(below: rank)
                return out.dropFirst(drop).map { rng.int(below: 3) == 0 ? 1 : $0 }
            }
            let sa = operand(), sb = operand()
            let a = NDArray.uniform(sa, low: -1, high: 1, dtype: .float64, rng: &rng)
            let b = NDArray.uniform(sb, low: 0.5, high: 2, dtype: .float64, rng: &rng)
            guard let shape = broadcastShape(sa, sb) else { Issue.record("broadcast failed \(sa) \(sb)"); continue }
            let got = (a / b).doubles, av = a.doubles, bv = b.doubles
            for flat in 0..<shape.reduce(1, *) {
                let idx = unravel(flat, shape)
                func pick(_ s: [Int]) -> Int {
                    let sub = idx.suffix(s.count)
                    return ravel(zip(sub, s).map { $1 == 1 ? 0 : $0 }, s)
                }
                #expect(got[flat] == av[pick(sa)] / bv[pick(sb)])
            }
        }
    }

    @Test func reductionsMatchNaive() {
        var rng = RandomGenerator(seed: 6)
        for _ in 0..<60 {
            let rank = 1 + rng.int(below: 4)
            let shape = (0..<rank).map { _ in 1 + rng.int(below: 4) }
            let axes = (0..<rank).filter { _ in rng.int(below: 2) == 0 }
            let x = NDArray.uniform(shape, low: -1, high: 1, dtype: .float64, rng: &rng)
            let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            var expected = [Double](repeating: 0, count: kept.reduce(1, *))
            let xv = x.doubles
            for flat in 0..<x.count {
                let idx = unravel(flat, shape)
                expected[ravel(idx.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }, kept)] += xv[flat]
            }
            let got = x.sum(axes: axes, keepDims: true)
            #expect(got.shape == kept)
            #expect(zip(got.doubles, expected).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
        }
    }

    @Test func permuteSlicePadMatchNaive() {
        var rng = RandomGenerator(seed: 7)
        for _ in 0..<40 {
            let rank = 1 + rng.int(below: 4)
            let shape = (0..<rank).map { _ in 1 + rng.int(below: 4) }
            let x = NDArray.uniform(shape, low: -1, high: 1, dtype: .float64, rng: &rng), xv = x.doubles
            let perm = rng.permutation(rank)
            let p = x.permuted(perm), pv = p.doubles
            for flat in 0..<p.count {
                let idx = unravel(flat, p.shape)
                var src = [Int](repeating: 0, count: rank)
                for (i, d) in perm.enumerated() { src[d] = idx[i] }
                #expect(pv[flat] == xv[ravel(src, shape)])
            }
            let ranges = shape.map { n -> Range<Int> in let lo = rng.int(below: n); return lo ..< lo + 1 + rng.int(below: n - lo) }
            let s = x.sliced(ranges), sv = s.doubles
            for flat in 0..<s.count {
                let idx = unravel(flat, s.shape)
                #expect(sv[flat] == xv[ravel(zip(idx, ranges).map { $0 + $1.lowerBound }, shape)])
            }
            let pads = shape.map { _ in (rng.int(below: 3), rng.int(below: 3)) }
            let padded = x.padded(pads), padv = padded.doubles
            var total = 0.0
            for flat in 0..<padded.count {
                let idx = unravel(flat, padded.shape)
                let src = zip(idx, pads).map { $0 - $1.0 }
                if zip(src, shape).allSatisfy({ $0 >= 0 && $0 < $1 }) { #expect(padv[flat] == xv[ravel(src, shape)]) }
                total += padv[flat]
            }
            #expect(Swift.abs(total - xv.reduce(0, +)) < 1e-12)
        }
    }
}
