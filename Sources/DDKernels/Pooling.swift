/// Shape of a 2-D pooling window over `planes` = N*C independent H×W planes (no padding).
public struct PoolGeometry: Equatable, Sendable {
    public let planes, height, width, kernelH, kernelW, strideH, strideW: Int
    public init(planes: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int) {
        self.planes = planes; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
    }
    public var outHeight: Int { (height - kernelH) / strideH + 1 }
    public var outWidth: Int { (width - kernelW) / strideW + 1 }
    public var isValid: Bool {
        planes >= 0 && kernelH > 0 && kernelW > 0 && strideH > 0 && strideW > 0 && outHeight > 0 && outWidth > 0
    }
}

/// Pooling kernels, parallel over planes (each plane is written by one thread only).
public enum Pool2D {
    @inlinable
    public static func averageForward<T: KernelFloat>(_ g: PoolGeometry, input: UnsafePointer<T>,
                                                      output: UnsafeMutablePointer<T>) {
        let ho = g.outHeight, wo = g.outWidth, scale = 1 / T(g.kernelH * g.kernelW)
        let halving = g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2
        Threads.parallelFor(g.planes, grain: 4) { range in
            for plane in range {
                let src = input + plane * g.height * g.width, dst = output + plane * ho * wo
                if halving {
                    // The ConvNet case, as straight row loops (same summation order as the general loop).
                    for oy in 0..<ho {
                        let r0 = src + 2 * oy * g.width, r1 = r0 + g.width, out = dst + oy * wo
                        for ox in 0..<wo { out[ox] = (r0[2 * ox] + r0[2 * ox + 1] + r1[2 * ox] + r1[2 * ox + 1]) * scale }
                    }
                    continue
                }
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var acc: T = 0
                        for ky in 0..<g.kernelH {
                            let row = src + (oy * g.strideH + ky) * g.width + ox * g.strideW
                            for kx in 0..<g.kernelW { acc += row[kx] }
                        }
                        dst[oy * wo + ox] = acc * scale
                    }
                }
            }
        }
    }

    /// Adjoint of `averageForward`: spreads each output gradient evenly over its window.
    @inlinable
    public static func averageBackward<T: KernelFloat>(_ g: PoolGeometry, gradOutput: UnsafePointer<T>,
                                                       gradInput: UnsafeMutablePointer<T>) {
        let ho = g.outHeight, wo = g.outWidth, scale = 1 / T(g.kernelH * g.kernelW)
        let halving = g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2
        Threads.parallelFor(g.planes, grain: 4) { range in
            for plane in range {
                let dst = gradInput + plane * g.height * g.width, src = gradOutput + plane * ho * wo
                if halving {
                    // Windows do not overlap: each input pixel is written once, uncovered edges get zero.
                    for y in 0..<g.height {
                        let row = dst + y * g.width
                        if y >= 2 * ho { row.update(repeating: 0, count: g.width); continue }
                        let grads = src + (y / 2) * wo
                        for ox in 0..<wo { let v = grads[ox] * scale; row[2 * ox] = v; row[2 * ox + 1] = v }
                        for x in (2 * wo)..<g.width { row[x] = 0 }
                    }
                    continue
                }
                dst.update(repeating: 0, count: g.height * g.width)
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let v = src[oy * wo + ox] * scale
                        for ky in 0..<g.kernelH {
                            let row = dst + (oy * g.strideH + ky) * g.width + ox * g.strideW
                            for kx in 0..<g.kernelW { row[kx] += v }
                        }
                    }
                }
            }
        }
    }

    /// Max pooling; `argmax` receives the flat index (y * W + x) of the winner inside its plane
    /// (first maximum in row-major window order wins ties).
    @inlinable
    public static func maxForward<T: KernelFloat>(_ g: PoolGeometry, input: UnsafePointer<T>,
                                                  output: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<Int32>) {
        let ho = g.outHeight, wo = g.outWidth
        Threads.parallelFor(g.planes, grain: 4) { range in
            for plane in range {
                let src = input + plane * g.height * g.width
                let dst = output + plane * ho * wo, idx = argmax + plane * ho * wo
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var best = -T.infinity, bestIndex = (oy * g.strideH) * g.width + ox * g.strideW
                        for ky in 0..<g.kernelH {
                            for kx in 0..<g.kernelW {
                                let i = (oy * g.strideH + ky) * g.width + ox * g.strideW + kx
                                if src[i] > best { best = src[i]; bestIndex = i }
                            }
                        }
                        dst[oy * wo + ox] = best
                        idx[oy * wo + ox] = Int32(bestIndex)
                    }
                }
            }
        }
    }
}

/// Gather / scatter-add along the last axis with an index shared across the middle axis:
/// input [A, B, M], index [A, K] (entries in 0..<M, or -1 meaning "zero"), gathered [A, B, K].
/// Used for max-pool backward, bilinear sampling and label picking. Parallel over A (disjoint writes).
public enum GatherScatter {
    @inlinable
    public static func gather<T: KernelFloat>(a: Int, b: Int, m: Int, k: Int, input: UnsafePointer<T>,
                                              index: UnsafePointer<Int32>, output: UnsafeMutablePointer<T>) {
        Threads.parallelFor(a, grain: 2) { range in
            for i in range {
                let idx = index + i * k
                for j in 0..<b {
                    let src = input + (i * b + j) * m, dst = output + (i * b + j) * k
                    for t in 0..<k {
                        let at = Int(idx[t])
                        dst[t] = at >= 0 ? src[at] : 0
                    }
                }
            }
        }
    }

    /// Adjoint of `gather`: output [A, B, M] = 0, then output[i, j, index[i, t]] += input[i, j, t].
    @inlinable
    public static func scatterAdd<T: KernelFloat>(a: Int, b: Int, m: Int, k: Int, input: UnsafePointer<T>,
                                                  index: UnsafePointer<Int32>, output: UnsafeMutablePointer<T>) {
        Threads.parallelFor(a, grain: 2) { range in
            for i in range {
                let idx = index + i * k
                for j in 0..<b {
                    let src = input + (i * b + j) * k, dst = output + (i * b + j) * m
                    dst.update(repeating: 0, count: m)
                    for t in 0..<k {
                        let at = Int(idx[t])
                        if at >= 0 { dst[at] += src[t] }
                    }
                }
            }
        }
    }
}
