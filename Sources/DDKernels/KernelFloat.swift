import COpenBLAS
import Foundation

/// The two element types the engine computes in: Float for speed, Double for gradient checks.
/// Kernels are generic over this protocol and `@inlinable`, so callers get specialised code.
public protocol KernelFloat: BinaryFloatingPoint, SIMDScalar, Sendable {
    /// C = alpha * op(A) * op(B) + beta * C, row-major, on the calling thread only (OpenBLAS runs
    /// single-threaded; see `gemm` for the threaded form). Safe to call from inside a parallel loop.
    static func gemmSerial(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: KernelFloat {
    @inlinable public static func gemmSerial(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        Threads.ensureSerialBLAS()
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.log(x) }
    @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1p(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
}

extension Double: KernelFloat {
    @inlinable public static func gemmSerial(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                                       a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                                       beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        if m == 0 || n == 0 { return }
        Threads.ensureSerialBLAS()
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}

extension KernelFloat {
    /// C = alpha * op(A) * op(B) + beta * C, row-major, on `Threads.count` threads: the larger of the m and n
    /// dimensions is cut into contiguous blocks (multiples of 16), one single-threaded OpenBLAS call each.
    /// The engine's own threads do the splitting, so no OpenBLAS worker spins (`sched_yield`) against the
    /// engine's parallel loops between calls; every block is computed exactly as a serial call would.
    @inlinable
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                            a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                            beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int) {
        let byColumns = n >= m, extent = byColumns ? n : m
        let blocks = (extent + 15) / 16
        let parts = Swift.min(Threads.count, blocks, Swift.max(1, (2 * m * n * Swift.max(k, 1)) / Threads.gemmGrain))
        if parts <= 1 {
            gemmSerial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                       beta: beta, c: c, ldc: ldc)
            return
        }
        Threads.parallelParts(parts) { part in
            let lo = Swift.min(extent, 16 * (blocks * part / parts))
            let hi = Swift.min(extent, 16 * (blocks * (part + 1) / parts))
            if lo >= hi { return }
            if byColumns {
                gemmSerial(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda,
                           b: b + (transB ? lo * ldb : lo), ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
            } else {
                gemmSerial(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                           a: a + (transA ? lo : lo * lda), lda: lda, b: b, ldb: ldb, beta: beta,
                           c: c + lo * ldc, ldc: ldc)
            }
        }
    }
}
