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

/// The threaded gemm cuts the larger output dimension into blocks, one serial OpenBLAS call each; every
/// transpose combination and both cut directions must give the serial product, with any thread count.
@Suite(.serialized) struct ThreadedGemmTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func splitMatchesSerial(transA: Bool, transB: Bool) {
        for (m, n, k) in [(37, 203, 19), (211, 45, 23), (16, 16, 5), (70, 70, 1)] {
            let a = testValues(m * k, seed: 11), b = testValues(k * n, seed: 12), c0 = testValues(m * n, seed: 13)
            var serial = c0
            Double.gemmSerial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5, a: a, lda: transA ? m : k,
                              b: b, ldb: transB ? k : n, beta: -0.5, c: &serial, ldc: n)
            for threads in [1, 2, 3, 5] {
                var split = c0
                // gemm grain 1: split even these small products.
                Threads.withSettings(count: threads, gemmGrain: 1) {
                    Double.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5, a: a,
                                lda: transA ? m : k, b: b, ldb: transB ? k : n, beta: -0.5, c: &split, ldc: n)
                }
                let worst = zip(split, serial).map { Swift.abs($0 - $1) }.max() ?? 0
                #expect(worst < 1e-12, "m \(m) n \(n) k \(k) threads \(threads): max |Δ| \(worst)")
            }
        }
    }

    /// A sub-block of a larger row-major matrix (ldc > n) is written without touching its neighbours.
    @Test func splitRespectsLeadingDimensions() {
        let m = 40, n = 48, k = 7, ldc = 60
        let a = testValues(m * k, seed: 21), b = testValues(k * n, seed: 22)
        var c = [Double](repeating: 7, count: m * ldc), reference = c
        Threads.withSettings(count: 2, gemmGrain: 1) {
            Double.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                        beta: 0, c: &c, ldc: ldc)
        }
        Double.gemmSerial(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                          beta: 0, c: &reference, ldc: ldc)
        #expect(zip(c, reference).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
        #expect((0..<m).allSatisfy { row in (n..<ldc).allSatisfy { c[row * ldc + $0] == 7 } })
    }
}

/// Large buffers are whole mappings reused by size class; the idle pool is bounded.
@Suite struct BufferPoolTests {
    @Test func sizeClassesCoverTheRequestWithin12Percent() {
        for bytes in [1 << 20, (1 << 20) + 1, 3_000_000, 52_428_800, 52_428_801, 123_456_789] {
            let size = BufferPool.sizeClass(bytes)
            #expect(size >= bytes && size % 4096 == 0)
            #expect(Double(size) <= Double(bytes) * 1.125 + 4096, "\(bytes) → \(size)")
        }
        #expect(BufferPool.sizeClass(50_000_000) == BufferPool.sizeClass(50_100_000))
    }

    @Test func freedBufferIsReusedAndLimitIsKept() {
        let pool = BufferPool(idleLimit: 8 << 20)
        let a = pool.allocate(bytes: 5 << 20)
        a.storeBytes(of: 42, as: Int.self)
        pool.deallocate(a, bytes: 5 << 20)
        #expect(pool.statistics.idle == BufferPool.sizeClass(5 << 20))
        let b = pool.allocate(bytes: (5 << 20) - 100)  // same class: the same mapping comes back
        #expect(a == b)
        #expect(b.load(as: Int.self) == 42)
        #expect(pool.statistics.idle == 0)
        // Over the idle limit the longest-idle buffer is unmapped and the newly freed one kept.
        let c = pool.allocate(bytes: 6 << 20)
        #expect(pool.statistics.mapped == BufferPool.sizeClass(5 << 20) + BufferPool.sizeClass(6 << 20))
        pool.deallocate(b, bytes: (5 << 20) - 100)
        pool.deallocate(c, bytes: 6 << 20)
        #expect(pool.statistics.idle == BufferPool.sizeClass(6 << 20))
        #expect(pool.statistics.mapped == BufferPool.sizeClass(6 << 20))
        // A buffer larger than the whole limit is never kept.
        let huge = pool.allocate(bytes: 9 << 20)
        pool.deallocate(huge, bytes: 9 << 20)
        #expect(pool.statistics.idle == BufferPool.sizeClass(6 << 20))
        pool.trim()
        #expect(pool.statistics.idle == 0 && pool.statistics.mapped == 0)
    }
}
