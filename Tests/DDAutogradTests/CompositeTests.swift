import DDTestSupport
import DDAutograd
import DDKernels
import DDTensor
import Testing

/// A tiny ConvNet (conv → GroupNorm(C,C) → ReLU → avg-pool → linear) as a function of its parameters.
func tinyNet(_ x: Tensor, _ p: [Tensor]) -> Tensor {
    let h = x.conv2d(weight: p[0], bias: p[1], stride: 1, padding: 1)
        .groupNorm(groups: 2, weight: p[2], bias: p[3]).relu().avgPool2d(kernel: 2)
    return h.reshaped([x.shape[0], -1]).linear(weight: p[4], bias: p[5])
}

func tinyNetParameters(seed: UInt64) -> [Tensor] {
    [randomTensor([2, 1, 3, 3], seed: seed), randomTensor([2], seed: seed + 1),
     randomTensor([2], seed: seed + 2, low: 0.5, high: 1.5), randomTensor([2], seed: seed + 3),
     randomTensor([3, 8], seed: seed + 4), randomTensor([3], seed: seed + 5)]
}

@Suite struct CompositeTests {
    /// DC-style gradient matching: layer-wise cosine distance between the parameter gradient on real data
    /// and the (createGraph) parameter gradient on synthetic images, differentiated w.r.t. the images.
    @Test func gradientMatchingLossThroughConvNet() {
        let real = randomTensor([3, 1, 4, 4], seed: 200), synthetic = randomTensor([2, 1, 4, 4], seed: 201)
        let params = tinyNetParameters(seed: 210)
        checkGradients([synthetic], tolerance: 1e-5) { s in
            let p = params.map { $0.requiringGrad() }
            let realGrads = grad(of: tinyNet(real, p).crossEntropy(labels: [0, 1, 2]), wrt: p).map { $0.detach() }
            let synGrads = grad(of: tinyNet(s[0], p).crossEntropy(labels: [1, 2]), wrt: p, createGraph: true)
            return zip(realGrads, synGrads).map { $0.0.cosineDistance($0.1) }.reduce(Tensor(0, dtype: .float64), +)
        }
    }

    /// MTT-style: three unrolled SGD steps of a linear model from fixed start weights, with a learnable
    /// step size; the distance to a target is differentiated w.r.t. the images and the step size.
    @Test func unrolledSGDThroughImagesAndStepSize() {
        let images = randomTensor([4, 5], seed: 220), lr = Tensor(shape: [], doubles: [0.3])
        let w0 = randomTensor([3, 5], seed: 221), target = randomTensor([3, 5], seed: 222)
        checkGradients([images, lr]) { t in
            var w = w0.requiringGrad()
            for step in 0..<3 {
                let batch = t[0].indexSelect(axis: 0, [step % 4, (step + 1) % 4, (step + 2) % 4])
                let loss = batch.linear(weight: w).tanh().crossEntropy(labels: [0, 1, 2])
                w = w - t[1] * grad(of: loss, wrt: [w], createGraph: true)[0]
            }
            return (w - target).square().sum() / (w0 - target).square().sum()
        }
    }

    /// DM-style: squared distance between mean embeddings of real and synthetic images.
    @Test func distributionMatchingLoss() {
        let real = randomTensor([4, 1, 4, 4], seed: 230), synthetic = randomTensor([2, 1, 4, 4], seed: 231)
        let p = tinyNetParameters(seed: 240)
        func embed(_ x: Tensor) -> Tensor {
            x.conv2d(weight: p[0], bias: p[1], stride: 1, padding: 1).groupNorm(groups: 2, weight: p[2], bias: p[3])
                .relu().avgPool2d(kernel: 2).reshaped([x.shape[0], -1])
        }
        checkGradients([synthetic]) { s in
            (embed(real).mean(axes: [0]) - embed(s[0]).mean(axes: [0])).square().sum()
        }
    }

    @Test func resultsIndependentOfThreadCount() {
        var rng = RandomGenerator(seed: 7)
        let x = Tensor.normal([8, 1, 8, 8], rng: &rng)
        let p = tinyNetParameters(seed: 250).map { Tensor($0.array.converted(to: .float32), requiresGrad: true) }
        func run() -> [[Float]] {
            let pooled = x.conv2d(weight: p[0], bias: p[1], stride: 1, padding: 1)
                .groupNorm(groups: 2, weight: p[2], bias: p[3]).relu().avgPool2d(kernel: 2)
            let loss = pooled.reshaped([8, -1]).linear(weight: Tensor(.ones([3, 32]), requiresGrad: false))
                .crossEntropy(labels: [0, 1, 2, 0, 1, 2, 0, 1])
            return [loss.scalars] + grad(of: loss, wrt: p).map(\.scalars)
        }
        let one = Threads.withSettings(count: 1, run), two = Threads.withSettings(count: 2, run)
        for (a, b) in zip(one, two) {
            #expect(zip(a, b).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * Swift.max(1, Swift.abs($0)) })
        }
    }

    @Test func gradEngineSemantics() {
        let x = Tensor(shape: [2], doubles: [1, 2], requiresGrad: true)
        let unused = Tensor(shape: [3], doubles: [1, 2, 3], requiresGrad: true)
        // Shared input accumulates: d/dx (x·x + x) = 2x + 1.
        let g = grad(of: (x * x + x).sum(), wrt: [x, unused])
        #expect(g[0].doubles == [3, 5] && g[1].doubles == [0, 0, 0])
        // No graph without createGraph; no recording under withNoGrad; detach cuts the graph.
        #expect(!g[0].requiresGrad)
        #expect(!withNoGrad { (x * 2).requiresGrad })
        #expect(!x.detach().requiresGrad && (x * 2).requiresGrad)
        // Explicit seed for a non-scalar output.
        let seeded = grad(of: x * 3, wrt: [x], seed: Tensor(shape: [2], doubles: [1, 10]))
        #expect(seeded[0].doubles == [3, 30])
        // Third derivative of x^4 at 2: 24x = 48.
        let c = Tensor(shape: [], doubles: [2], requiresGrad: true)
        let d1 = grad(of: c.pow(4), wrt: [c], createGraph: true)[0]
        let d2 = grad(of: d1, wrt: [c], createGraph: true)[0]
        let d3 = grad(of: d2, wrt: [c])[0]
        #expect(d1.item() == 32 && d2.item() == 48 && d3.item() == 48)
    }

    @Test func randomGeneratorIsDeterministicAndResumable() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
        let saved = a.state
        let continued = (0..<5).map { _ in a.uniform() }
        var resumed = RandomGenerator(state: saved)!
        #expect((0..<5).map { _ in resumed.uniform() } == continued)
        #expect(RandomGenerator(state: [0, 0, 0, 0]) == nil)
        var r = RandomGenerator(seed: 1)
        let u = (0..<20000).map { _ in r.uniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 } && Swift.abs(u.reduce(0, +) / 20000 - 0.5) < 0.01)
        let z = (0..<20000).map { _ in r.normal() }
        let mean = z.reduce(0, +) / 20000, variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(Swift.abs(mean) < 0.03 && Swift.abs(variance - 1) < 0.05)
        #expect(r.permutation(50).sorted() == Array(0..<50))
        #expect(RandomGenerator(seed: 1) != RandomGenerator(seed: 2))
    }
}
