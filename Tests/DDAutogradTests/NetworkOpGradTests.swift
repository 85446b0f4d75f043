import DDTestSupport
import DDAutograd
import DDTensor
import Testing

@Suite struct NetworkOpGradients {
    @Test func conv2dFirstOrder() {
        let x = randomTensor([2, 2, 5, 4], seed: 21), w = randomTensor([3, 2, 3, 2], seed: 22)
        let b = randomTensor([3], seed: 23)
        checkGradients([x, w, b]) { t in project(t[0].conv2d(weight: t[1], bias: t[2], stride: (2, 1), padding: (1, 2))) }
        checkGradients([x, w]) { t in project(t[0].conv2d(weight: t[1], stride: 1, padding: 0)) }
    }

    @Test func conv2dSecondOrder() {
        let x = randomTensor([2, 2, 5, 5], seed: 24), w = randomTensor([2, 2, 3, 3], seed: 25)
        let b = randomTensor([2], seed: 26)
        // Gradient w.r.t. the weights (what gradient matching differentiates), then w.r.t. everything.
        checkSecondOrder([x, w, b], wrt: [1, 2]) { t in
            project(t[0].conv2d(weight: t[1], bias: t[2], stride: 2, padding: 1).tanh())
        }
        checkSecondOrder([x, w], wrt: [0]) { t in project(t[0].conv2d(weight: t[1], stride: 1, padding: 1).square()) }
    }

    @Test func convAdjointOpsFirstOrder() {
        let g = randomTensor([2, 3, 3, 2], seed: 27), w = randomTensor([3, 2, 3, 3], seed: 28)
        let x = randomTensor([2, 2, 5, 4], seed: 29)
        checkGradients([g, w]) { t in project(t[0].conv2dInputGrad(weight: t[1], inputShape: [2, 2, 5, 4], stride: (2, 2), padding: (1, 1))) }
        checkGradients([x, g]) { t in project(t[0].conv2dWeightGrad(gradOutput: t[1], weightShape: [3, 2, 3, 3], stride: (2, 2), padding: (1, 1))) }
    }

    @Test func linearAndMatmul() {
        let x = randomTensor([3, 4], seed: 31), w = randomTensor([2, 4], seed: 32), b = randomTensor([2], seed: 33)
        checkGradients([x, w, b]) { t in project(t[0].linear(weight: t[1], bias: t[2])) }
        checkSecondOrder([x, w, b], wrt: [1, 2]) { t in project(t[0].linear(weight: t[1], bias: t[2]).sigmoid()) }
        let a = randomTensor([2, 3, 4], seed: 34), c = randomTensor([2, 3, 5], seed: 35), d = randomTensor([4, 3], seed: 36)
        checkGradients([a, c]) { t in project(t[0].matmul(t[1], transposeA: true)) }
        checkGradients([a, d]) { t in project(t[0].matmul(t[1], transposeA: true, transposeB: true)) }
        checkGradients([d, a]) { t in project(t[0].matmul(t[1])) }
        checkSecondOrder([a, c]) { t in project(t[1].matmul(t[0], transposeA: true).square()) }
        let single = randomTensor([1, 3, 4], seed: 37)
        checkGradients([single, c]) { t in project(t[0].matmul(t[1], transposeA: true)) }
        // Batched product against per-batch 2-D products.
        let batched = a.matmul(c, transposeA: true).doubles
        let first = a.sliced(axis: 0, 0..<1).reshaped([3, 4]).matmul(c.sliced(axis: 0, 0..<1).reshaped([3, 5]), transposeA: true)
        #expect(zip(batched.prefix(20), first.doubles).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
        #expect(Tensor(shape: [0], scalars: []).count == 0)
    }

    @Test func pooling() {
        let x = randomTensor([2, 2, 4, 6], seed: 41)
        checkGradients([x]) { t in project(t[0].avgPool2d(kernel: 2)) }
        checkGradients([x]) { t in project(t[0].avgPool2d(kernel: 3, stride: 1)) }
        checkGradients([x]) { t in project(t[0].maxPool2d(kernel: 2)) }
        let w = randomTensor([2, 2, 3, 3], seed: 42)
        checkSecondOrder([x, w], wrt: [1]) { t in project(t[0].conv2d(weight: t[1], stride: 1, padding: 1).avgPool2d(kernel: 2).square()) }
        checkSecondOrder([x, w], wrt: [1]) { t in project(t[0].conv2d(weight: t[1], stride: 1, padding: 1).maxPool2d(kernel: 2).square()) }
        let y = Tensor(shape: [1, 1, 2, 4], doubles: [1, 5, 2, 0, 3, 4, 7, 1])
        #expect(y.maxPool2d(kernel: 2).doubles == [5, 7])
        #expect(y.avgPool2d(kernel: 2).doubles == [3.25, 2.5])
    }

