import DDAutograd
import DDKernels
import DDNN
import DDTensor

/// Guard against timing a wrong fast path: ConvNet-3 logits and gradients on a fixed batch must agree
/// between the engine's Winograd convolutions and its plain im2col + gemm path (the reference the kernel
/// tests check against direct loops).
///
/// Rounding differences of ~1e-7 can flip a ReLU whose input is within rounding of zero; the gradient then
/// jumps for that sample (measured: relative Δ of the batch's gradients 1e-7 for most seeds, 2e-4–1e-3 for
/// some, on either OpenBLAS kernel set). So the gradients are compared per sample, by the median, and the
/// summed weight gradient with a tolerance a single flip stays inside; a broken path is off by O(1) everywhere.
enum ConvolutionCheck {
    struct Result {
        let maxLogitDifference: Double
        let maxLogit: Double
        /// Median over the samples of |Δ∂L/∂x| / |∂L/∂x| for each sample's input gradient.
        let medianInputGradientDifference: Double
        let maxInputGradientDifference: Double
        /// |Δ∂L/∂W| / |∂L/∂W| for the second convolution's weights.
        let weightGradientDifference: Double
        var passed: Bool {
            maxLogitDifference <= 1e-3 * max(1, maxLogit) && medianInputGradientDifference <= 1e-4
                && weightGradientDifference <= 1e-2
        }
    }

    static func run(net: Network, pool: ImagePool, seed: UInt64, batch: Int = 64) -> Result {
        var rng = RandomGenerator(seed: seed &+ 77)
        let (images, labels) = pool.mixedBatch(count: batch, rng: &rng)
        let parameters = net.initialParameters(seed: seed &+ 78)
        func evaluate(winograd: Bool) -> (logits: [Float], input: [Float], weight: [Float]) {
            let saved = Winograd.enabled
            Winograd.enabled = winograd
            defer { Winograd.enabled = saved }
            let x = images.requiringGrad()
            let logits = net.forward(x, parameters: parameters)
            let gradient = grad(of: logits.crossEntropy(labels: labels), wrt: [x, parameters[2]])
            return (logits.scalars, gradient[0].scalars, gradient[1].scalars)
        }
        let fast = evaluate(winograd: true)
        let plain = evaluate(winograd: false)
        let logitDifference = zip(fast.logits, plain.logits).map { Double(abs($0 - $1)) }.max() ?? .infinity
        let perSample = plain.input.count / max(batch, 1)
        let inputDifferences = (0..<batch).map { n in
            let range = (n * perSample)..<((n + 1) * perSample)
            return relativeDifference(fast.input[range], plain.input[range])
        }.sorted()
        return Result(maxLogitDifference: logitDifference, maxLogit: Double(plain.logits.map(abs).max() ?? 0),
                      medianInputGradientDifference: inputDifferences.isEmpty ? .infinity : inputDifferences[batch / 2],
                      maxInputGradientDifference: inputDifferences.last ?? .infinity,
                      weightGradientDifference: relativeDifference(fast.weight[...], plain.weight[...]))
    }

    /// |a − b| / |b| in the Euclidean norm, in Float64.
    static func relativeDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        let difference = zip(a, b).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
        let norm = b.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        return difference / max(norm, 1e-30)
    }
}
