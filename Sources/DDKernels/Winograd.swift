/// Winograd F(m×m, 3×3) for stride-1 3×3 convolutions (Lavin & Gray), m = 2 by default (4 available): an m×m
/// output tile costs α² = (m + 2)² multiplications per channel pair instead of 9·m², done as α² independent
/// gemms over all tiles of a chunk (F(4,3): 36 vs 144, F(2,3): 16 vs 36).
/// The input gradient is itself a stride-1 3×3 correlation (flipped, transposed weight, padding 2 − p), and
/// the weight gradient is the exact adjoint of the forward algorithm (dU = Σ_tiles A·dY·Aᵀ ⊙ Bᵀ·d·B,
/// dW = Gᵀ·dU·G), so all three directions run through the same transforms.
/// Transformed matrices are α² planes ξ = α·row + column, each a row-major [channels, tiles] matrix, tiles
/// ordered (sample, tileRow, tileColumn).
public enum Winograd {
    /// Off switch (tuning; the im2col path stays the reference).
    nonisolated(unsafe) public static var enabled = true
    /// Output tile side m: 2 (default: its transforms only add and halve, so Float32 results stay within
    /// the ConvNet golden tests' 2e-5) or 4 (about 8–12 % faster ConvNet steps — 36 instead of 64 products
    /// per 16 outputs and a 2.25× instead of 4× transformed input — but coefficients up to 8 cost about
    /// 10× the rounding error, e.g. 2.8e-5 on the ConvNet-3 embedding).
    nonisolated(unsafe) public static var outputTile = 2
    /// Both channel counts must reach this: with few channels the gemms are too thin to pay for the
    /// transforms (e.g. a first layer with one input channel stays on im2col).
    nonisolated(unsafe) public static var minimumChannels = 16
    /// Target size (elements) of one transformed chunk (α² × channels × tiles); bounds the scratch memory.
    nonisolated(unsafe) public static var chunkBudget = 4 << 20

    @inlinable public static func applies(_ g: ConvGeometry) -> Bool {
        enabled && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1
            && g.inChannels >= minimumChannels && g.outChannels >= minimumChannels
    }

    /// Bᵀ (α×α), G (α×3), Aᵀ (m×α) of F(m, 3), row-major.
    @usableFromInline struct Matrices {
        @usableFromInline let m, alpha: Int
        @usableFromInline let bt, g, at: [Double]

        @inlinable init(outputTile: Int) {
            if outputTile == 2 {
                m = 2; alpha = 4
                bt = [1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1]
                g = [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1]
                at = [1, 1, 1, 0, 0, 1, -1, -1]
            } else {
                m = 4; alpha = 6  // interpolation points 0, ±1, ±2, ∞
                bt = [4, 0, -5, 0, 1, 0,
                      0, -4, -4, 1, 1, 0,
                      0, 4, -4, -1, 1, 0,
                      0, -2, -1, 2, 1, 0,
                      0, 2, -1, -2, 1, 0,
                      0, 4, 0, -5, 0, 1]
                g = [1.0 / 4, 0, 0,
                     -1.0 / 6, -1.0 / 6, -1.0 / 6,
                     -1.0 / 6, 1.0 / 6, -1.0 / 6,
                     1.0 / 24, 1.0 / 12, 1.0 / 6,
                     1.0 / 24, -1.0 / 12, 1.0 / 6,
                     0, 0, 1]
                at = [1, 1, 1, 1, 1, 0,
                      0, 1, -1, 2, -2, 0,
                      0, 1, 1, 4, 4, 0,
                      0, 1, -1, 8, -8, 1]
            }
        }
    }

    /// One stride-1 3×3 correlation problem: output pixel (y, x) reads input rows y − pad … y − pad + 2.
    /// `pad` may be negative (the input gradient of a convolution padded by more than 1).
    @usableFromInline struct Plan {
        @usableFromInline let batch, inChannels, inH, inW, outChannels, outH, outW, padH, padW: Int
        @usableFromInline let tileRows, tileCols, tilesPerSample, chunk: Int
        @usableFromInline let matrices: Matrices
        @inlinable var m: Int { matrices.m }
        @inlinable var alpha: Int { matrices.alpha }
        @inlinable var planes: Int { matrices.alpha * matrices.alpha }

