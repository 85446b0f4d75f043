import DDAutograd
import DDTensor
import Testing

// The one finite-difference gradient checker every test target uses (Float64 throughout).

/// Deterministic test tensor with entries in [low, high).
public func randomTensor(_ shape: [Int], seed: UInt64, low: Double = -1, high: Double = 1,
                         dtype: DType = .float64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, dtype: dtype, rng: &rng)
}

/// A scalar from a tensor-valued output: Σ r ⊙ out with fixed random r, so every output element matters.
public func project(_ out: Tensor, seed: UInt64 = 99) -> Tensor {
    (out * randomTensor(out.shape, seed: seed)).sum()
}

/// |a − b| / max(1, |a|, |b|): absolute near zero, relative for large values.
public func relativeError(_ a: Double, _ b: Double) -> Double {
    Swift.abs(a - b) / Swift.max(1, Swift.abs(a), Swift.abs(b))
}

/// Largest relative error between two equally long arrays.
public func maxRelativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    return zip(a, b).map { relativeError($0, $1) }.max() ?? 0
}

/// Compares grad(of: f(x), wrt: x) with central finite differences for every element of every input.
/// `f` receives leaves that require gradients (so it may itself call `grad`: second-order checks).
/// With `createGraph` the recorded backward path is the one checked. A gradient that is zero everywhere
/// would pass trivially, so one is reported unless `allowZero`.
public func checkGradients(_ inputs: [Tensor], eps: Double = 1e-6, tolerance: Double = 1e-6,
                           createGraph: Bool = false, allowZero: Bool = false,
                           sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    let leaves = inputs.map { Tensor($0.array.converted(to: .float64), requiresGrad: true) }
    let loss = f(leaves)
    #expect(loss.count == 1, sourceLocation: sourceLocation)
    let analytic = grad(of: loss, wrt: leaves, createGraph: createGraph).map(\.doubles)
    if !allowZero {
        #expect(analytic.joined().contains { Swift.abs($0) > 1e-9 }, "gradient is zero everywhere",
                sourceLocation: sourceLocation)
    }
    for i in leaves.indices {
        let base = leaves[i].doubles
        for j in base.indices {
            func evaluate(_ delta: Double) -> Double {
                var moved = base
                moved[j] += delta
                var args = leaves
                args[i] = Tensor(shape: leaves[i].shape, doubles: moved, requiresGrad: true)
                return f(args).item()
            }
            let numeric = (evaluate(eps) - evaluate(-eps)) / (2 * eps)
            let error = relativeError(analytic[i][j], numeric)
            if error > tolerance {
                Issue.record("input \(i) element \(j): analytic \(analytic[i][j]) vs numeric \(numeric)",
                             sourceLocation: sourceLocation)
                return
            }
        }
    }
}

/// Second-order check: differentiates h(x) = Σ_k <v_k, ∂L/∂x_k> (first gradients built with createGraph)
/// with respect to all inputs, against finite differences of h. `wrt` selects which first gradients enter h.
public func checkSecondOrder(_ inputs: [Tensor], wrt: [Int]? = nil, eps: Double = 1e-6, tolerance: Double = 1e-6,
                             sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping ([Tensor]) -> Tensor) {
    let chosen = wrt ?? Array(inputs.indices)
    checkGradients(inputs, eps: eps, tolerance: tolerance, createGraph: true, sourceLocation: sourceLocation, f)
    checkGradients(inputs, eps: eps, tolerance: tolerance, sourceLocation: sourceLocation) { xs in
        let firsts = grad(of: f(xs), wrt: chosen.map { xs[$0] }, createGraph: true)
        return firsts.enumerated()
            .map { k, g in (g * randomTensor(g.shape, seed: 500 + UInt64(k))).sum() }
            .reduce(Tensor(0, dtype: .float64), +)
    }
}

/// Sampled check for inputs too large to perturb element by element (whole networks): central finite
/// differences at `perTensor` elements spread over each input, plus `directions` random directions that
/// move every element at once (so no element escapes). Returns the worst relative error.
public func finiteDifferenceError(_ inputs: [Tensor], analytic: [Tensor], eps: Double = 1e-6, perTensor: Int = 12,
                                  directions: Int = 2, _ f: ([Tensor]) -> Double) -> Double {
    func value(_ moved: [[Double]]) -> Double {
        f(zip(inputs, moved).map { Tensor(shape: $0.shape, doubles: $1) })
    }
    let base = inputs.map(\.doubles), a = analytic.map(\.doubles)
    var worst = 0.0
    for i in inputs.indices {
        let n = base[i].count, picks = Swift.min(n, perTensor)
        for k in 0..<picks {
            let j = (k * n) / picks + (n > picks ? (k * 7) % (n / picks) : 0)
            var plus = base, minus = base
            plus[i][j] += eps
            minus[i][j] -= eps
            worst = Swift.max(worst, relativeError(a[i][j], (value(plus) - value(minus)) / (2 * eps)))
        }
    }
    for d in 0..<directions {
        let direction = inputs.enumerated().map { randomTensor($1.shape, seed: 900 + UInt64(10 * d + $0)).doubles }
        let plus = zip(base, direction).map { zip($0, $1).map { $0 + eps * $1 } }
        let minus = zip(base, direction).map { zip($0, $1).map { $0 - eps * $1 } }
        let predicted = zip(a, direction).reduce(0.0) { $0 + zip($1.0, $1.1).reduce(0) { $0 + $1.0 * $1.1 } }
        worst = Swift.max(worst, relativeError(predicted, (value(plus) - value(minus)) / (2 * eps)))
    }
    return worst
}
