/// Double-accumulated sums over contiguous runs with eight independent partial sums: a single chain of
/// dependent adds runs at a fraction of the vector units' rate, and these loops sit in every norm pass.
/// The summation order is fixed by the run length alone, so results stay thread-count independent.
public enum Accumulate {
    /// Σ p[i].
    @inlinable @inline(__always)
    public static func sum<T: KernelFloat>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
        var lanes = SIMD8<Double>()
        var i = 0
        while i + 8 <= n {
            lanes += SIMD8(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]),
                           Double(p[i + 4]), Double(p[i + 5]), Double(p[i + 6]), Double(p[i + 7]))
            i += 8
        }
        var acc = lanes.sum()
        while i < n { acc += Double(p[i]); i += 1 }
        return acc
    }

    /// Σ (p[i] − mean)².
    @inlinable @inline(__always)
    public static func squaredDeviations<T: KernelFloat>(_ p: UnsafePointer<T>, _ n: Int, mean: Double) -> Double {
        var lanes = SIMD8<Double>()
        let m = SIMD8<Double>(repeating: mean)
        var i = 0
        while i + 8 <= n {
            let d = SIMD8(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]),
                          Double(p[i + 4]), Double(p[i + 5]), Double(p[i + 6]), Double(p[i + 7])) - m
            lanes += d * d
            i += 8
        }
        var acc = lanes.sum()
        while i < n { let d = Double(p[i]) - mean; acc += d * d; i += 1 }
        return acc
    }

    /// (Σ g[i], Σ g[i]·(x[i] − mean)·rstd) with the normalised value formed in T, as the norm kernels use it.
    @inlinable @inline(__always)
    public static func sumAndNormalizedDot<T: KernelFloat>(_ g: UnsafePointer<T>, _ x: UnsafePointer<T>, _ n: Int,
                                                           mean: T, rstd: T) -> (Double, Double) {
        var sg = SIMD8<Double>(), sgx = SIMD8<Double>()
        var i = 0
        while i + 8 <= n {
            var gv = SIMD8<Double>(), xv = SIMD8<Double>()
            for k in 0..<8 { gv[k] = Double(g[i + k]); xv[k] = Double((x[i + k] - mean) * rstd) }
            sg += gv; sgx += gv * xv
            i += 8
        }
        var a = sg.sum(), b = sgx.sum()
        while i < n { let gv = Double(g[i]); a += gv; b += gv * Double((x[i] - mean) * rstd); i += 1 }
        return (a, b)
    }
}
