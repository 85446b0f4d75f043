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

/// Largest relative difference between two equally long arrays (relative to max(1, |a|, |b|)).
func maxRelativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    return zip(a, b).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($0), Swift.abs($1)) }.max() ?? 0
}

/// Compares grad(of: f(x), wrt: x) with central finite differences in Float64 for every element of every
/// input. `f` receives leaves that require gradients (so it may itself call `grad`: second-order checks).
func checkGradients(_ inputs: [Tensor], eps: Double = 1e-6, tolerance: Double = 1e-6,
                    sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    let leaves = inputs.map { Tensor($0.array.converted(to: .float64), requiresGrad: true) }
    let loss = f(leaves)
    #expect(loss.count == 1, sourceLocation: sourceLocation)
    let analytic = grad(of: loss, wrt: leaves).map(\.doubles)
    var numeric: [[Double]] = []
    for i in leaves.indices {
        let base = leaves[i].doubles
        numeric.append(base.indices.map { j in
            func evaluate(_ delta: Double) -> Double {
                var moved = base; moved[j] += delta
                var args = leaves
                args[i] = Tensor(shape: leaves[i].shape, doubles: moved, requiresGrad: true)
                return f(args).item()
            }
            return (evaluate(eps) - evaluate(-eps)) / (2 * eps)
        })
    }
    // A gradient that is zero everywhere would pass trivially; every check here has a non-zero one.
    #expect(analytic.joined().contains { Swift.abs($0) > 1e-3 }, "gradient is (nearly) zero", sourceLocation: sourceLocation)
    for i in leaves.indices {
        let error = maxRelativeError(analytic[i], numeric[i])
        #expect(error <= tolerance, "input \(i): analytic vs finite-difference error \(error)", sourceLocation: sourceLocation)
    }
}

/// Second-order check: differentiates h = Σ_k <v_k, ∂L/∂x_k> (first gradients built with createGraph) with
/// respect to all inputs, against finite differences of h. `wrt` selects which first gradients enter h.
func checkSecondOrder(_ inputs: [Tensor], wrt: [Int]? = nil, eps: Double = 1e-6, tolerance: Double = 1e-6,
                      sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor) {
    let chosen = wrt ?? Array(inputs.indices)
    checkGradients(inputs, eps: eps, tolerance: tolerance, sourceLocation: sourceLocation) { xs in
        let firsts = grad(of: f(xs), wrt: chosen.map { xs[$0] }, createGraph: true)
        var h: Tensor? = nil
        for (k, g) in firsts.enumerated() {
            let term = (g * randomTensor(g.shape, seed: 500 + UInt64(k))).sum()
            h = h.map { $0 + term } ?? term
        }
        return h ?? Tensor(0, dtype: .float64)
    }
}
