/// Fused training-mode batch normalisation over NCHW data viewed as [N, C, S]: statistics per channel
/// over N and S (biased variance, Double accumulation, two passes). Parallel over channels; each channel
/// is reduced in a fixed order, so results do not depend on the thread count.
public enum BatchNormKernel {
    /// out = (x − mean[c]) · rstd[c] · gamma[c] + beta[c]; writes the batch mean and rstd per channel.
    @inlinable
    public static func forward<T: KernelFloat>(n: Int, c: Int, spatial: Int, eps: Double, x: UnsafePointer<T>,
                                               gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?,
                                               out: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>,
                                               rstd: UnsafeMutablePointer<T>) {
        let count = Double(n * spatial)
        Threads.parallelFor(c, grain: 1) { range in
            for ch in range {
                var s = 0.0
                for sample in 0..<n {
                    let p = x + (sample * c + ch) * spatial
                    s += Accumulate.sum(p, spatial)
                }
                let m = s / count
                var v = 0.0
                for sample in 0..<n {
                    let p = x + (sample * c + ch) * spatial
                    v += Accumulate.squaredDeviations(p, spatial, mean: m)
                }
                let r = 1 / (v / count + eps).squareRoot()
                mean[ch] = T(m); rstd[ch] = T(r)
                let scale = T(r) * (gamma?[ch] ?? 1), shift = (beta?[ch] ?? 0) - T(m) * scale
                for sample in 0..<n {
                    let off = (sample * c + ch) * spatial
                    let src = x + off, dst = out + off
                    for i in 0..<spatial { dst[i] = src[i] * scale + shift }
                }
            }
        }
    }

    /// Gradients of `forward` from the saved batch statistics (each output optional):
    /// dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)) per channel with dx̂ = g · gamma; dγ = Σ g x̂; dβ = Σ g.
    @inlinable
    public static func backward<T: KernelFloat>(n: Int, c: Int, spatial: Int, x: UnsafePointer<T>,
                                                gamma: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
                                                mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                                gradX: UnsafeMutablePointer<T>?, gradGamma: UnsafeMutablePointer<T>?,
                                                gradBeta: UnsafeMutablePointer<T>?) {
        let count = Double(n * spatial)
        Threads.parallelFor(c, grain: 1) { range in
            for ch in range {
                let m = mean[ch], r = rstd[ch]
                var sg = 0.0, sgx = 0.0
                for sample in 0..<n {
                    let off = (sample * c + ch) * spatial
                    let xs = x + off, gs = gradOut + off
                    let (a, b) = Accumulate.sumAndNormalizedDot(gs, xs, spatial, mean: m, rstd: r)
                    sg += a; sgx += b
                }
                gradBeta?[ch] = T(sg); gradGamma?[ch] = T(sgx)
                guard let gradX else { continue }
                let gm = gamma?[ch] ?? 1
                let meanA = T(sg / count) * gm, meanB = T(sgx / count) * gm
                for sample in 0..<n {
                    let off = (sample * c + ch) * spatial
                    let xs = x + off, gs = gradOut + off, dx = gradX + off
                    for i in 0..<spatial { dx[i] = r * (gs[i] * gm - meanA - (xs[i] - m) * r * meanB) }
                }
            }
        }
    }
}

/// Second-backward kernels for training-mode batch norm: the same formulas as
/// `GroupNormKernel.inputGradBackward / weightGradBackward`, with one group per channel spanning N × S.
extension BatchNormKernel {
    @inlinable
    public static func inputGradBackward<T: KernelFloat>(
        n: Int, c: Int, spatial: Int, x: UnsafePointer<T>, gamma: UnsafePointer<T>?, gradOut: UnsafePointer<T>,
        upstream: UnsafePointer<T>, mean: UnsafePointer<T>, rstd: UnsafePointer<T>,
        gradX: UnsafeMutablePointer<T>?, gradGradOut: UnsafeMutablePointer<T>?, gradGamma: UnsafeMutablePointer<T>?
    ) {
        let count = Double(n * spatial)
        Threads.parallelFor(c, grain: 1) { range in
            for ch in range {
                let m = mean[ch], r = rstd[ch], gm = gamma?[ch] ?? 1
                var sA = 0.0, sB = 0.0, sU = 0.0, sUX = 0.0, sUD = 0.0
                for sample in 0..<n {
                    let off = (sample * c + ch) * spatial
                    for i in 0..<spatial {
                        let xh = Double((x[off + i] - m) * r), dxh = Double(gradOut[off + i] * gm), u = Double(upstream[off + i])
                        sA += dxh; sB += dxh * xh; sU += u; sUX += u * xh; sUD += u * dxh
                    }
                }
                let a = sA / count, b = sB / count, bigC = sUD - a * sU, rr = Double(r) * Double(r)
                let k1 = T(-rr / count * (bigC - b * sUX)), k2 = T(-rr / count * sUX), k3 = T(-rr * b)
                let meanU = T(sU / count), meanUX = T(sUX / count), tA = T(a), tB = T(b)
                var gammaAcc = 0.0
                for sample in 0..<n {
                    let off = (sample * c + ch) * spatial
                    for i in 0..<spatial {
                        let xh = (x[off + i] - m) * r, g = gradOut[off + i]
                        let pu = upstream[off + i] - meanU - xh * meanUX
                        let pd = g * gm - tA - xh * tB
                        gradX?[off + i] = k1 * xh + k2 * pd + k3 * pu
                        gradGradOut?[off + i] = gm * r * pu
                        gammaAcc += Double(g * r * pu)
                    }
                }
                gradGamma?[ch] = T(gammaAcc)
            }
        }
    }

    @inlinable
    public static func weightGradBackward<T: KernelFloat>(
        n: Int, c: Int, spatial: Int, x: UnsafePointer<T>, gradOut: UnsafePointer<T>, upstream: UnsafePointer<T>,
        mean: UnsafePointer<T>, rstd: UnsafePointer<T>, gradX: UnsafeMutablePointer<T>?, gradGradOut: UnsafeMutablePointer<T>?
    ) {
        let count = Double(n * spatial)
        Threads.parallelFor(c, grain: 1) { range in
            for ch in range {
                let m = mean[ch], r = rstd[ch], v = upstream[ch]
                var sW = 0.0, sWX = 0.0
                for sample in 0..<n {
                    let off = (sample * c + ch) * spatial
                    for i in 0..<spatial {
                        let w = Double(v * gradOut[off + i])
                        sW += w; sWX += w * Double((x[off + i] - m) * r)
                    }
                }
                let meanW = T(sW / count), meanWX = T(sWX / count)
                for sample in 0..<n {
                    let off = (sample * c + ch) * spatial
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
