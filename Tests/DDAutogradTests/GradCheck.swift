import DDAutograd
import DDTensor
import Testing

/// Deterministic Float64 test tensor with entries in [low, high).
func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, dtype: .float64, rng: &rng)
}

/// A scalar from a tensor-valued output: Σ r ⊙ out with fixed random r, so every output element matters.
func project(_ out: Tensor, seed: UInt64 = 99) -> Tensor {
    (out * randomTensor(out.shape, seed: seed)).sum()
}

/// Compares grad(of: f(x), wrt: x) with central finite differences in Float64, for every element of every
/// input. `f` receives leaf tensors that require gradients (so it may itself call `grad`, which is how
/// second-order checks are built).
func checkGradients(_ inputs: [Tensor], eps: Double = 1e-6, tolerance: Double = 1e-6, createGraph: Bool = false,
                    sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    let leaves = inputs.map { Tensor($0.array.converted(to: .float64), requiresGrad: true) }
    let loss = f(leaves)
    #expect(loss.count == 1, sourceLocation: sourceLocation)
    let analytic = grad(of: loss, wrt: leaves, createGraph: createGraph).map(\.doubles)
    var worst = 0.0
    for i in leaves.indices {
        let base = leaves[i].doubles
        for j in base.indices {
            func evaluate(_ delta: Double) -> Double {
                var moved = base; moved[j] += delta
                var args = leaves
                args[i] = Tensor(shape: leaves[i].shape, doubles: moved, requiresGrad: true)
                return f(args).item()
            }
            let numeric = (evaluate(eps) - evaluate(-eps)) / (2 * eps)
            let a = analytic[i][j]
            let error = Swift.abs(a - numeric) / Swift.max(1, Swift.abs(a), Swift.abs(numeric))
            worst = Swift.max(worst, error)
            if error > tolerance {
                Issue.record("input \(i) element \(j): analytic \(a) vs numeric \(numeric)", sourceLocation: sourceLocation)
                return
            }
        }
    }
    #expect(worst <= tolerance, sourceLocation: sourceLocation)
}

/// Second-order check: differentiates h(x) = Σ_k <v_k, ∂L/∂x_k> (first gradients built with createGraph)
/// with respect to all inputs, against finite differences of h. `wrt` selects which first gradients enter h.
func checkSecondOrder(_ inputs: [Tensor], wrt: [Int]? = nil, eps: Double = 1e-6, tolerance: Double = 1e-6,
                      sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor) {
    let chosen = wrt ?? Array(inputs.indices)
    // The recorded (createGraph) backward path must give the same first gradients as finite differences.
    checkGradients(inputs, eps: eps, tolerance: tolerance, createGraph: true, sourceLocation: sourceLocation, f)
    checkGradients(inputs, eps: eps, tolerance: tolerance, sourceLocation: sourceLocation) { xs in
        let firsts = grad(of: f(xs), wrt: chosen.map { xs[$0] }, createGraph: true)
        var h: Tensor? = nil
        for (k, g) in firsts.enumerated() {
            let term = (g * randomTensor(g.shape, seed: 500 + UInt64(k))).sum()
            h = h.map { $0 + term } ?? term
        }
        return h!
    }
}
