/// FLOP accounting for the benchmark workloads (docs/performance.md, "Engine").
///
/// Only the multiply-adds of convolutions and linear layers are counted (2 FLOP each); norms, pooling,
/// activations, losses and optimiser updates are O(activations) and left out, so the rate reported is
/// "useful gemm-class FLOP per second" and comparable with the sgemm rate. Each workload counts the
/// *algorithmically required* products, independent of how the engine organises them:
///
/// * conv forward `y = conv(x, W)`: 2·N·O·C·kh·kw·Ho·Wo (call it F); its input gradient and its weight
///   gradient cost F each; linear `2·N·in·out` (L) likewise.
/// * A product is counted only when its result is needed: the first conv's input gradient is not needed
///   unless the images are differentiated; no weight gradient when only the images are.
/// * Differentiating a backward recorded with createGraph: a weight-gradient node `dW = wgrad(x, dy)` has
///   adjoints `igrad(dy, V)` (w.r.t. x) and `conv(x, V)` (w.r.t. dy), F each; an input-gradient node
///   `dx = igrad(dy, W)` has adjoints `conv(V, W)` (w.r.t. dy) and `wgrad(V, dy)` (w.r.t. W), F each.
struct ConvNet3Cost {
    /// Forward FLOP per image of each conv layer, then the classifier (ConvNet-3, width 128, 1×28×28 input
    /// with padding 3: conv outputs 32×32, 16×16, 8×8; embedding 128·4·4 = 2048; 10 classes).
    let conv: [Double]
    let linear: Double

    init(width: Int = 128, channels: Int = 1, classes: Int = 10) {
        let w = Double(width)
        conv = [2 * w * Double(channels) * 9 * 32 * 32, 2 * w * w * 9 * 16 * 16, 2 * w * w * 9 * 8 * 8]
        linear = 2 * w * 16 * Double(classes)
    }

    var forward: Double { conv.reduce(0, +) + linear }
    var embedForward: Double { conv.reduce(0, +) }

    /// Forward + backward to every parameter (not to the images): ordinary training, DC's real gradient.
    var trainingPass: Double {
        // forward F, weight gradients F, input gradients for every layer but the first
        forward + forward + (forward - conv[0])
    }

    /// DC synthetic side: forward, backward to the weights recorded with createGraph, then that
    /// backward differentiated with respect to the images (no parameter gradients needed).
    var gradientMatchingSyntheticPass: Double {
        var total = 0.0
        for (index, f) in (conv + [linear]).enumerated() {
            let first = index == 0
            let forwardAndBackward = f + f + (first ? 0 : f)      // y, dW, dx (dx skipped for the first conv)
            let secondOrder = 2 * f                                // adjoints of dW w.r.t. x and dy
                + (first ? 0 : f)                                  // adjoint of dx w.r.t. dy
                + f                                                // adjoint of y w.r.t. x (reaches the images)
            total += forwardAndBackward + secondOrder
        }
        return total
    }

    /// DM synthetic side: embed, then backward to the images only.
    var embeddingWithImageGradient: Double { 2 * embedForward }

    /// One unrolled MTT step: forward, gradient w.r.t. θ recorded with createGraph, and its share of the
    /// final backward to θ, the images and the step size (every adjoint above is needed, since θ_i
    /// depends on the images through the earlier steps).
    var unrolledStep: Double {
        var total = 0.0
        for (index, f) in (conv + [linear]).enumerated() {
            let first = index == 0
            let forwardAndBackward = f + f + (first ? 0 : f)
            let secondOrder = 2 * f                               // dW node: w.r.t. x and dy
                + (first ? 0 : 2 * f)                             // dx node: w.r.t. dy and W
                + 2 * f                                           // forward node: w.r.t. x and W
            total += forwardAndBackward + secondOrder
        }
        return total
    }
}

/// Total FLOP of one timed iteration of each workload.
enum WorkloadCost {
    static let net = ConvNet3Cost()

    static func train(batch: Int) -> Double { Double(batch) * net.trainingPass }
    static func infer(batch: Int) -> Double { Double(batch) * net.forward }
    static func dc(classes: Int, real: Int, ipc: Int) -> Double {
        Double(classes) * (Double(real) * net.trainingPass + Double(ipc) * net.gradientMatchingSyntheticPass)
    }
    static func dm(classes: Int, real: Int, ipc: Int) -> Double {
        Double(classes) * (Double(real) * net.embedForward + Double(ipc) * net.embeddingWithImageGradient)
    }
    static func mtt(steps: Int, batch: Int) -> Double { Double(steps * batch) * net.unrolledStep }
    static func sgemm(m: Int, n: Int, k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }
}
