import DDTestSupport
import DDAugment
import DDAutograd
import DDTensor
import Testing

/// A transform with fixed per-sample numbers for 2 images of 5×6, named for test output.
struct FixedTransform: Sendable, CustomTestStringConvertible {
    let name: String
    let transform: DSATransform
    var testDescription: String { name }

    /// Every transform, with different numbers for the two samples (and a Siamese rotate) so both the
    /// per-sample paths and the shared path are differentiated. Non-integer scale/rotation so bilinear
    /// weights are generic; a cutout square that is clipped by the border.
    static let all: [FixedTransform] = [
        .init(name: "brightness", transform: .brightness(shift: [0.3, -0.45])),
        .init(name: "saturation", transform: .saturation(factor: [1.7, 0.35])),
        .init(name: "contrast", transform: .contrast(factor: [1.4, 0.55])),
        .init(name: "crop", transform: .crop(rows: [1, -2], columns: [-1, 2])),
        .init(name: "cutout", transform: .cutout(centreRows: [1, 5], centreColumns: [4, 0], height: 3, width: 3)),
        .init(name: "flip", transform: .flip([true, false])),
        .init(name: "scale", transform: .scale(x: [1.13, 0.87], y: [0.91, 1.17])),
        .init(name: "rotate", transform: .rotate(radians: [0.21, -0.17])),
        .init(name: "siamese rotate", transform: .rotate(radians: [0.13])),
    ]
}

/// Finite-difference checks (Float64) of every DSA transform with respect to its input images.
@Suite struct DSAGradientTests {
    static let shape = [2, 2, 5, 6]

    @Test(arguments: FixedTransform.all)
    func firstOrder(_ fixed: FixedTransform) {
        let images = randomTensor(Self.shape, seed: 11)
        // Squared, so the loss is not linear in the (linear) transform's output.
        checkGradients([images]) { x in project(fixed.transform.apply(to: x[0]).square()) }
    }

    /// Gradient of <v, ∂L/∂x> with L = Σ r ⊙ tanh(conv(T(x), w)): correct only if the transform's backward
    /// rule is itself recorded and differentiable (createGraph), in x and through the conv weights.
    @Test(arguments: FixedTransform.all)
    func secondOrderThroughConv(_ fixed: FixedTransform) {
        let images = randomTensor(Self.shape, seed: 12)
        let weight = randomTensor([2, 2, 3, 3], seed: 13, low: -0.5, high: 0.5)
        checkSecondOrder([images, weight], wrt: [0]) { t in
            project(fixed.transform.apply(to: t[0]).conv2d(weight: t[1], bias: nil, stride: 1, padding: 1).tanh())
        }
    }

    /// The colour ops' means stay in the graph: with a detached mean, contrast's gradient would be
    /// factor·g instead of factor·g + (1 − factor)·mean(g), which a constant upstream gradient exposes.
    @Test func contrastGradientIncludesTheMean() {
        let images = randomTensor([1, 2, 3, 3], seed: 14).requiringGrad()
        let out = DSATransform.contrast(factor: [0.5]).apply(to: images)
        let g = grad(of: out.sum(), wrt: [images])[0].doubles
        // Σ_out ((x − m)·f + m) = f·Σx − f·n·m + n·m = Σx: the gradient is exactly 1 everywhere.
        #expect(g.allSatisfy { Swift.abs($0 - 1) < 1e-12 })
    }

    /// A whole random draw ('M' mode: every family in sequence) is differentiable end to end.
    @Test func fullChainFromADraw() throws {
        var rng = RandomGenerator(seed: 21)
        let params = DSA.draw(strategy: .full, batch: .perSample(2), geometry: DSAGeometry(height: 5, width: 6),
                              mode: .multiple, rng: &rng)
        #expect(params.transforms.count == 8)
        let images = randomTensor(Self.shape, seed: 15)
        checkGradients([images]) { x in project(DSA.apply(params, to: x[0]).square()) }
    }
}
