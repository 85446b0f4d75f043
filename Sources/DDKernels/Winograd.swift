/// Winograd F(2×2, 3×3) for stride-1 3×3 convolutions (Lavin & Gray): every 2×2 output tile costs 16
/// multiplications per channel pair instead of 36, done as 16 independent gemms over all tiles of a chunk.
/// The input gradient is itself a stride-1 3×3 correlation (flipped, transposed weight, padding 2 − p), and
/// the weight gradient is the exact adjoint of the forward algorithm (dU = Σ_tiles A·dY·Aᵀ ⊙ Bᵀ·d·B,
/// dW = Gᵀ·dU·G), so all three directions run through the same transforms.
///
/// Transforms: Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
/// Aᵀ = [1 1 1 0; 0 1 −1 −1]. Transformed matrices are stored as 16 planes ξ = 4·row + column, each a
/// row-major [channels, tiles] matrix, tiles ordered (sample, tileRow, tileColumn).
public enum Winograd {
    /// Off switch (tests compare against the im2col path; tuning).
    nonisolated(unsafe) public static var enabled = true
    /// Both channel counts must reach this: with few channels the 16 gemms are too thin to pay for the
    /// transforms (e.g. a first layer with one input channel stays on im2col).
    nonisolated(unsafe) public static var minimumChannels = 16
    /// Target size (elements) of one transformed chunk (16 × channels × tiles). Each thread runs its own
    /// transform → 16 gemms → transform pipeline over its samples, one chunk at a time, so a chunk's
    /// transformed input and product stay in that core's L2 instead of streaming through memory
    /// (measured on DC, one thread: 4 Mi elements 5.50 s, 256 Ki 4.64 s, 64 Ki 4.51 s).
    public static let defaultChunkBudget = 64 << 10
    @TaskLocal private static var scopedChunkBudget: Int?
    /// The chunk target in use: the task's override (tests), else `defaultChunkBudget`.
    public static var chunkBudget: Int { scopedChunkBudget ?? defaultChunkBudget }
    /// Runs `body` with another chunk target for the current task only (see `Threads.withSettings`).
    public static func withChunkBudget<R>(_ budget: Int, _ body: () throws -> R) rethrows -> R {
        try $scopedChunkBudget.withValue(max(1, budget), operation: body)
    }

    @inlinable public static func applies(_ g: ConvGeometry) -> Bool {
        enabled && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1
            && g.inChannels >= minimumChannels && g.outChannels >= minimumChannels
    }

    /// One stride-1 3×3 correlation problem: output pixel (y, x) reads input rows y − pad … y − pad + 2.
    /// `pad` may be negative (the input gradient of a convolution padded by more than 1).
    @usableFromInline struct Plan {
        @usableFromInline let batch, inChannels, inH, inW, outChannels, outH, outW, padH, padW: Int
        @usableFromInline let tileRows, tileCols, tilesPerSample, chunk: Int

        @inlinable init(batch: Int, inChannels: Int, inH: Int, inW: Int, outChannels: Int, outH: Int, outW: Int,
                        padH: Int, padW: Int) {
            self.batch = batch; self.inChannels = inChannels; self.inH = inH; self.inW = inW
            self.outChannels = outChannels; self.outH = outH; self.outW = outW; self.padH = padH; self.padW = padW
            tileRows = (outH + 1) / 2; tileCols = (outW + 1) / 2; tilesPerSample = tileRows * tileCols
            let perSample = 16 * Swift.max(inChannels, outChannels) * tilesPerSample
            chunk = Swift.max(1, Swift.min(batch, Winograd.chunkBudget / Swift.max(1, perSample)))
        }

        /// Distance between two of the 16 planes of a transformed [channels, tiles] chunk. The 64 extra
        /// bytes keep the 16 planes off a common cache set: with planes a multiple of 4 KiB apart, the
        /// transforms' 16 load or store streams conflicted in L1 (the planes of a 128-channel, 64-tile
        /// chunk are exactly 32 KiB apart).
        @inlinable func planeStride(channels: Int, tiles: Int) -> Int { channels * tiles + 16 }
    }

    /// Distance between two planes of transformed weights: 64 bytes more than a plane, for the reason
    /// given at `Plan.planeStride`.
    @inlinable static func weightPlaneStride(_ pairs: Int) -> Int { pairs + 16 }

