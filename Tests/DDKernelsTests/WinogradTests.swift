import DDKernels
import Testing

/// Naive input and weight gradients (direct loops over the forward definition): independent references.
func naiveConvGrads(_ g: ConvGeometry, _ x: [Double], _ w: [Double], _ gy: [Double]) -> ([Double], [Double]) {
    var gx = [Double](repeating: 0, count: x.count), gw = [Double](repeating: 0, count: w.count)
    let ho = g.outHeight, wo = g.outWidth
    for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<ho { for ox in 0..<wo {
        let dy = gy[((n * g.outChannels + o) * ho + oy) * wo + ox]
        for c in 0..<g.inChannels { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
            let iy = oy * g.strideH - g.padH + ky, ix = ox * g.strideW - g.padW + kx
            if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
            let xi = ((n * g.inChannels + c) * g.height + iy) * g.width + ix
            let wi = ((o * g.inChannels + c) * g.kernelH + ky) * g.kernelW + kx
            gx[xi] += dy * w[wi]; gw[wi] += dy * x[xi]
        } } }
    } } } }
    return (gx, gw)
}

@Suite struct WinogradTests {
    /// Odd and even output sizes (partial edge tiles), padding 0–3 (padding 3 gives the input gradient a
    /// negative padding, i.e. a crop), non-square images, more input than output channels and vice versa;
    /// rows of 8 and 10 tiles run the 4-tile SIMD blocks, the latter with a scalar tail and an odd edge.
    static let geometries = [
        ConvGeometry(batch: 2, inChannels: 3, height: 6, width: 6, outChannels: 4, kernelH: 3, kernelW: 3, padH: 1, padW: 1),
        ConvGeometry(batch: 3, inChannels: 2, height: 7, width: 5, outChannels: 3, kernelH: 3, kernelW: 3, padH: 1, padW: 1),
        ConvGeometry(batch: 1, inChannels: 4, height: 8, width: 9, outChannels: 2, kernelH: 3, kernelW: 3),
        ConvGeometry(batch: 2, inChannels: 2, height: 5, width: 6, outChannels: 3, kernelH: 3, kernelW: 3, padH: 3, padW: 2),
        ConvGeometry(batch: 2, inChannels: 1, height: 3, width: 4, outChannels: 2, kernelH: 3, kernelW: 3, padH: 0, padW: 1),
        ConvGeometry(batch: 3, inChannels: 2, height: 9, width: 19, outChannels: 3, kernelH: 3, kernelW: 3, padH: 1, padW: 1),
        ConvGeometry(batch: 2, inChannels: 3, height: 6, width: 18, outChannels: 2, kernelH: 3, kernelW: 3, padH: 2, padW: 0),
    ]

    @Test(arguments: geometries)
    func allThreeDirectionsMatchNaive(g: ConvGeometry) {
        let x = testValues(g.batch * g.inChannels * g.height * g.width, seed: 30)
        let w = testValues(g.outChannels * g.patchSize, seed: 31), b = testValues(g.outChannels, seed: 32)
        let gy = testValues(g.batch * g.outChannels * g.outHeight * g.outWidth, seed: 33)
        var y = [Double](repeating: .nan, count: gy.count)
        var gx = [Double](repeating: .nan, count: x.count), gw = [Double](repeating: .nan, count: w.count)
        Winograd.forward(g, input: x, weight: w, bias: b, output: &y)
        Winograd.inputGrad(g, gradOutput: gy, weight: w, gradInput: &gx)
        Winograd.weightGrad(g, input: x, gradOutput: gy, gradWeight: &gw)
        let ref = naiveConv(g, x, w, b), (refGx, refGw) = naiveConvGrads(g, x, w, gy)
        for (a, r) in [(y, ref), (gx, refGx), (gw, refGw)] {
            #expect(a.count == r.count)
            #expect(zip(a, r).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
        }
    }

    /// Float32 at a ConvNet-like shape stays within a few ulps of the exact result (the transforms add and
    /// halve, never amplify), and the Conv2D entry points route there for such shapes.
    @Test func float32AccuracyAtNetworkShape() {
        let g = ConvGeometry(batch: 2, inChannels: 16, height: 8, width: 8, outChannels: 16, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        #expect(Winograd.minimumChannels > 16 || !Winograd.enabled || Winograd.applies(g))
        let x = testValues(g.batch * 16 * 64, seed: 34), w = testValues(16 * 144, seed: 35)
        let gy = testValues(g.batch * 16 * 64, seed: 36)
        var y = [Float](repeating: .nan, count: gy.count)
        var gx = [Float](repeating: .nan, count: x.count), gw = [Float](repeating: .nan, count: w.count)
        Winograd.forward(g, input: x.map(Float.init), weight: w.map(Float.init), bias: nil, output: &y)
        Winograd.inputGrad(g, gradOutput: gy.map(Float.init), weight: w.map(Float.init), gradInput: &gx)
        Winograd.weightGrad(g, input: x.map(Float.init), gradOutput: gy.map(Float.init), gradWeight: &gw)
        let ref = naiveConv(g, x, w, nil), (refGx, refGw) = naiveConvGrads(g, x, w, gy)
        // Sums of 144 (forward, input grad) or 128 (weight grad) products of magnitude ≤ 1.
        for (a, r) in [(y, ref), (gx, refGx), (gw, refGw)] {
            let worst = zip(a, r).map { Swift.abs(Double($0) - $1) }.max() ?? .infinity
            #expect(worst < 2e-5)
        }
    }

    /// An empty batch contributes nothing: the weight gradient is zero, not whatever the scratch held.
    @Test func emptyBatchGivesAZeroWeightGradient() {
        let g = ConvGeometry(batch: 0, inChannels: 3, height: 6, width: 6, outChannels: 4, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        var gw = [Double](repeating: .nan, count: 4 * 27)
        Winograd.weightGrad(g, input: [Double](), gradOutput: [Double](), gradWeight: &gw)
        #expect(gw.allSatisfy { $0 == 0 })
    }

    /// Chunking the batch and the thread count change only the rounding, and the split into chunks
    /// covers every sample (a chunk bug would leave NaNs or zeros behind).
    @Test func chunksAndThreadsAgree() {
        let g = ConvGeometry(batch: 5, inChannels: 3, height: 6, width: 7, outChannels: 4, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        let x = testValues(g.batch * 3 * 42, seed: 37), w = testValues(4 * 27, seed: 38)
        let gy = testValues(g.batch * 4 * 42, seed: 39), b = testValues(4, seed: 40)
        func run() -> [Double] {
            var y = [Double](repeating: .nan, count: gy.count)
            var gx = [Double](repeating: .nan, count: x.count), gw = [Double](repeating: .nan, count: w.count)
            Winograd.forward(g, input: x, weight: w, bias: b, output: &y)
            Winograd.inputGrad(g, gradOutput: gy, weight: w, gradInput: &gx)
            Winograd.weightGrad(g, input: x, gradOutput: gy, gradWeight: &gw)
            return y + gx + gw
        }
        let one = Threads.withSettings(count: 1, run), two = Threads.withSettings(count: 2, run)
        let three = Threads.withSettings(count: 3, run)  // samples split 1 / 2 / 2 over the threads
        let chunked = Winograd.withChunkBudget(2 * 16 * 4 * 12, run)  // two samples (12 tiles each) per chunk
        let ref = naiveConv(g, x, w, b) + { let r = naiveConvGrads(g, x, w, gy); return r.0 + r.1 }()
        for a in [one, two, three, chunked] { #expect(zip(a, ref).allSatisfy { Swift.abs($0 - $1) < 1e-12 }) }
    }
}
