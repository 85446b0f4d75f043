import DDKernels
import Testing

/// Direct 7-loop convolution (cross-correlation with zero padding): the independent reference.
func naiveConv(_ g: ConvGeometry, _ x: [Double], _ w: [Double], _ bias: [Double]?) -> [Double] {
    let ho = g.outHeight, wo = g.outWidth
    var y = [Double](repeating: 0, count: g.batch * g.outChannels * ho * wo)
    for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<ho { for ox in 0..<wo {
        var s = bias?[o] ?? 0
        for c in 0..<g.inChannels { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
            let iy = oy * g.strideH - g.padH + ky, ix = ox * g.strideW - g.padW + kx
            if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                s += x[((n * g.inChannels + c) * g.height + iy) * g.width + ix] *
                     w[((o * g.inChannels + c) * g.kernelH + ky) * g.kernelW + kx]
            }
        } } }
        y[((n * g.outChannels + o) * ho + oy) * wo + ox] = s
    } } } }
    return y
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

@Suite struct ConvolutionTests {
    static let geometries = [
        ConvGeometry(batch: 3, inChannels: 2, height: 7, width: 6, outChannels: 4, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padH: 1, padW: 1),
        ConvGeometry(batch: 2, inChannels: 3, height: 8, width: 9, outChannels: 2, kernelH: 3, kernelW: 2, strideH: 2, strideW: 3, padH: 2, padW: 0),
        ConvGeometry(batch: 2, inChannels: 1, height: 5, width: 5, outChannels: 3, kernelH: 1, kernelW: 1),
        ConvGeometry(batch: 1, inChannels: 2, height: 4, width: 4, outChannels: 2, kernelH: 5, kernelW: 5, padH: 3, padW: 3),
        ConvGeometry(batch: 2, inChannels: 2, height: 6, width: 7, outChannels: 3, kernelH: 3, kernelW: 4, strideH: 2, strideW: 2, padH: 1, padW: 2),
        ConvGeometry(batch: 1, inChannels: 1, height: 3, width: 2, outChannels: 1, kernelH: 3, kernelW: 3, strideH: 3, strideW: 3, padH: 2, padW: 2),
        // ≥ 256 output pixels per sample: the per-sample (direct NCHW) gemm path.
        ConvGeometry(batch: 3, inChannels: 2, height: 17, width: 16, outChannels: 3, kernelH: 3, kernelW: 3, padH: 1, padW: 1),
        ConvGeometry(batch: 2, inChannels: 1, height: 20, width: 20, outChannels: 2, kernelH: 3, kernelW: 3, padH: 3, padW: 3),
    ]

