import DDAutograd
import DDKernels
import DDNN
import DDTensor

/// Guard against timing a wrong fast path: ConvNet-3 logits and input gradients on a fixed batch must agree
/// between the engine's Winograd convolutions and its plain im2col + gemm path (the reference the kernel
/// tests check against direct loops).
enum ConvolutionCheck {
    struct Result {
        let maxLogitDifference: Double
        let maxLogit: Double
        let relativeGradientDifference: Double
        var passed: Bool { maxLogitDifference <= 1e-3 * max(1, maxLogit) && relativeGradientDifference <= 1e-3 }
    }

    static func run(net: Network, pool: ImagePool, seed: UInt64, batch: Int = 64) -> Result {
        var rng = RandomGenerator(seed: seed &+ 77)
        let (images, labels) = pool.mixedBatch(count: batch, rng: &rng)
        let parameters = net.initialParameters(seed: seed &+ 78)
        func evaluate(winograd: Bool) -> ([Float], [Float]) {
            let saved = Winograd.enabled
            Winograd.enabled = winograd
            defer { Winograd.enabled = saved }
            let x = images.requiringGrad()
            let logits = net.forward(x, parameters: parameters)
            let gradient = grad(of: logits.crossEntropy(labels: labels), wrt: [x, parameters[2]])
            return (logits.scalars, gradient[0].scalars + gradient[1].scalars)
        }
        let (fastLogits, fastGradient) = evaluate(winograd: true)
        let (plainLogits, plainGradient) = evaluate(winograd: false)
        let logitDifference = zip(fastLogits, plainLogits).map { Double(abs($0 - $1)) }.max() ?? .infinity
        let gradientDifference = zip(fastGradient, plainGradient).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +).squareRoot()
        let gradientNorm = plainGradient.map { Double($0 * $0) }.reduce(0, +).squareRoot()
        return Result(maxLogitDifference: logitDifference, maxLogit: Double(plainLogits.map(abs).max() ?? 0),
                      relativeGradientDifference: gradientDifference / max(gradientNorm, 1e-30))
    }
}
