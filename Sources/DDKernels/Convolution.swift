/// Shape of one 2-D convolution over an NCHW batch with an OIHW weight.
public struct ConvGeometry: Equatable, Sendable {
    public let batch, inChannels, height, width: Int
    public let outChannels, kernelH, kernelW: Int
    public let strideH, strideW, padH, padW: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernelH: Int, kernelW: Int, strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW; self.padH = padH; self.padW = padW
    }

    public var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    public var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the im2col matrix (the gemm reduction size).
    public var patchSize: Int { inChannels * kernelH * kernelW }
    public var isValid: Bool {
        batch >= 0 && inChannels > 0 && outChannels > 0 && kernelH > 0 && kernelW > 0 && strideH > 0
            && strideW > 0 && padH >= 0 && padW >= 0 && outHeight > 0 && outWidth > 0
    }

    /// Samples per im2col chunk: keeps the column buffer near 8M elements so it stays cache- and RAM-friendly
    /// while the gemm is still wide.
    @inlinable var chunk: Int {
        let perSample = max(1, patchSize * outHeight * outWidth)
        return max(1, min(batch, Conv2D.columnBudget / perSample))
    }
}

/// im2col / col2im based convolution: one im2col per chunk of samples and one large gemm per chunk.
/// Column layout: row r = (c, ky, kx), column = sampleInChunk * P + outputPixel, so one gemm
/// covers the whole chunk. Parallel loops split over (sample, channel) pairs, which write disjoint memory.
public enum Conv2D {
    /// Target size (elements) of the im2col buffer; the batch is processed in chunks that fit.
    public static let defaultColumnBudget = 8 << 20
    @TaskLocal private static var scopedColumnBudget: Int?
    /// The im2col target in use: the task's override (tests), else `defaultColumnBudget`.
    public static var columnBudget: Int { scopedColumnBudget ?? defaultColumnBudget }
    /// Runs `body` with another im2col target for the current task only (see `Threads.withSettings`).
    public static func withColumnBudget<R>(_ budget: Int, _ body: () throws -> R) rethrows -> R {
        try $scopedColumnBudget.withValue(max(1, budget), operation: body)
    }
    /// From this many output pixels per sample on, one gemm per sample writes NCHW directly (wide enough
    /// to stay efficient) instead of one chunk-wide gemm plus a layout copy.
    nonisolated(unsafe) public static var directMinimumPixels = 256

    /// Output columns ox whose input column ox·stride − pad + kx lies inside the image.
    @inlinable @inline(__always)
    static func validColumns(_ g: ConvGeometry, kx: Int) -> (Int, Int) {
        let shift = g.padW - kx  // ix = ox·s − shift
        let lo = shift <= 0 ? 0 : (shift + g.strideW - 1) / g.strideW
        let limit = g.width - 1 + shift  // need ox·s ≤ limit
        let hi = limit < 0 ? 0 : limit / g.strideW + 1
        let outW = g.outWidth
        return (Swift.min(lo, outW), Swift.max(Swift.min(lo, outW), Swift.min(hi, outW)))
    }