    /// U[ξ][o][c] = (G·w[o,c]·Gᵀ)[ξ] for w laid out [outer][inner][3][3]; with `flipTranspose` the plane
    /// holds the input-gradient kernel: U[ξ][c][o] = G·flip(w[o,c])·Gᵀ.
    @inlinable
    static func transformWeights<T: KernelFloat>(_ w: UnsafePointer<T>, outer: Int, inner: Int, flipTranspose: Bool,
                                                 into u: UnsafeMutablePointer<T>) {
        let plane = weightPlaneStride(outer * inner)
        let half: T = 0.5
        // Called for every Winograd product (several per layer and step when differentiating twice):
        // parallel over output channels, no heap traffic per kernel.
        Threads.parallelFor(outer, grain: 8) { range in
            for o in range {
                for c in 0..<inner {
                    let src = w + (o * inner + c) * 9
                    @inline(__always) func g(_ i: Int) -> T { flipTranspose ? src[8 - i] : src[i] }
                    let dst = flipTranspose ? c * outer + o : o * inner + c
                    // t = G·g (4×3) one row r at a time, then the row times Gᵀ.
                    for r in 0..<4 {
                        var t0: T, t1: T, t2: T
                        switch r {
                        case 0: t0 = g(0); t1 = g(1); t2 = g(2)
                        case 1: t0 = half * (g(0) + g(3) + g(6)); t1 = half * (g(1) + g(4) + g(7))
                                t2 = half * (g(2) + g(5) + g(8))
                        case 2: t0 = half * (g(0) - g(3) + g(6)); t1 = half * (g(1) - g(4) + g(7))
                                t2 = half * (g(2) - g(5) + g(8))
                        default: t0 = g(6); t1 = g(7); t2 = g(8)
                        }
                        u[(4 * r) * plane + dst] = t0
                        u[(4 * r + 1) * plane + dst] = half * (t0 + t1 + t2)
                        u[(4 * r + 2) * plane + dst] = half * (t0 - t1 + t2)
                        u[(4 * r + 3) * plane + dst] = t2
                    }
                }
            }
        }
    }

    /// output = correlate(input, weights) (+ bias) with pre-transformed weights u ([16][outC][inC]).
    @inlinable
    static func correlate<T: KernelFloat>(_ p: Plan, input: UnsafePointer<T>, u: UnsafePointer<T>,
                                          bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>) {
        let parts = Swift.min(Threads.count, p.batch), cap = p.chunk * p.tilesPerSample
        Threads.parallelParts(parts) { part in
            let vBuffer = ScratchBuffer<T>(count: 16 * p.planeStride(channels: p.inChannels, tiles: cap)), v = vBuffer.pointer
            let mBuffer = ScratchBuffer<T>(count: 16 * p.planeStride(channels: p.outChannels, tiles: cap)), m = mBuffer.pointer
            defer { vBuffer.release(); mBuffer.release() }
            var first = p.batch * part / parts
            let end = p.batch * (part + 1) / parts
            while first < end {
                let count = Swift.min(p.chunk, end - first), tiles = count * p.tilesPerSample
                let vPlane = p.planeStride(channels: p.inChannels, tiles: tiles)
                let mPlane = p.planeStride(channels: p.outChannels, tiles: tiles)
                transformInput(p, input: input, first: first, count: count, v: v)
                for xi in 0..<16 {
                    T.gemmSerial(transA: false, transB: false, m: p.outChannels, n: tiles, k: p.inChannels, alpha: 1,
                                 a: u + xi * weightPlaneStride(p.outChannels * p.inChannels), lda: p.inChannels,
                                 b: v + xi * vPlane, ldb: tiles, beta: 0,
                                 c: m + xi * mPlane, ldc: tiles)
                }
                transformOutput(p, m: m, first: first, count: count, bias: bias, output: output)
                first += count
            }
        }
    }

    /// Conv2D.forward for a geometry where `applies` holds.
    @inlinable
    public static func forward<T: KernelFloat>(_ g: ConvGeometry, input: UnsafePointer<T>, weight: UnsafePointer<T>,
                                               bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>) {
        let p = Plan(batch: g.batch, inChannels: g.inChannels, inH: g.height, inW: g.width,
                     outChannels: g.outChannels, outH: g.outHeight, outW: g.outWidth, padH: g.padH, padW: g.padW)
        let uBuffer = ScratchBuffer<T>(count: 16 * weightPlaneStride(g.outChannels * g.inChannels)), u = uBuffer.pointer
        defer { uBuffer.release() }
        transformWeights(weight, outer: g.outChannels, inner: g.inChannels, flipTranspose: false, into: u)
        correlate(p, input: input, u: u, bias: bias, output: output)
    }

