import DDAutograd
import DDTensor

/// What an optimiser must carry across a checkpoint: its step count and its per-parameter tensors
/// (SGD: momentum buffers; Adam: first moments then second moments). Empty tensors before the first step.
public struct OptimizerState: Sendable {
    public var step: Int
    public var tensors: [NDArray]

    public init(step: Int, tensors: [NDArray]) { self.step = step; self.tensors = tensors }
}

public enum OptimizerError: Error, CustomStringConvertible, Equatable {
    case stateMismatch(String)
    public var description: String { if case .stateMismatch(let s) = self { return s }; return "" }
}

/// An optimiser over an explicit parameter list. `update` replaces each parameter by a new leaf tensor
/// (same `requiresGrad`) computed without recording a graph.
public protocol Optimizer {
    var learningRate: Double { get set }
    var step: Int { get }
    mutating func update(_ parameters: inout [Tensor], gradients: [Tensor])
    var state: OptimizerState { get }
    /// Replaces the state with a checkpointed one; throws when it does not fit `parameters`.
    mutating func restore(_ state: OptimizerState, parameters: [Tensor]) throws
}

private func checkUpdate(_ parameters: [Tensor], _ gradients: [Tensor]) {
    require(parameters.count == gradients.count, "optimiser: \(parameters.count) parameters, \(gradients.count) gradients")
    for (p, g) in zip(parameters, gradients) {
        require(p.shape == g.shape && p.dtype == g.dtype, "optimiser: gradient \(g.shape) for parameter \(p.shape)")
    }
}

private func checkState(_ state: OptimizerState, _ parameters: [Tensor], perParameter: Int) throws {
    guard state.step >= 0 else { throw OptimizerError.stateMismatch("negative step count \(state.step)") }
    if state.tensors.isEmpty && state.step == 0 { return }
    guard state.tensors.count == perParameter * parameters.count else {
        throw OptimizerError.stateMismatch("\(state.tensors.count) state tensors for \(parameters.count) parameters")
    }
    for (i, t) in state.tensors.enumerated() {
        let p = parameters[i % parameters.count]
        guard t.shape == p.shape, t.dtype == p.dtype else {
            throw OptimizerError.stateMismatch("state tensor \(i) has shape \(t.shape), parameter has \(p.shape)")
        }
    }
}

/// Stochastic gradient descent with PyTorch's semantics (dampening 0, no Nesterov):
/// d = g + wd·p; buf = μ·buf + d (buf = d on the first step); p ← p − lr·buf.
public struct SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let weightDecay: Double
    public private(set) var step = 0
    private var velocity: [NDArray] = []

    public init(learningRate: Double, momentum: Double = 0, weightDecay: Double = 0) {
        self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay
    }

    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        checkUpdate(parameters, gradients)
        withNoGrad {
            for i in parameters.indices {
                let p = parameters[i].array
                var d = gradients[i].array
                if weightDecay != 0 { d = d + p * weightDecay }
                if momentum != 0 {
                    if velocity.count != parameters.count { velocity = parameters.map { .zeros($0.shape, dtype: $0.dtype) } }
                    d = velocity[i] * momentum + d  // buffers start at 0, so the first step gives buf = d exactly
                    velocity[i] = d
                }
                parameters[i] = Tensor(p - d * learningRate, requiresGrad: parameters[i].requiresGrad)
            }
        }
        step += 1
    }

    /// Forgets the momentum buffers (what rebuilding the optimiser does in the reference's lr decay).
    public mutating func reset() { velocity = []; step = 0 }

    public var state: OptimizerState { OptimizerState(step: step, tensors: velocity) }

    public mutating func restore(_ state: OptimizerState, parameters: [Tensor]) throws {
        try checkState(state, parameters, perParameter: momentum != 0 ? 1 : 0)
        velocity = state.tensors
        step = state.step
    }
}

/// Adam with PyTorch's semantics (L2 weight decay added to the gradient, bias-corrected moments):
/// m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε).
public struct Adam: Optimizer {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    public private(set) var step = 0
    private var firstMoments: [NDArray] = []
    private var secondMoments: [NDArray] = []

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay
    }

    public mutating func update(_ parameters: inout [Tensor], gradients: [Tensor]) {
        checkUpdate(parameters, gradients)
        if firstMoments.count != parameters.count {
            firstMoments = parameters.map { .zeros($0.shape, dtype: $0.dtype) }
            secondMoments = firstMoments
        }
        step += 1
        let correction1 = 1 - integerPower(beta1, step), correction2 = 1 - integerPower(beta2, step)
        let stepSize = learningRate / correction1, rootCorrection2 = correction2.squareRoot()
        withNoGrad {
            for i in parameters.indices {
                let p = parameters[i].array
                var g = gradients[i].array
                if weightDecay != 0 { g = g + p * weightDecay }
                firstMoments[i] = firstMoments[i] * beta1 + g * (1 - beta1)
                secondMoments[i] = secondMoments[i] * beta2 + g.map(.square) * (1 - beta2)
                let denominator = secondMoments[i].map(.sqrt) * (1 / rootCorrection2) + epsilon
                let next = p - (firstMoments[i] / denominator) * stepSize
                parameters[i] = Tensor(next, requiresGrad: parameters[i].requiresGrad)
            }
        }
    }

    public var state: OptimizerState { OptimizerState(step: step, tensors: firstMoments + secondMoments) }

    public mutating func restore(_ state: OptimizerState, parameters: [Tensor]) throws {
        try checkState(state, parameters, perParameter: 2)
        let half = state.tensors.count / 2
        firstMoments = Array(state.tensors[..<half])
        secondMoments = Array(state.tensors[half...])
        step = state.step
    }
}

/// x^n for a non-negative integer n (Adam's bias corrections).
private func integerPower(_ x: Double, _ n: Int) -> Double {
    var result = 1.0, base = x, e = n
    while e > 0 {
        if e & 1 == 1 { result *= base }
        base *= base; e >>= 1
    }
    return result
}

/// Step learning-rate schedule: the base rate times γ for every milestone epoch already reached
/// (PyTorch MultiStepLR; epochs are 0-based).
public struct StepSchedule: Sendable, Equatable {
    public let baseRate: Double
    public let milestones: [Int]
    public let gamma: Double

    public init(baseRate: Double, milestones: [Int], gamma: Double = 0.1) {
        self.baseRate = baseRate; self.milestones = milestones.sorted(); self.gamma = gamma
    }

    /// The reference evaluation schedule: E + 1 epochs numbered 0…E, ×γ from epoch E/2 + 1 on
    /// (reference/protocols.md §3.1; the reference also rebuilds the optimiser there, see `SGD.reset`).
    public static func reference(baseRate: Double, epochs: Int, gamma: Double = 0.1) -> StepSchedule {
        StepSchedule(baseRate: baseRate, milestones: [epochs / 2 + 1], gamma: gamma)
    }

    public func rate(epoch: Int) -> Double {
        milestones.reduce(baseRate) { rate, m in epoch >= m ? rate * gamma : rate }
    }

    /// True when `epoch` is a milestone, i.e. the rate changes as this epoch starts.
    public func changes(at epoch: Int) -> Bool { milestones.contains(epoch) }
}
