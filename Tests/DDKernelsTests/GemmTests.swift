import DDKernels
import Testing

/// Deterministic pseudo-random values in [-1, 1) (an LCG, independent of the engine's RNG).
func testValues(_ n: Int, seed: UInt64) -> [Double] {
    var s = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Double(s >> 11) * 0x1.0p-52 - 1
    }
}

@Suite struct GemmTests {
    /// C = op(A)·op(B) + C0 computed naively, for all transpose combinations.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaive(transA: Bool, transB: Bool) {
        let m = 5, n = 7, k = 4
        let a = testValues(m * k, seed: 1), b = testValues(k * n, seed: 2), c0 = testValues(m * n, seed: 3)
        func aAt(_ i: Int, _ p: Int) -> Double { transA ? a[p * m + i] : a[i * k + p] }
        func bAt(_ p: Int, _ j: Int) -> Double { transB ? b[j * k + p] : b[p * n + j] }
        var expected = c0
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += aAt(i, p) * bAt(p, j) }
            expected[i * n + j] = 2 * s + 0.5 * c0[i * n + j]
        } }
        var c = c0
        Double.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: a, lda: transA ? m : k,
                    b: b, ldb: transB ? k : n, beta: 0.5, c: &c, ldc: n)
        for i in 0..<(m * n) { #expect(Swift.abs(c[i] - expected[i]) < 1e-12) }
        // Float32 path against the same reference.
        var cf = c0.map { Float($0) }
        Float.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: a.map { Float($0) }, lda: transA ? m : k,
                   b: b.map { Float($0) }, ldb: transB ? k : n, beta: 0.5, c: &cf, ldc: n)
        for i in 0..<(m * n) { #expect(Swift.abs(Double(cf[i]) - expected[i]) < 1e-5) }
    }
}
