import DDTestSupport
import DDAutograd
import DDNN
import DDTensor
import Testing

/// Running statistics of ConvNet-BN: updated only in training mode, used as constants in evaluation mode.
@Suite struct BatchNormNetworkTests {
    /// convnet-d1-w3-bn-nopool: conv → BatchNorm → ReLU → flatten, on 2-channel 5×5 input.
    static func setup() throws -> (Network, [Tensor], Tensor) {
        let net = try network("convnet-d1-w3-bn-nopool", channels: 2, size: 5)
        return (net, net.initialParameters(seed: 8, dtype: .float64), randomTensor([4, 2, 5, 5], seed: 9))
    }

    /// Per-channel mean and unbiased variance of [N, C, H, W] values, by plain loops.
    static func channelStatistics(_ y: Tensor) -> (mean: [Double], variance: [Double]) {
        let (n, c, hw) = (y.shape[0], y.shape[1], y.shape[2] * y.shape[3])
        let v = y.doubles
        var means = [Double](), variances = [Double]()
        for ch in 0..<c {
            let values = (0..<n).flatMap { s in (0..<hw).map { v[(s * c + ch) * hw + $0] } }
            let mean = values.reduce(0, +) / Double(values.count)
            means.append(mean)
            variances.append(values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1))
        }
        return (means, variances)
    }

    @Test func trainingUpdatesRunningStatisticsWithMomentum() throws {
        let (net, params, x) = try Self.setup()
        let buffers = net.makeBuffers(dtype: .float64)
        #expect(buffers.count == 1 && buffers[0].mean.doubles == [0, 0, 0] && buffers[0].variance.doubles == [1, 1, 1])
        _ = net.forward(x, parameters: params, buffers: buffers, training: true)
        let conv = x.conv2d(weight: params[0], bias: params[1], stride: 1, padding: 1)
        let (mean, variance) = Self.channelStatistics(conv)
        #expect(maxDifference(buffers[0].mean.doubles, mean.map { 0.1 * $0 }) < 1e-12)
        #expect(maxDifference(buffers[0].variance.doubles, variance.map { 0.9 + 0.1 * $0 }) < 1e-12)
        let second = net.forward(x, parameters: params, buffers: buffers, training: true)
        #expect(maxDifference(buffers[0].mean.doubles, mean.map { 0.19 * $0 }) < 1e-12, "second update compounds")
        #expect(second.shape == [4, 10])
    }

    @Test func evaluationUsesRunningStatisticsAndLeavesThemAlone() throws {
        let (net, params, x) = try Self.setup()
        let buffers = net.makeBuffers(dtype: .float64)
        buffers[0].mean = NDArray(shape: [3], doubles: [0.2, -0.1, 0.05])
        buffers[0].variance = NDArray(shape: [3], doubles: [0.5, 2, 1.5])
        let embedding = net.embed(x, parameters: params, buffers: buffers, training: false).doubles
        #expect(buffers[0].mean.doubles == [0.2, -0.1, 0.05] && buffers[0].variance.doubles == [0.5, 2, 1.5])
        // Expected: ReLU((conv − running mean)/√(running var + 1e-5)) with γ = 1, β = 0, element by element.
        let conv = x.conv2d(weight: params[0], bias: params[1], stride: 1, padding: 1).doubles
        let expected = conv.enumerated().map { i, v in
            let ch = (i / 25) % 3
            return Swift.max(0, (v - [0.2, -0.1, 0.05][ch]) / ([0.5, 2, 1.5][ch] + 1e-5).squareRoot())
        }
        #expect(maxDifference(embedding, expected) < 1e-12)
        // Evaluation output of a sample does not depend on the rest of the batch.
        let alone = net.embed(x.sliced(axis: 0, 0..<1), parameters: params, buffers: buffers, training: false).doubles
        #expect(maxDifference(alone, Array(embedding.prefix(alone.count))) < 1e-12)
        let trainingAlone = net.embed(x.sliced(axis: 0, 0..<2), parameters: params, training: true).doubles
        let trainingAll = net.embed(x, parameters: params, training: true).doubles
        #expect(maxDifference(trainingAlone, Array(trainingAll.prefix(trainingAlone.count))) > 1e-3,
                "training mode uses batch statistics")
    }
}