    @inlinable
    static func im2col<T: KernelFloat>(_ g: ConvGeometry, input: UnsafePointer<T>, first: Int, count: Int,
                                       col: UnsafeMutablePointer<T>) {
        let ho = g.outHeight, wo = g.outWidth, p = ho * wo, ld = count * p
        let kh = g.kernelH, kw = g.kernelW, h = g.height, w = g.width
        Threads.parallelFor(count * g.inChannels) { range in
            for item in range {
                let s = item / g.inChannels, c = item % g.inChannels
                let image = input + ((first + s) * g.inChannels + c) * h * w
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let row = col + ((c * kh + ky) * kw + kx) * ld + s * p
                        for oy in 0..<ho {
                            let iy = oy * g.strideH - g.padH + ky
                            let dst = row + oy * wo
                            if iy < 0 || iy >= h {
                                for ox in 0..<wo { dst[ox] = 0 }
                                continue
                            }
                            let src = image + iy * w - g.padW + kx
                            let (lo, hi) = validColumns(g, kx: kx)
                            for ox in 0..<lo { dst[ox] = 0 }
                            if g.strideW == 1 {
                                if lo < hi { (dst + lo).update(from: src + lo, count: hi - lo) }
                            } else {
                                for ox in lo..<hi { dst[ox] = src[ox * g.strideW] }
                            }
                            for ox in hi..<wo { dst[ox] = 0 }
                        }
                    }
                }
            }
        }
    }

    @inlinable
    static func col2im<T: KernelFloat>(_ g: ConvGeometry, col: UnsafePointer<T>, first: Int, count: Int,
                                       gradInput: UnsafeMutablePointer<T>) {
        let ho = g.outHeight, wo = g.outWidth, p = ho * wo, ld = count * p
        let kh = g.kernelH, kw = g.kernelW, h = g.height, w = g.width
        Threads.parallelFor(count * g.inChannels) { range in
            for item in range {
                let s = item / g.inChannels, c = item % g.inChannels
                let image = gradInput + ((first + s) * g.inChannels + c) * h * w
                image.update(repeating: 0, count: h * w)
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        let row = col + ((c * kh + ky) * kw + kx) * ld + s * p
                        for oy in 0..<ho {
                            let iy = oy * g.strideH - g.padH + ky
                            if iy < 0 || iy >= h { continue }
                            let src = row + oy * wo, dst = image + iy * w - g.padW + kx
                            let (lo, hi) = validColumns(g, kx: kx)
                            for ox in lo..<hi { dst[ox * g.strideW] += src[ox] }
                        }
                    }
                }
            }
        }
    }

    /// Copies NCHW output rows of a chunk into the [outChannels, count * P] gemm layout (or back).
    @inlinable
    static func shuffle<T: KernelFloat>(_ g: ConvGeometry, first: Int, count: Int, nchw: UnsafeMutablePointer<T>,
                                        packed: UnsafeMutablePointer<T>, toPacked: Bool, bias: UnsafePointer<T>?) {
        let p = g.outHeight * g.outWidth, ld = count * p
        Threads.parallelFor(count * g.outChannels) { range in
            for item in range {
                let s = item / g.outChannels, o = item % g.outChannels
                let a = nchw + ((first + s) * g.outChannels + o) * p
                let b = packed + o * ld + s * p
                if toPacked {
                    b.update(from: a, count: p)
                } else {
                    let add = bias.map { $0[o] } ?? 0
                    for i in 0..<p { a[i] = b[i] + add }
                }
            }
        }
    }

    /// output[n, o] = sum_c weight[o, c] ⋆ input[n, c] (+ bias[o]). output: [N, O, Ho, Wo].
    @inlinable
    public static func forward<T: KernelFloat>(_ g: ConvGeometry, input: UnsafePointer<T>, weight: UnsafePointer<T>,
                                               bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>) {
        if Winograd.applies(g) { Winograd.forward(g, input: input, weight: weight, bias: bias, output: output); return }
        let p = g.outHeight * g.outWidth, k = g.patchSize, chunk = g.chunk
        if p >= directMinimumPixels {
            // Per-sample gemms write NCHW output directly; the bias rides along as a row of ones in the
            // column matrix and an extra weight column, so no extra pass over the output is needed.
            let rows = bias == nil ? k : k + 1
            let colBuffer = ScratchBuffer<T>(count: rows * chunk * p), col = colBuffer.pointer
            let augmented = UnsafeMutablePointer<T>.allocate(capacity: g.outChannels * rows)
            defer { colBuffer.release(); augmented.deallocate() }
            if let bias {
                for o in 0..<g.outChannels {
                    (augmented + o * rows).update(from: weight + o * k, count: k)
                    augmented[o * rows + k] = bias[o]
                }
            }
            let w = bias == nil ? weight : UnsafePointer(augmented)
            var first = 0
            while first < g.batch {
                let count = min(chunk, g.batch - first)
                im2col(g, input: input, first: first, count: count, col: col)
                if bias != nil { (col + k * count * p).update(repeating: 1, count: count * p) }
                Threads.parallelFor(count) { samples in
                    for s in samples {
                        T.gemmSerial(transA: false, transB: false, m: g.outChannels, n: p, k: rows, alpha: 1, a: w,
                                     lda: rows, b: col + s * p, ldb: count * p, beta: 0,
                                     c: output + (first + s) * g.outChannels * p, ldc: p)
                    }
                }
                first += count
            }
            return
        }
        let colBuffer = ScratchBuffer<T>(count: k * chunk * p), col = colBuffer.pointer
        let packedBuffer = ScratchBuffer<T>(count: g.outChannels * chunk * p), packed = packedBuffer.pointer
        defer { colBuffer.release(); packedBuffer.release() }
        var first = 0
        while first < g.batch {
            let count = min(chunk, g.batch - first)
            im2col(g, input: input, first: first, count: count, col: col)
            T.gemm(transA: false, transB: false, m: g.outChannels, n: count * p, k: k, alpha: 1,
                   a: weight, lda: k, b: col, ldb: count * p, beta: 0, c: packed, ldc: count * p)
            shuffle(g, first: first, count: count, nchw: output, packed: packed, toPacked: false, bias: bias)
            first += count
        }
    }

    /// Gradient of `forward` with respect to its input (a transposed convolution). gradInput: [N, C, H, W].
    @inlinable
    public static func inputGrad<T: KernelFloat>(_ g: ConvGeometry, gradOutput: UnsafePointer<T>,
                                                 weight: UnsafePointer<T>, gradInput: UnsafeMutablePointer<T>) {
        if Winograd.applies(g) {
            Winograd.inputGrad(g, gradOutput: gradOutput, weight: weight, gradInput: gradInput); return
        }
        let p = g.outHeight * g.outWidth, k = g.patchSize, chunk = g.chunk
        let colBuffer = ScratchBuffer<T>(count: k * chunk * p), col = colBuffer.pointer
        let packedBuffer = ScratchBuffer<T>(count: g.outChannels * chunk * p), packed = packedBuffer.pointer
        defer { colBuffer.release(); packedBuffer.release() }
        var first = 0
        while first < g.batch {
            let count = min(chunk, g.batch - first)
            if p >= directMinimumPixels {
                // Column layout keeps ld = count * p so col2im is shared with the packed path.
                Threads.parallelFor(count) { samples in
                    for s in samples {
                        T.gemmSerial(transA: true, transB: false, m: k, n: p, k: g.outChannels, alpha: 1, a: weight,
                                     lda: k, b: gradOutput + (first + s) * g.outChannels * p, ldb: p, beta: 0,
                                     c: col + s * p, ldc: count * p)
                    }
                }
            } else {
                shuffle(g, first: first, count: count, nchw: UnsafeMutablePointer(mutating: gradOutput), packed: packed,
                        toPacked: true, bias: nil)
                T.gemm(transA: true, transB: false, m: k, n: count * p, k: g.outChannels, alpha: 1,
                       a: weight, lda: k, b: packed, ldb: count * p, beta: 0, c: col, ldc: count * p)
            }
            col2im(g, col: col, first: first, count: count, gradInput: gradInput)
            first += count
        }
    }

    /// Gradient of `forward` with respect to its weight. gradWeight: [O, C, kh, kw] (overwritten).
    @inlinable
    public static func weightGrad<T: KernelFloat>(_ g: ConvGeometry, input: UnsafePointer<T>,
                                                  gradOutput: UnsafePointer<T>, gradWeight: UnsafeMutablePointer<T>) {
        if Winograd.applies(g) {
            Winograd.weightGrad(g, input: input, gradOutput: gradOutput, gradWeight: gradWeight); return
        }
        let p = g.outHeight * g.outWidth, k = g.patchSize, chunk = g.chunk
        gradWeight.update(repeating: 0, count: g.outChannels * k)
        let colBuffer = ScratchBuffer<T>(count: k * chunk * p), col = colBuffer.pointer
        let packedBuffer = ScratchBuffer<T>(count: g.outChannels * chunk * p), packed = packedBuffer.pointer
        defer { colBuffer.release(); packedBuffer.release() }
        var first = 0
        while first < g.batch {
            let count = min(chunk, g.batch - first)
            im2col(g, input: input, first: first, count: count, col: col)
            if p >= directMinimumPixels {
                // Each thread sums its own samples into its own buffer; the partial sums are added in part order.
                let parts = Swift.min(Threads.count, count), size = g.outChannels * k
                let partial = UnsafeMutablePointer<T>.allocate(capacity: parts * size)
                defer { partial.deallocate() }
                partial.update(repeating: 0, count: parts * size)
                Threads.parallelParts(parts) { part in
                    for s in (count * part / parts)..<(count * (part + 1) / parts) {
                        T.gemmSerial(transA: false, transB: true, m: g.outChannels, n: k, k: p, alpha: 1,
                                     a: gradOutput + (first + s) * g.outChannels * p, lda: p, b: col + s * p,
                                     ldb: count * p, beta: 1, c: partial + part * size, ldc: k)
                    }
                }
                for part in 0..<parts { for i in 0..<size { gradWeight[i] += partial[part * size + i] } }
            } else {
                shuffle(g, first: first, count: count, nchw: UnsafeMutablePointer(mutating: gradOutput), packed: packed,
                        toPacked: true, bias: nil)
                T.gemm(transA: false, transB: true, m: g.outChannels, n: k, k: count * p, alpha: 1,
                       a: packed, lda: count * p, b: col, ldb: count * p, beta: 1, c: gradWeight, ldc: k)
            }
            first += count
        }
    }
}
