/// Fused group normalisation over NCHW data viewed as [N, C, S] (S = spatial size), channels split into
/// `groups` contiguous groups. Statistics use Double accumulation and two passes (mean, then variance).
/// Parallel over (sample, group) pairs for the forward pass and over samples for the backward pass;
/// per-channel parameter gradients are reduced over samples in a fixed order (thread-count independent).
public enum GroupNormKernel {
    /// out = (x − mean) · rstd · gamma[c] + beta[c]; writes mean and rstd per (n, group). With `rectify`
    /// the output is max(·, 0) in the same pass (inference: a following ReLU costs no extra sweep).
    @inlinable
    public static func forward<T: KernelFloat>(n: Int, c: Int, spatial: Int, groups: Int, eps: Double,
                                               x: UnsafePointer<T>, gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?,
                                               out: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>,
                                               rstd: UnsafeMutablePointer<T>, rectify: Bool = false) {
        let perGroup = c / groups, size = perGroup * spatial
        Threads.parallelFor(n * groups, grain: 1) { range in
            for item in range {
                let base = x + item * size
                let m = Accumulate.sum(base, size) / Double(size)
                let v = Accumulate.squaredDeviations(base, size, mean: m)
                let r = 1 / (v / Double(size) + eps).squareRoot()
                mean[item] = T(m); rstd[item] = T(r)
                let tm = T(m), tr = T(r)
                let g = item % groups
                for cc in 0..<perGroup {
                    let ch = g * perGroup + cc
                    let scale = tr * (gamma?[ch] ?? 1), shift = (beta?[ch] ?? 0) - tm * scale
                    let src = base + cc * spatial, dst = out + item * size + cc * spatial
                    if rectify {
                        for i in 0..<spatial { dst[i] = Swift.max(src[i] * scale + shift, 0) }
                    } else {
                        for i in 0..<spatial { dst[i] = src[i] * scale + shift }
                    }
                }
            }
        }
    }

    /// Gradients of `forward` given the saved mean/rstd: gradX, and per-channel gradGamma, gradBeta
    /// (each optional). Uses dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)) per group, dx̂ = g · gamma.
    @inlinable
    public static func backward<T: KernelFloat>(n: Int, c: Int, spatial: Int, groups: Int,
                                                x: UnsafePointer<T>, gamma: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
                                                mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                                gradX: UnsafeMutablePointer<T>?, gradGamma: UnsafeMutablePointer<T>?,
                                                gradBeta: UnsafeMutablePointer<T>?) {
        let perGroup = c / groups, size = perGroup * spatial
        // Per-(sample, channel) partial sums of g and g·x̂, reduced over samples afterwards.
        let sumG = UnsafeMutablePointer<Double>.allocate(capacity: n * c)
        let sumGX = UnsafeMutablePointer<Double>.allocate(capacity: n * c)
        defer { sumG.deallocate(); sumGX.deallocate() }
        Threads.parallelFor(n * groups, grain: 1) { range in
            for item in range {
                let sample = item / groups, g = item % groups
                let m = mean[item], r = rstd[item]
                var a = 0.0, b = 0.0  // Σ dx̂ and Σ dx̂·x̂ over the group
                for cc in 0..<perGroup {
                    let ch = g * perGroup + cc
                    let off = item * size + cc * spatial
                    let xs = x + off, gs = gradOut + off
                    let (sg, sgx) = Accumulate.sumAndNormalizedDot(gs, xs, spatial, mean: m, rstd: r)
                    sumG[sample * c + ch] = sg; sumGX[sample * c + ch] = sgx
                    let gm = Double(gamma?[ch] ?? 1)
                    a += sg * gm; b += sgx * gm
                }
                guard let gradX else { continue }
                let meanA = T(a / Double(size)), meanB = T(b / Double(size))
                for cc in 0..<perGroup {
                    let ch = g * perGroup + cc
                    let off = item * size + cc * spatial
                    let xs = x + off, gs = gradOut + off, dx = gradX + off
                    let gm = gamma?[ch] ?? 1
                    for i in 0..<spatial {
                        let xh = (xs[i] - m) * r
                        dx[i] = r * (gs[i] * gm - meanA - xh * meanB)
                    }
                }
            }
        }
        for ch in 0..<c {
            var sg = 0.0, sgx = 0.0
            for s in 0..<n { sg += sumG[s * c + ch]; sgx += sumGX[s * c + ch] }
            gradBeta?[ch] = T(sg); gradGamma?[ch] = T(sgx)
        }
    }
}