        @inlinable init(batch: Int, inChannels: Int, inH: Int, inW: Int, outChannels: Int, outH: Int, outW: Int,
                        padH: Int, padW: Int, outputTile: Int) {
            self.batch = batch; self.inChannels = inChannels; self.inH = inH; self.inW = inW
            self.outChannels = outChannels; self.outH = outH; self.outW = outW; self.padH = padH; self.padW = padW
            matrices = Matrices(outputTile: outputTile)
            let m = matrices.m
            tileRows = (outH + m - 1) / m; tileCols = (outW + m - 1) / m; tilesPerSample = tileRows * tileCols
            let perSample = matrices.alpha * matrices.alpha * Swift.max(inChannels, outChannels) * tilesPerSample
            chunk = Swift.max(1, Swift.min(batch, Winograd.chunkBudget / Swift.max(1, perSample)))
        }
    }

    /// U[ξ][o][c] = (G·w[o,c]·Gᵀ)[ξ] for w laid out [outer][inner][3][3]; with `flipTranspose` the plane
    /// holds the input-gradient kernel: U[ξ][c][o] = G·flip(w[o,c])·Gᵀ. Computed in Double.
    @inlinable
    static func transformWeights<T: KernelFloat>(_ p: Plan, _ w: UnsafePointer<T>, outer: Int, inner: Int,
                                                 flipTranspose: Bool, into u: UnsafeMutablePointer<T>) {
        let plane = outer * inner, a = p.alpha, gm = p.matrices.g
        Threads.parallelFor(outer, grain: 8) { range in
            var t = [Double](repeating: 0, count: a * 3)
            for o in range {
                for c in 0..<inner {
                    let src = w + (o * inner + c) * 9
                    // t = G·k (α×3), then t·Gᵀ (α×α).
                    for i in 0..<a {
                        for j in 0..<3 {
                            var s = 0.0
                            for r in 0..<3 { s += gm[3 * i + r] * Double(src[flipTranspose ? 8 - (3 * r + j) : 3 * r + j]) }
                            t[3 * i + j] = s
                        }
                    }
                    let dst = flipTranspose ? c * outer + o : o * inner + c
                    for i in 0..<a {
                        for k in 0..<a {
                            let s = t[3 * i] * gm[3 * k] + t[3 * i + 1] * gm[3 * k + 1] + t[3 * i + 2] * gm[3 * k + 2]
                            u[(a * i + k) * plane + dst] = T(s)
                        }
                    }
                }
            }
        }
    }

    /// output = correlate(input, weights) (+ bias) with pre-transformed weights u ([α²][outC][inC]).
    @inlinable
    static func correlate<T: KernelFloat>(_ p: Plan, input: UnsafePointer<T>, u: UnsafePointer<T>,
                                          bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>) {
        let cap = p.chunk * p.tilesPerSample
        let v = UnsafeMutablePointer<T>.allocate(capacity: p.planes * p.inChannels * cap)
        let m = UnsafeMutablePointer<T>.allocate(capacity: p.planes * p.outChannels * cap)
        defer { v.deallocate(); m.deallocate() }
        var first = 0
        while first < p.batch {
            let count = Swift.min(p.chunk, p.batch - first), tiles = count * p.tilesPerSample
            if p.m == 2 { transformInput2x2(p, input: input, first: first, count: count, v: v) }
            else { transformInput(p, input: input, first: first, count: count, v: v) }
            for xi in 0..<p.planes {
                T.gemm(transA: false, transB: false, m: p.outChannels, n: tiles, k: p.inChannels, alpha: 1,
                       a: u + xi * p.outChannels * p.inChannels, lda: p.inChannels,
                       b: v + xi * p.inChannels * tiles, ldb: tiles, beta: 0,
                       c: m + xi * p.outChannels * tiles, ldc: tiles)
            }
            if p.m == 2 { transformOutput2x2(p, m: m, first: first, count: count, bias: bias, output: output) }
            else { transformOutput(p, m: m, first: first, count: count, bias: bias, output: output) }
            first += count
        }
    }

    /// Conv2D.forward for a geometry where `applies` holds.
    @inlinable
    public static func forward<T: KernelFloat>(_ g: ConvGeometry, input: UnsafePointer<T>, weight: UnsafePointer<T>,
                                               bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>,
                                               outputTile: Int = Winograd.outputTile) {
        let p = Plan(batch: g.batch, inChannels: g.inChannels, inH: g.height, inW: g.width,
                     outChannels: g.outChannels, outH: g.outHeight, outW: g.outWidth, padH: g.padH, padW: g.padW,
                     outputTile: outputTile)
        let u = UnsafeMutablePointer<T>.allocate(capacity: p.planes * g.outChannels * g.inChannels)
        defer { u.deallocate() }
        transformWeights(p, weight, outer: g.outChannels, inner: g.inChannels, flipTranspose: false, into: u)
        correlate(p, input: input, u: u, bias: bias, output: output)
    }

