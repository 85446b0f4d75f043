/// Vector–Jacobian products of the group-norm backward pass (needed when a gradient computed with
/// createGraph is differentiated again, e.g. gradient matching or unrolled training), fused so that the
/// second backward pass does not rebuild the dozen full-size intermediates of the composite formula.
///
/// Per group (N elements, x̂ = (x − μ)·r, dx̂ = g·γ, P v = v − mean(v) − x̂·mean(v ⊙ x̂)):
///   dx = r · P dx̂.
/// For an upstream gradient u of dx:
///   ∂/∂g = γ · r · P u,   ∂/∂γ_c = Σ_c g · r · P u,
///   ∂/∂x = −(r²/N) · (x̂ · (C − b·S) + S · P dx̂) − r² · b · P u,
/// with b = mean(dx̂ ⊙ x̂), S = Σ u ⊙ x̂, C = Σ u ⊙ dx̂ − mean(dx̂) · Σ u.
extension GroupNormKernel {
    @inlinable
    public static func inputGradBackward<T: KernelFloat>(
        n: Int, c: Int, spatial: Int, groups: Int, x: UnsafePointer<T>, gamma: UnsafePointer<T>?,
        gradOut: UnsafePointer<T>, upstream: UnsafePointer<T>, mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
        gradX: UnsafeMutablePointer<T>?, gradGradOut: UnsafeMutablePointer<T>?, gradGamma: UnsafeMutablePointer<T>?
    ) {
        let perGroup = c / groups, size = perGroup * spatial, count = Double(size)
        let partialGamma = UnsafeMutablePointer<Double>.allocate(capacity: n * c)
        defer { partialGamma.deallocate() }
        Threads.parallelFor(n * groups, grain: 1) { range in
            for item in range {
                let sample = item / groups, grp = item % groups
                let m = mean[item], r = rstd[item]
                var sA = 0.0, sB = 0.0, sU = 0.0, sUX = 0.0, sUD = 0.0
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial
                    let gm = gamma?[ch] ?? 1
                    for i in 0..<spatial {
                        let xh = Double((x[off + i] - m) * r), dxh = Double(gradOut[off + i] * gm), u = Double(upstream[off + i])
                        sA += dxh; sB += dxh * xh; sU += u; sUX += u * xh; sUD += u * dxh
                    }
                }
                let a = sA / count, b = sB / count, bigC = sUD - a * sU, rr = Double(r) * Double(r)
                let k1 = T(-rr / count * (bigC - b * sUX)), k2 = T(-rr / count * sUX), k3 = T(-rr * b)
                let meanU = T(sU / count), meanUX = T(sUX / count), tA = T(a), tB = T(b)
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial
                    let gm = gamma?[ch] ?? 1
                    var gammaAcc = 0.0
                    for i in 0..<spatial {
                        let xh = (x[off + i] - m) * r, g = gradOut[off + i]
                        let pu = upstream[off + i] - meanU - xh * meanUX
                        let pd = g * gm - tA - xh * tB
                        gradX?[off + i] = k1 * xh + k2 * pd + k3 * pu
                        gradGradOut?[off + i] = gm * r * pu
                        gammaAcc += Double(g * r * pu)
                    }
                    partialGamma[sample * c + ch] = gammaAcc
                }
            }
        }
        if let gradGamma {
            for ch in 0..<c {
                var s = 0.0
                for sample in 0..<n { s += partialGamma[sample * c + ch] }
                gradGamma[ch] = T(s)
            }
        }
    }

    /// VJP of dγ_c = Σ_c g · x̂ for an upstream v [C]: ∂/∂g = v_c · x̂, ∂/∂x = r · P (v_c · g).
    @inlinable
    public static func weightGradBackward<T: KernelFloat>(
        n: Int, c: Int, spatial: Int, groups: Int, x: UnsafePointer<T>, gradOut: UnsafePointer<T>,
        upstream: UnsafePointer<T>, mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
        gradX: UnsafeMutablePointer<T>?, gradGradOut: UnsafeMutablePointer<T>?
    ) {
        let perGroup = c / groups, size = perGroup * spatial, count = Double(size)
        Threads.parallelFor(n * groups, grain: 1) { range in
            for item in range {
                let grp = item % groups, m = mean[item], r = rstd[item]
                var sW = 0.0, sWX = 0.0
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial, v = upstream[ch]
                    for i in 0..<spatial {
                        let w = Double(v * gradOut[off + i])
                        sW += w; sWX += w * Double((x[off + i] - m) * r)
                    }
                }
                let meanW = T(sW / count), meanWX = T(sWX / count)
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial, v = upstream[ch]
                    for i in 0..<spatial {
                        let xh = (x[off + i] - m) * r
                        gradX?[off + i] = r * (v * gradOut[off + i] - meanW - xh * meanWX)
                        gradGradOut?[off + i] = v * xh
                    }
                }
            }
        }
    }
}
