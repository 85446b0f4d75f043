import DDTestSupport
import DDAutograd
import DDNN
import DDTensor
import Testing

/// Gradient checks of whole networks in Float64: every element of the input and of every parameter.
@Suite struct NetworkGradientCheckTests {
    static let labels = [1, 4]

    static func loss(_ net: Network, _ x: Tensor, _ params: [Tensor]) -> Tensor {
        net.forward(x, parameters: params).crossEntropy(labels: labels)
    }

    /// The brief's tiny ConvNet (width 4, depth 2, GroupNorm(C,C), ReLU, average pooling) on a 1-channel
    /// 10×10 input (padding 3 → 14×14 → 7×7 → 3×3).
    @Test func tinyConvNetFirstOrder() throws {
        let net = try network("convnet-w4-d2", size: 10)
        let params = net.initialParameters(seed: 21, dtype: .float64)
        let x = randomTensor([2, 1, 10, 10], seed: 22).requiringGrad()
        let analytic = grad(of: Self.loss(net, x, params), wrt: [x] + params)
        #expect(analytic.allSatisfy { g in g.doubles.contains { $0 != 0 } }, "every gradient is exercised")
        let error = finiteDifferenceError([x] + params, analytic: analytic, perTensor: 40) { args in
            Self.loss(net, args[0], Array(args.dropFirst())).item()
        }
        #expect(error < 1e-6)
    }

    /// Gradient matching differentiates parameter gradients: h(x) = Σ_k <v_k, ∂L/∂θ_k(x)>, with ∂L/∂θ built
    /// with createGraph, differentiated with respect to the input images.
    @Test func tinyConvNetSecondOrderThroughParameterGradients() throws {
        let net = try network("convnet-w4-d2", size: 10)
        let params = net.initialParameters(seed: 31, dtype: .float64)
        let directions = params.enumerated().map { randomTensor($1.shape, seed: 40 + UInt64($0)) }
        func h(_ x: Tensor) -> Tensor {
            let firsts = grad(of: Self.loss(net, x, params), wrt: params, createGraph: true)
            return zip(firsts, directions).map { ($0 * $1).sum() }.reduce(Tensor(0, dtype: .float64), +)
        }
        let x = randomTensor([2, 1, 10, 10], seed: 32).requiringGrad()
        let analytic = grad(of: h(x), wrt: [x])
        #expect(analytic[0].doubles.contains { $0 != 0 })
        let error = finiteDifferenceError([x], analytic: analytic) { args in
            h(args[0].requiringGrad()).item()
        }
        #expect(error < 1e-6)
    }

    /// Variants along the same path (batch norm in training mode, layer norm, group norm, max pooling,
    /// smooth activations, no norm), first order with respect to input and parameters. (Max pooling is not
    /// combined with LayerNorm: the padding-3 border of the first conv output is exactly the bias, so max
    /// windows there hold ties, and moving one per-element γ breaks them: a kink, not a bug.)
    @Test(arguments: ["convnet-w4-d2-bn-swish", "convnet-w4-d2-ln", "convnet-w4-d2-maxpool-leakyrelu",
                      "convnet-w4-d2-gn-sigmoid",
                      "convnet-w4-d2-nn-leakyrelu", "lenet"])
    func variantsFirstOrder(name: String) throws {
        let size = name == "lenet" ? 12 : 8
        let net = try network(name, size: size)
        let params = net.initialParameters(seed: 51, dtype: .float64)
        let x = randomTensor([2, 1, size, size], seed: 52).requiringGrad()
        let analytic = grad(of: Self.loss(net, x, params), wrt: [x] + params)
        let error = finiteDifferenceError([x] + params, analytic: analytic) { args in
            Self.loss(net, args[0], Array(args.dropFirst())).item()
        }
        #expect(error < 1e-6, "\(name)")
    }
}

/// The checker itself must notice a wrong gradient: one element off by 0.5, with coordinate sampling off
/// (`perTensor: 0`), so only the random directions can see it.
@Test func finiteDifferenceCheckerDetectsWrongGradients() throws {
    let net = try network("convnet-w4-d2", size: 10)
    let params = net.initialParameters(seed: 71, dtype: .float64)
    let x = randomTensor([2, 1, 10, 10], seed: 72).requiringGrad()
    let loss = { (xs: [Tensor]) in net.forward(xs[0], parameters: params).crossEntropy(labels: [0, 1]).item() }
    let g = grad(of: net.forward(x, parameters: params).crossEntropy(labels: [0, 1]), wrt: [x])[0]
    #expect(finiteDifferenceError([x], analytic: [g], loss) < 1e-6)
    var values = g.doubles
    let largest = try #require(values.indices.max { Swift.abs(values[$0]) < Swift.abs(values[$1]) })
    values[largest] += 0.5
    #expect(finiteDifferenceError([x], analytic: [Tensor(shape: g.shape, doubles: values)], perTensor: 0, loss) > 1e-4)
}
