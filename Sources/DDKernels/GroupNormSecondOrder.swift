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
/// The reductions run in eight Double lanes and the elementwise passes in SIMD8 (single Double chains had
/// made these two kernels a sixth of an MTT iteration).
extension GroupNormKernel {
    @inlinable
    public static func inputGradBackward<T: KernelFloat>(
        n: Int, c: Int, spatial: Int, groups: Int, x: UnsafePointer<T>, gamma: UnsafePointer<T>?,
        gradOut: UnsafePointer<T>, upstream: UnsafePointer<T>, mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
        gradX: UnsafeMutablePointer<T>?, gradGradOut: UnsafeMutablePointer<T>?, gradGamma: UnsafeMutablePointer<T>?
    ) {
        let perGroup = c / groups, size = perGroup * spatial, count = Double(size), body = spatial / 8 * 8
        let partialGamma = UnsafeMutablePointer<Double>.allocate(capacity: n * c)
        defer { partialGamma.deallocate() }
        Threads.parallelFor(n * groups, grain: 1) { range in
            for item in range {
                let sample = item / groups, grp = item % groups
                let m = mean[item], r = rstd[item], m8 = SIMD8<T>(repeating: m), r8 = SIMD8<T>(repeating: r)
                var lA = SIMD8<Double>(), lB = lA, lU = lA, lUX = lA, lUD = lA
                var sA = 0.0, sB = 0.0, sU = 0.0, sUX = 0.0, sUD = 0.0
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial
                    let gm = gamma?[ch] ?? 1, gm8 = SIMD8<T>(repeating: gm)
                    let xs = x + off, gs = gradOut + off, us = upstream + off
                    var i = 0
                    while i < body {
                        let xh = Lanes.widen((Lanes.load8(xs + i) - m8) * r8)
                        let dxh = Lanes.widen(Lanes.load8(gs + i) * gm8), u = Lanes.widen(Lanes.load8(us + i))
                        lA += dxh; lB += dxh * xh; lU += u; lUX += u * xh; lUD += u * dxh
                        i += 8
                    }
                    for i in body..<spatial {
                        let xh = Double((xs[i] - m) * r), dxh = Double(gs[i] * gm), u = Double(us[i])
                        sA += dxh; sB += dxh * xh; sU += u; sUX += u * xh; sUD += u * dxh
                    }
                }
                sA += lA.sum(); sB += lB.sum(); sU += lU.sum(); sUX += lUX.sum(); sUD += lUD.sum()
                let a = sA / count, b = sB / count, bigC = sUD - a * sU, rr = Double(r) * Double(r)
                let k1 = T(-rr / count * (bigC - b * sUX)), k2 = T(-rr / count * sUX), k3 = T(-rr * b)
                let meanU = T(sU / count), meanUX = T(sUX / count), tA = T(a), tB = T(b)
                let k1v = SIMD8<T>(repeating: k1), k2v = SIMD8<T>(repeating: k2), k3v = SIMD8<T>(repeating: k3)
                let meanUv = SIMD8<T>(repeating: meanU), meanUXv = SIMD8<T>(repeating: meanUX)
                let tAv = SIMD8<T>(repeating: tA), tBv = SIMD8<T>(repeating: tB)
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial
                    let gm = gamma?[ch] ?? 1, gm8 = SIMD8<T>(repeating: gm)
                    let xs = x + off, gs = gradOut + off, us = upstream + off
                    var gammaLanes = SIMD8<Double>(), gammaAcc = 0.0
                    var i = 0
                    while i < body {
                        let xh = (Lanes.load8(xs + i) - m8) * r8, g = Lanes.load8(gs + i)
                        let pu = Lanes.load8(us + i) - meanUv - xh * meanUXv
                        let pd = g * gm8 - tAv - xh * tBv
                        if let gradX { Lanes.store8(k1v * xh + k2v * pd + k3v * pu, gradX + off + i) }
                        if let gradGradOut { Lanes.store8(gm8 * r8 * pu, gradGradOut + off + i) }
                        gammaLanes += Lanes.widen(g * r8 * pu)
                        i += 8
                    }
                    for i in body..<spatial {
                        let xh = (xs[i] - m) * r, g = gs[i]
                        let pu = us[i] - meanU - xh * meanUX
                        let pd = g * gm - tA - xh * tB
                        gradX?[off + i] = k1 * xh + k2 * pd + k3 * pu
                        gradGradOut?[off + i] = gm * r * pu
                        gammaAcc += Double(g * r * pu)
                    }
                    partialGamma[sample * c + ch] = gammaAcc + gammaLanes.sum()
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
        let perGroup = c / groups, size = perGroup * spatial, count = Double(size), body = spatial / 8 * 8
        Threads.parallelFor(n * groups, grain: 1) { range in
            for item in range {
                let grp = item % groups, m = mean[item], r = rstd[item]
                let m8 = SIMD8<T>(repeating: m), r8 = SIMD8<T>(repeating: r)
                var lW = SIMD8<Double>(), lWX = lW, sW = 0.0, sWX = 0.0
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial, v = upstream[ch]
                    let v8 = SIMD8<T>(repeating: v), xs = x + off, gs = gradOut + off
                    var i = 0
                    while i < body {
                        let w = Lanes.widen(v8 * Lanes.load8(gs + i))
                        lW += w; lWX += w * Lanes.widen((Lanes.load8(xs + i) - m8) * r8)
                        i += 8
                    }
                    for i in body..<spatial {
                        let w = Double(v * gs[i])
                        sW += w; sWX += w * Double((xs[i] - m) * r)
                    }
                }
                sW += lW.sum(); sWX += lWX.sum()
                let meanW = T(sW / count), meanWX = T(sWX / count)
                let meanWv = SIMD8<T>(repeating: meanW), meanWXv = SIMD8<T>(repeating: meanWX)
                for cc in 0..<perGroup {
                    let ch = grp * perGroup + cc, off = item * size + cc * spatial, v = upstream[ch]
                    let v8 = SIMD8<T>(repeating: v), xs = x + off, gs = gradOut + off
                    var i = 0
                    while i < body {
                        let xh = (Lanes.load8(xs + i) - m8) * r8
                        if let gradX { Lanes.store8(r8 * (v8 * Lanes.load8(gs + i) - meanWv - xh * meanWXv), gradX + off + i) }
                        if let gradGradOut { Lanes.store8(v8 * xh, gradGradOut + off + i) }
                        i += 8
                    }
                    for i in body..<spatial {
                        let xh = (xs[i] - m) * r
                        gradX?[off + i] = r * (v * gs[i] - meanW - xh * meanWX)
                        gradGradOut?[off + i] = v * xh
                    }
                }
            }
        }
    }
}