    @Test func groupNorm() {
        let x = randomTensor([2, 4, 3, 3], seed: 51), w = randomTensor([4], seed: 52), b = randomTensor([4], seed: 53)
        checkGradients([x, w, b]) { t in project(t[0].groupNorm(groups: 2, weight: t[1], bias: t[2])) }
        checkSecondOrder([x, w, b]) { t in project(t[0].groupNorm(groups: 4, weight: t[1], bias: t[2]).tanh()) }
        // Third order: the createGraph gradient is itself differentiated twice (fused ops' composite VJPs).
        checkSecondOrder([x, w, b]) { t in
            let g = grad(of: project(t[0].groupNorm(groups: 2, weight: t[1], bias: t[2]).tanh()), wrt: [t[0], t[1]], createGraph: true)
            return project(g[0], seed: 7) + project(g[1], seed: 8)
        }
        let y = x.groupNorm(groups: 4, weight: nil, bias: nil).doubles
        let plane = Array(y[0..<9]), mean = plane.reduce(0, +) / 9
        let variance = plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 9
        #expect(Swift.abs(mean) < 1e-12 && Swift.abs(variance - 1) < 1e-3)
    }

    @Test func batchNorm() {
        let x = randomTensor([3, 2, 2, 2], seed: 61), w = randomTensor([2], seed: 62), b = randomTensor([2], seed: 63)
        checkGradients([x, w, b]) { t in project(t[0].batchNorm(weight: t[1], bias: t[2], statistics: nil, training: true)) }
        checkSecondOrder([x, w, b]) { t in
            project(t[0].batchNorm(weight: t[1], bias: t[2], statistics: nil, training: true).sigmoid())
        }
        checkSecondOrder([x, w, b]) { t in
            let g = grad(of: project(t[0].batchNorm(weight: t[1], bias: t[2], statistics: nil, training: true).sigmoid()),
                         wrt: [t[0], t[1]], createGraph: true)
            return project(g[0], seed: 7) + project(g[1], seed: 8)
        }
        let stats = BatchNormStatistics(channels: 2, momentum: 0.1, dtype: .float64)
        _ = x.batchNorm(weight: nil, bias: nil, statistics: stats, training: true)
        let v = x.doubles, c0 = (0..<3).flatMap { n in (0..<4).map { v[n * 8 + $0] } }
        let m0 = c0.reduce(0, +) / 12, var0 = c0.map { ($0 - m0) * ($0 - m0) }.reduce(0, +) / 11
        #expect(Swift.abs(stats.mean.doubles[0] - 0.1 * m0) < 1e-12)
        #expect(Swift.abs(stats.variance.doubles[0] - (0.9 + 0.1 * var0)) < 1e-12)
        checkGradients([x, w, b]) { t in project(t[0].batchNorm(weight: t[1], bias: t[2], statistics: stats, training: false)) }
    }

    @Test func losses() {
        let logits = randomTensor([3, 4], seed: 71, low: -2, high: 2)
        let probs = randomTensor([3, 4], seed: 72, low: 0.1, high: 1).softmax(axis: 1)
        checkGradients([logits]) { t in t[0].crossEntropy(labels: [2, 0, 3]) }
        checkGradients([logits, probs]) { t in t[0].crossEntropy(probabilities: t[1]) }
        checkSecondOrder([logits]) { t in t[0].crossEntropy(labels: [1, 3, 0]) }
        checkSecondOrder([logits, probs]) { t in t[0].crossEntropy(probabilities: t[1]) }
        let w = randomTensor([4, 4], seed: 73)
        checkSecondOrder([logits, w], wrt: [1]) { t in t[0].matmul(t[1]).crossEntropy(labels: [1, 3, 0]) }
        checkGradients([logits, probs]) { t in t[0].mse(t[1]) }
        checkGradients([logits, probs]) { t in t[0].logSoftmax(axis: 1).klDivergence(target: t[1]) }
        checkGradients([logits, probs]) { t in t[0].cosineDistance(t[1]) }
        // Hard-label cross-entropy equals soft cross-entropy with one-hot targets.
        let oneHot = Tensor(shape: [3, 4], doubles: [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
        let hard = logits.crossEntropy(labels: [2, 0, 3]).item(), soft = logits.crossEntropy(probabilities: oneHot).item()
        #expect(Swift.abs(hard - soft) < 1e-12)
        let p = logits.softmax(axis: 1)
        #expect(Swift.abs(p.log().klDivergence(target: p).item()) < 1e-12)
    }

    @Test func gridSampling() {
        let img = randomTensor([2, 2, 4, 5], seed: 81)
        let theta = Tensor(shape: [2, 2, 3], doubles: [0.93, -0.21, 0.053, 0.157, 1.13, -0.117, 1.21, 0.11, 0.023, -0.097, 0.81, 0.071])
        for align in [true, false] {
            checkGradients([img, theta]) { t in project(t[0].gridSample(grid: t[1].affineGrid(height: 3, width: 4, alignCorners: align), alignCorners: align)) }
        }
        checkSecondOrder([img, theta]) { t in
            project(t[0].gridSample(grid: t[1].affineGrid(height: 4, width: 5)).square())
        }
        // The identity transform reproduces the image exactly with align_corners = true.
        let identity = Tensor(shape: [2, 2, 3], doubles: [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0])
        let same = img.gridSample(grid: identity.affineGrid(height: 4, width: 5)).doubles
        #expect(zip(same, img.doubles).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
        let sameFalse = img.gridSample(grid: identity.affineGrid(height: 4, width: 5, alignCorners: false), alignCorners: false).doubles
        #expect(zip(sameFalse, img.doubles).allSatisfy { Swift.abs($0 - $1) < 1e-12 })
    }
}