    /// Conv2D.inputGrad: a correlation of the output gradient with the flipped, transposed kernel.
    @inlinable
    public static func inputGrad<T: KernelFloat>(_ g: ConvGeometry, gradOutput: UnsafePointer<T>,
                                                 weight: UnsafePointer<T>, gradInput: UnsafeMutablePointer<T>) {
        let p = Plan(batch: g.batch, inChannels: g.outChannels, inH: g.outHeight, inW: g.outWidth,
                     outChannels: g.inChannels, outH: g.height, outW: g.width, padH: 2 - g.padH, padW: 2 - g.padW)
        let uBuffer = ScratchBuffer<T>(count: 16 * weightPlaneStride(g.outChannels * g.inChannels)), u = uBuffer.pointer
        defer { uBuffer.release() }
        transformWeights(weight, outer: g.outChannels, inner: g.inChannels, flipTranspose: true, into: u)
        correlate(p, input: gradOutput, u: u, bias: nil, output: gradInput)
    }

    /// Conv2D.weightGrad: dU[ξ] = Σ_tiles dM[ξ]·V[ξ]ᵀ, then dW = Gᵀ·dU·G.
    @inlinable
    public static func weightGrad<T: KernelFloat>(_ g: ConvGeometry, input: UnsafePointer<T>,
                                                  gradOutput: UnsafePointer<T>, gradWeight: UnsafeMutablePointer<T>) {
        let p = Plan(batch: g.batch, inChannels: g.inChannels, inH: g.height, inW: g.width,
                     outChannels: g.outChannels, outH: g.outHeight, outW: g.outWidth, padH: g.padH, padW: g.padW)
        let cap = p.chunk * p.tilesPerSample, pairs = g.outChannels * g.inChannels, plane = weightPlaneStride(pairs)
        // One dU accumulator per thread (summed below): the sum over samples is split by thread count, so
        // results agree across thread counts up to rounding only.
        guard p.batch > 0 else { gradWeight.update(repeating: 0, count: pairs * 9); return }
        let parts = Swift.min(Threads.count, p.batch)
        let duBuffer = ScratchBuffer<T>(count: parts * 16 * plane), du = duBuffer.pointer
        defer { duBuffer.release() }
        Threads.parallelParts(parts) { part in
            let vBuffer = ScratchBuffer<T>(count: 16 * p.planeStride(channels: p.inChannels, tiles: cap)), v = vBuffer.pointer
            let dmBuffer = ScratchBuffer<T>(count: 16 * p.planeStride(channels: p.outChannels, tiles: cap)), dm = dmBuffer.pointer
            defer { vBuffer.release(); dmBuffer.release() }
            let partial = du + part * 16 * plane
            var first = p.batch * part / parts
            let end = p.batch * (part + 1) / parts
            var beta: T = 0
            while first < end {
                let count = Swift.min(p.chunk, end - first), tiles = count * p.tilesPerSample
                let vPlane = p.planeStride(channels: p.inChannels, tiles: tiles)
                let mPlane = p.planeStride(channels: p.outChannels, tiles: tiles)
                transformInput(p, input: input, first: first, count: count, v: v)
                transformGradOutput(p, gradOutput: gradOutput, first: first, count: count, dm: dm)
                for xi in 0..<16 {
                    T.gemmSerial(transA: false, transB: true, m: p.outChannels, n: p.inChannels, k: tiles, alpha: 1,
                                 a: dm + xi * mPlane, lda: tiles, b: v + xi * vPlane,
                                 ldb: tiles, beta: beta, c: partial + xi * plane, ldc: p.inChannels)
                }
                beta = 1
                first += count
            }
        }
        if parts > 1 {
            Threads.parallelFor(16 * plane, grain: 1 << 14) { range in
                for part in 1..<parts {
                    let partial = du + part * 16 * plane
                    for i in range { du[i] += partial[i] }
                }
            }
        }
        // dW = Gᵀ·dU·G with Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1].
        let half: T = 0.5
        Threads.parallelFor(pairs) { range in
            var t = [T](repeating: 0, count: 12)  // Gᵀ·dU: 3×4, reused for every pair of the range
            for pair in range {
                for q in 0..<4 {
                    let a = du[q * plane + pair], b = du[(4 + q) * plane + pair]
                    let c = du[(8 + q) * plane + pair], d = du[(12 + q) * plane + pair]
                    t[q] = a + half * (b + c); t[4 + q] = half * (b - c); t[8 + q] = half * (b + c) + d
                }
                let dst = gradWeight + pair * 9
                for r in 0..<3 {
                    let a = t[4 * r], b = t[4 * r + 1], c = t[4 * r + 2], d = t[4 * r + 3]
                    dst[3 * r] = a + half * (b + c); dst[3 * r + 1] = half * (b - c); dst[3 * r + 2] = half * (b + c) + d
                }
            }
        }
    }
}