    /// Conv2D.inputGrad: a correlation of the output gradient with the flipped, transposed kernel.
    @inlinable
    public static func inputGrad<T: KernelFloat>(_ g: ConvGeometry, gradOutput: UnsafePointer<T>,
                                                 weight: UnsafePointer<T>, gradInput: UnsafeMutablePointer<T>,
                                                 outputTile: Int = Winograd.outputTile) {
        let p = Plan(batch: g.batch, inChannels: g.outChannels, inH: g.outHeight, inW: g.outWidth,
                     outChannels: g.inChannels, outH: g.height, outW: g.width, padH: 2 - g.padH, padW: 2 - g.padW,
                     outputTile: outputTile)
        let u = UnsafeMutablePointer<T>.allocate(capacity: p.planes * g.outChannels * g.inChannels)
        defer { u.deallocate() }
        transformWeights(p, weight, outer: g.outChannels, inner: g.inChannels, flipTranspose: true, into: u)
        correlate(p, input: gradOutput, u: u, bias: nil, output: gradInput)
    }

    /// Conv2D.weightGrad: dU[ξ] = Σ_tiles dM[ξ]·V[ξ]ᵀ, then dW = Gᵀ·dU·G (in Double).
    @inlinable
    public static func weightGrad<T: KernelFloat>(_ g: ConvGeometry, input: UnsafePointer<T>,
                                                  gradOutput: UnsafePointer<T>, gradWeight: UnsafeMutablePointer<T>,
                                                  outputTile: Int = Winograd.outputTile) {
        let p = Plan(batch: g.batch, inChannels: g.inChannels, inH: g.height, inW: g.width,
                     outChannels: g.outChannels, outH: g.outHeight, outW: g.outWidth, padH: g.padH, padW: g.padW,
                     outputTile: outputTile)
        let cap = p.chunk * p.tilesPerSample, pairs = g.outChannels * g.inChannels
        let v = UnsafeMutablePointer<T>.allocate(capacity: p.planes * p.inChannels * cap)
        let dm = UnsafeMutablePointer<T>.allocate(capacity: p.planes * p.outChannels * cap)
        let du = UnsafeMutablePointer<T>.allocate(capacity: p.planes * pairs)
        defer { v.deallocate(); dm.deallocate(); du.deallocate() }
        du.update(repeating: 0, count: p.planes * pairs)
        var first = 0
        while first < p.batch {
            let count = Swift.min(p.chunk, p.batch - first), tiles = count * p.tilesPerSample
            if p.m == 2 {
                transformInput2x2(p, input: input, first: first, count: count, v: v)
                transformGradOutput2x2(p, gradOutput: gradOutput, first: first, count: count, dm: dm)
            } else {
                transformInput(p, input: input, first: first, count: count, v: v)
                transformGradOutput(p, gradOutput: gradOutput, first: first, count: count, dm: dm)
            }
            for xi in 0..<p.planes {
                T.gemm(transA: false, transB: true, m: p.outChannels, n: p.inChannels, k: tiles, alpha: 1,
                       a: dm + xi * p.outChannels * tiles, lda: tiles, b: v + xi * p.inChannels * tiles, ldb: tiles,
                       beta: 1, c: du + xi * pairs, ldc: p.inChannels)
            }
            first += count
        }
        let a = p.alpha, gm = p.matrices.g
        Threads.parallelFor(pairs, grain: 64) { range in
            var t = [Double](repeating: 0, count: 3 * a)  // Gᵀ·dU: 3×α
            for pair in range {
                for r in 0..<3 {
                    for k in 0..<a {
                        var s = 0.0
                        for i in 0..<a { s += gm[3 * i + r] * Double(du[(a * i + k) * pairs + pair]) }
                        t[a * r + k] = s
                    }
                }
                let dst = gradWeight + pair * 9
                for r in 0..<3 {
                    for j in 0..<3 {
                        var s = 0.0
                        for k in 0..<a { s += t[a * r + k] * gm[3 * k + j] }
                        dst[3 * r + j] = T(s)
                    }
                }
            }
        }
    }
}