    @Test(arguments: geometries)
    func forwardMatchesNaive(g: ConvGeometry) {
        let x = testValues(g.batch * g.inChannels * g.height * g.width, seed: 10)
        let w = testValues(g.outChannels * g.patchSize, seed: 11), b = testValues(g.outChannels, seed: 12)
        var y = [Double](repeating: .nan, count: g.batch * g.outChannels * g.outHeight * g.outWidth)
        Conv2D.forward(g, input: x, weight: w, bias: b, output: &y)
        let ref = naiveConv(g, x, w, b)
        for i in y.indices { #expect(Swift.abs(y[i] - ref[i]) < 1e-12) }
    }

    /// inputGrad and weightGrad are the adjoints of the (naive) forward map:
    /// <conv(x, w), gy> = <x, inputGrad(gy, w)> = <w, weightGrad(x, gy)>.
    @Test(arguments: geometries)
    func gradientsAreAdjoints(g: ConvGeometry) {
        let x = testValues(g.batch * g.inChannels * g.height * g.width, seed: 13)
        let w = testValues(g.outChannels * g.patchSize, seed: 14)
        let gy = testValues(g.batch * g.outChannels * g.outHeight * g.outWidth, seed: 15)
        let lhs = dot(naiveConv(g, x, w, nil), gy)
        var gx = [Double](repeating: .nan, count: x.count), gw = [Double](repeating: .nan, count: w.count)
        Conv2D.inputGrad(g, gradOutput: gy, weight: w, gradInput: &gx)
        Conv2D.weightGrad(g, input: x, gradOutput: gy, gradWeight: &gw)
        #expect(Swift.abs(dot(x, gx) - lhs) < 1e-10)
        #expect(Swift.abs(dot(w, gw) - lhs) < 1e-10)
        // Element-wise: the weight gradient of weight element j is the forward map applied to the basis vector e_j.
        for j in [0, w.count / 2, w.count - 1] {
            var e = [Double](repeating: 0, count: w.count); e[j] = 1
            #expect(Swift.abs(dot(naiveConv(g, x, e, nil), gy) - gw[j]) < 1e-10)
        }
    }

    /// Same results (up to rounding) with 1 and 2 threads and with the batch split into im2col chunks.
    @Test func threadCountIndependence() {
      for side in [10, 16] {  // packed path (100 pixels) and direct path (256 pixels)
        let g = ConvGeometry(batch: 6, inChannels: 3, height: side, width: side, outChannels: 5, kernelH: 3, kernelW: 3, padH: 1, padW: 1)
        let pixels = side * side
        let x = testValues(g.batch * 3 * pixels, seed: 16).map { Float($0) }, w = testValues(5 * 27, seed: 17).map { Float($0) }
        let gy = testValues(g.batch * 5 * pixels, seed: 18).map { Float($0) }
        let b = testValues(5, seed: 19).map { Float($0) }
        func run() -> ([Float], [Float], [Float]) {
            var y = [Float](repeating: 0, count: gy.count), gx = [Float](repeating: 0, count: x.count)
            var gw = [Float](repeating: 0, count: w.count)
            Conv2D.forward(g, input: x, weight: w, bias: b, output: &y)
            Conv2D.inputGrad(g, gradOutput: gy, weight: w, gradInput: &gx)
            Conv2D.weightGrad(g, input: x, gradOutput: gy, gradWeight: &gw)
            return (y, gx, gw)
        }
        let one = Threads.withSettings(count: 1, run), two = Threads.withSettings(count: 2, run)
        // Chunked im2col (4 + 2 samples) must not change the result either.
        let chunked = Threads.withSettings(count: 2) { Conv2D.withColumnBudget(4 * (g.patchSize + 1) * pixels, run) }
        for (a, b) in [(chunked.0, two.0), (chunked.1, two.1), (chunked.2, two.2)] {
            #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * Swift.max(1, Swift.abs($0)) })
        }
        for (a, b) in [(one.0, two.0), (one.1, two.1), (one.2, two.2)] {
            #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * Swift.max(1, Swift.abs($0)) })
        }
      }
    }
}

@Suite struct PoolingAndGatherTests {
    @Test func poolingMatchesNaive() {
        let g = PoolGeometry(planes: 3, height: 5, width: 6, kernelH: 2, kernelW: 3, strideH: 2, strideW: 1)
        let x = testValues(3 * 30, seed: 20)
        let ho = g.outHeight, wo = g.outWidth
        var avg = [Double](repeating: 0, count: 3 * ho * wo), mx = avg
        var arg = [Int32](repeating: 0, count: avg.count)
        Pool2D.averageForward(g, input: x, output: &avg)
        Pool2D.maxForward(g, input: x, output: &mx, argmax: &arg)
        for p in 0..<3 { for oy in 0..<ho { for ox in 0..<wo {
            var s = 0.0, best = -Double.infinity
            for ky in 0..<2 { for kx in 0..<3 {
                let v = x[p * 30 + (oy * 2 + ky) * 6 + ox + kx]; s += v; best = Swift.max(best, v)
            } }
            let o = (p * ho + oy) * wo + ox
            #expect(Swift.abs(avg[o] - s / 6) < 1e-12)
            #expect(mx[o] == best && x[p * 30 + Int(arg[o])] == best)
        } } }
        // averageBackward is the adjoint of averageForward.
        let gy = testValues(avg.count, seed: 21)
        var gx = [Double](repeating: .nan, count: x.count)
        Pool2D.averageBackward(g, gradOutput: gy, gradInput: &gx)
        #expect(Swift.abs(dot(avg, gy) - dot(x, gx)) < 1e-12)
    }

    /// The 2×2 stride-2 fast path, on odd sizes (a last row and column outside every window).
    @Test func halvingAveragePoolMatchesNaive() {
        let g = PoolGeometry(planes: 2, height: 5, width: 7, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2)
        let x = testValues(2 * 35, seed: 24), gy = testValues(2 * 2 * 3, seed: 25)
        var avg = [Double](repeating: .nan, count: 12), gx = [Double](repeating: .nan, count: x.count)
        Pool2D.averageForward(g, input: x, output: &avg)
        Pool2D.averageBackward(g, gradOutput: gy, gradInput: &gx)
        for p in 0..<2 { for oy in 0..<2 { for ox in 0..<3 {
            let at = { (y: Int, x0: Int) in x[p * 35 + y * 7 + x0] }
            let s = at(2 * oy, 2 * ox) + at(2 * oy, 2 * ox + 1) + at(2 * oy + 1, 2 * ox) + at(2 * oy + 1, 2 * ox + 1)
            #expect(Swift.abs(avg[(p * 2 + oy) * 3 + ox] - s / 4) < 1e-12)
            #expect(gx[p * 35 + (2 * oy + 1) * 7 + 2 * ox + 1] == gy[(p * 2 + oy) * 3 + ox] / 4)
        } } }
        for p in 0..<2 {
            #expect((0..<7).allSatisfy { gx[p * 35 + 4 * 7 + $0] == 0 } && (0..<5).allSatisfy { gx[p * 35 + $0 * 7 + 6] == 0 })
        }
        #expect(Swift.abs(dot(avg, gy) - dot(x, gx)) < 1e-12)
    }

    @Test func scatterIsAdjointOfGather() {
        let a = 2, b = 3, m = 5, k = 4
        let x = testValues(a * b * m, seed: 22), y = testValues(a * b * k, seed: 23)
        let index: [Int32] = [0, 4, -1, 4, 2, 2, 1, 3]
        var gathered = [Double](repeating: .nan, count: a * b * k), scattered = [Double](repeating: .nan, count: a * b * m)
        GatherScatter.gather(a: a, b: b, m: m, k: k, input: x, index: index, output: &gathered)
        GatherScatter.scatterAdd(a: a, b: b, m: m, k: k, input: y, index: index, output: &scattered)
        #expect(gathered[2] == 0 && gathered[1] == x[4] && gathered[k + 1] == x[m + 4])
        #expect(Swift.abs(dot(gathered, y) - dot(x, scattered)) < 1e-12)
    }
}
