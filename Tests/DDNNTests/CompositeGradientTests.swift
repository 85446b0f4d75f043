import DDTestSupport
import DDAutograd
import DDNN
import DDTensor
import Testing

/// The distillation objectives differentiated end to end through a small ConvNet (width 4, depth 2,
/// 1-channel 10×10 images), each against Float64 finite differences.
@Suite struct CompositeGradientTests {
    static let syntheticLabels = [0, 1, 2]
    static let realLabels = [0, 1, 2, 0, 1, 2]

    static func setup() throws -> (Network, [Tensor], real: Tensor, synthetic: Tensor) {
        let net = try network("convnet-w4-d2", size: 10)
        return (net, net.initialParameters(seed: 61, dtype: .float64),
                randomTensor([6, 1, 10, 10], seed: 62), randomTensor([3, 1, 10, 10], seed: 63).requiringGrad())
    }

    /// DC's layer-wise distance (reference methods/dc-dsa.md §3): per output row of every weight tensor of
    /// rank > 1, 1 − cos; 1-D tensors (biases, norm γ/β) contribute nothing.
    static func matchingDistance(_ synthetic: [Tensor], _ real: [Tensor]) -> Tensor {
        var total = Tensor(0, dtype: .float64)
        for (a, b) in zip(synthetic, real) where a.rank > 1 {
            let rows = a.shape[0]
            let ra = a.reshaped([rows, -1]), rb = b.reshaped([rows, -1])
            let dot = (ra * rb).sum(axes: [1])
            let norms = ra.square().sum(axes: [1]).sqrt() * rb.square().sum(axes: [1]).sqrt()
            total = total + (1 - dot / (norms + 1e-6)).sum()
        }
        return total
    }

    /// DC / DSA outer objective: gradient on real images (constant) vs gradient on synthetic images (built
    /// with createGraph), differentiated with respect to the synthetic images.
    @Test func gradientMatchingLossWithRespectToSyntheticImages() throws {
        let (net, params, real, synthetic) = try Self.setup()
        let realGradients = grad(of: net.forward(real, parameters: params).crossEntropy(labels: Self.realLabels),
                                 wrt: params)
        func loss(_ x: Tensor) -> Tensor {
            let syntheticGradients = grad(of: net.forward(x, parameters: params).crossEntropy(labels: Self.syntheticLabels),
                                          wrt: params, createGraph: true)
            return Self.matchingDistance(syntheticGradients, realGradients)
        }
        let analytic = grad(of: loss(synthetic), wrt: [synthetic])
        #expect(analytic[0].doubles.contains { $0 != 0 })
        let error = finiteDifferenceError([synthetic], analytic: analytic) { loss($0[0]).item() }
        #expect(error < 1e-6)
    }

    /// MTT inner loop: 3 unrolled SGD steps on the flat parameter vector with a learnable step size α,
    /// normalised distance to a target, differentiated with respect to the images and α.
    @Test func unrolledSGDWithRespectToImagesAndStepSize() throws {
        let (net, params, _, synthetic) = try Self.setup()
        let start = flatten(params).detach()
        let target = start + randomTensor(start.shape, seed: 64) * 0.05
        let stepSize = Tensor(shape: [1], doubles: [0.05], requiresGrad: true)
        func loss(_ x: Tensor, _ alpha: Tensor) -> Tensor {
            var theta = start.requiringGrad()
            for step in 0..<3 {
                let batch = x.sliced(axis: 0, step % 2 ..< step % 2 + 2)
                let labels = Array(Self.syntheticLabels[step % 2 ..< step % 2 + 2])
                let inner = net.forward(batch, parameters: net.unflatten(theta)).crossEntropy(labels: labels)
                theta = theta - alpha * grad(of: inner, wrt: [theta], createGraph: true)[0]
            }
            return (theta - target).square().sum() / (start - target).square().sum()
        }
        let analytic = grad(of: loss(synthetic, stepSize), wrt: [synthetic, stepSize])
        #expect(analytic.allSatisfy { $0.doubles.contains { $0 != 0 } })
        let error = finiteDifferenceError([synthetic, stepSize], analytic: analytic) { loss($0[0], $0[1]).item() }
        #expect(error < 1e-6)
    }

    /// DM: squared distance between the mean embeddings of real and synthetic images of one class.
    @Test func distributionMatchingLossWithRespectToSyntheticImages() throws {
        let (net, params, real, synthetic) = try Self.setup()
        let frozen = params.map { $0.detach() }
        let realMean = withNoGrad { net.embed(real, parameters: frozen).mean(axes: [0]) }
        func loss(_ x: Tensor) -> Tensor {
            (realMean - net.embed(x, parameters: frozen).mean(axes: [0])).square().sum()
        }
        let analytic = grad(of: loss(synthetic), wrt: [synthetic])
        #expect(analytic[0].doubles.contains { $0 != 0 })
        let error = finiteDifferenceError([synthetic], analytic: analytic) { loss($0[0]).item() }
        #expect(error < 1e-6)
    }
}
