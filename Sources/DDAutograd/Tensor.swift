import DDTensor
import Dispatch

/// A node of the recorded graph: the op's differentiable inputs and its backward rule.
/// Leaves (tensors created with requiresGrad) have no inputs and no rule.
public final class GradNode {
    let inputs: [GradNode?]
    /// (gradient of the output, which inputs need a gradient) → one gradient per input (nil = none).
    let backward: ((Tensor, [Bool]) -> [Tensor?])?
    public let op: String
    private let census: GraphCensus?

    init(op: String, inputs: [GradNode?], backward: ((Tensor, [Bool]) -> [Tensor?])?) {
        self.op = op; self.inputs = inputs; self.backward = backward
        census = GraphCensus.current
        census?.created()
    }

    deinit { census?.freed() }
}

/// Whether ops record the graph. A task-local value, so concurrent tasks (e.g. parallel tests) each have
/// their own mode; the default is on.
public enum GradMode {
    @TaskLocal static var enabled = true

    public static var isEnabled: Bool { enabled }

    /// Runs `body` with recording switched to `on`, restoring the previous mode afterwards.
    public static func with<R>(_ on: Bool, _ body: () throws -> R) rethrows -> R {
        try $enabled.withValue(on, operation: body)
    }
}

/// Runs `body` without recording any graph (evaluation, optimiser updates).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R { try GradMode.with(false, body) }

/// The differentiable tensor: an `NDArray` value plus, when it depends on something that requires
/// a gradient, the graph node that produced it. Ops run eagerly.
public struct Tensor: @unchecked Sendable {
    public let array: NDArray
    public let node: GradNode?

    init(array: NDArray, node: GradNode?) { self.array = array; self.node = node }

    /// Wraps an array; `requiresGrad` makes it a leaf that `grad(of:wrt:)` can differentiate against.
    public init(_ array: NDArray, requiresGrad: Bool = false) {
        self.array = array
        node = requiresGrad ? GradNode(op: "leaf", inputs: [], backward: nil) : nil
    }

    public init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        self.init(NDArray(shape: shape, scalars: scalars), requiresGrad: requiresGrad)
    }
    public init(shape: [Int], doubles: [Double], requiresGrad: Bool = false) {
        self.init(NDArray(shape: shape, doubles: doubles), requiresGrad: requiresGrad)
    }
    public init(_ value: Double, dtype: DType = .float32) { self.init(NDArray.scalar(value, dtype: dtype)) }

    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor { Tensor(.zeros(shape, dtype: dtype)) }
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { Tensor(.ones(shape, dtype: dtype)) }
    public static func full(_ shape: [Int], _ v: Double, dtype: DType = .float32) -> Tensor {
        Tensor(.full(shape, v, dtype: dtype))
    }
    public static func uniform(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
                               rng: inout RandomGenerator) -> Tensor {
        Tensor(.uniform(shape, low: low, high: high, dtype: dtype, rng: &rng))
    }
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                              rng: inout RandomGenerator) -> Tensor {
        Tensor(.normal(shape, mean: mean, std: std, dtype: dtype, rng: &rng))
    }

    public var shape: [Int] { array.shape }
    public var dtype: DType { array.dtype }
    public var rank: Int { array.rank }
    public var count: Int { array.count }
    public var scalars: [Float] { array.scalars }
    public var doubles: [Double] { array.doubles }
    public func item() -> Double { array.item() }

    /// True when the tensor is part of a recorded graph (a leaf that requires a gradient, or a result of one).
    public var requiresGrad: Bool { node != nil }
    /// Same value, cut from the graph.
    public func detach() -> Tensor { Tensor(array: array, node: nil) }
    /// Same value as a fresh leaf that requires a gradient.
    public func requiringGrad() -> Tensor { Tensor(array, requiresGrad: true) }

    /// Records `op` when grad mode is on and any input is in a graph. The rule receives the output
    /// gradient and returns input gradients built from Tensor ops, so they are differentiable again.
    static func record(_ op: String, _ value: NDArray, _ inputs: [Tensor],
                       _ backward: @escaping (Tensor, [Bool]) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return Tensor(array: value, node: nil) }
        return Tensor(array: value, node: GradNode(op: op, inputs: inputs.map(\.node), backward: backward))
    }
}

/// Gradients of `loss` with respect to `wrt` by reverse-mode differentiation.
/// - `loss` must be a single element unless `seed` (the output gradient, same shape) is given.
/// - Inputs that `loss` does not depend on get a zero gradient; shared inputs accumulate.
/// - `createGraph`: record the backward pass too, so the returned gradients can be differentiated
///   again (gradients of gradients). When false, the backward pass records nothing.
public func grad(of loss: Tensor, wrt: [Tensor], seed: Tensor? = nil, createGraph: Bool = false) -> [Tensor] {
    reverseMode(of: loss, wrt: wrt, seed: seed, createGraph: createGraph, holdingInputsFixed: false)
}

/// Reverse-mode core. With `holdingInputsFixed`, the `wrt` tensors are treated as independent variables:
/// the walk stops at them (partial derivatives), even if one of them was computed from another.
func reverseMode(of loss: Tensor, wrt: [Tensor], seed: Tensor?, createGraph: Bool, holdingInputsFixed: Bool) -> [Tensor] {
    require(seed != nil || loss.count == 1, "grad(of:) needs a scalar loss or an explicit seed gradient")
    if let seed { require(seed.shape == loss.shape, "seed shape \(seed.shape) != loss shape \(loss.shape)") }
    let zeros = { (t: Tensor) in Tensor(NDArray.zeros(t.shape, dtype: t.dtype)) }
    guard let root = loss.node else { return wrt.map(zeros) }

    let targets = Set(wrt.compactMap { $0.node.map(ObjectIdentifier.init) })
    // Post-order DFS (iterative: unrolled training loops make deep graphs): parents before children.
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (node, next) = stack.popLast() {
        let expand = !(holdingInputsFixed && targets.contains(ObjectIdentifier(node)))
        if expand && next < node.inputs.count {
            stack.append((node, next + 1))
            if let p = node.inputs[next], visited.insert(ObjectIdentifier(p)).inserted { stack.append((p, 0)) }
        } else {
            order.append(node)
        }
    }
    // A node needs a gradient only if some target is reachable through it.
    var needed = Set<ObjectIdentifier>()
    for node in order {
        let id = ObjectIdentifier(node)
        if targets.contains(id) || node.inputs.contains(where: { $0.map { needed.contains(ObjectIdentifier($0)) } ?? false }) {
            needed.insert(id)
        }
    }

    var grads: [ObjectIdentifier: Tensor] = [:]
    let seedGrad = seed ?? Tensor(NDArray.ones(loss.shape, dtype: loss.dtype))
    grads[ObjectIdentifier(root)] = createGraph ? seedGrad : seedGrad.detach()
    GradMode.with(createGraph) {
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard needed.contains(id), let rule = node.backward, let g = grads[id] else { continue }
            if !targets.contains(id) { grads[id] = nil }  // free as we go
            if holdingInputsFixed && targets.contains(id) { continue }
            let mask = node.inputs.map { $0.map { needed.contains(ObjectIdentifier($0)) } ?? false }
            if !mask.contains(true) { continue }
            let started = BackwardProfile.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
            let inputGrads = rule(g, mask)
            if BackwardProfile.isEnabled {
                BackwardProfile.seconds[node.op, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
            }
            for (i, parent) in node.inputs.enumerated() where mask[i] {
                guard let parent, let gi = inputGrads[i] else { continue }
                let pid = ObjectIdentifier(parent)
                grads[pid] = grads[pid].map { $0 + gi } ?? gi
            }
        }
    }
    return wrt.map { t in t.node.flatMap { grads[ObjectIdentifier($0)] } ?? zeros(t) }
}

/// Optional wall-clock accounting of backward rules by op name (for performance work; off by default).
public enum BackwardProfile {
    nonisolated(unsafe) public static var isEnabled = false
    nonisolated(unsafe) public static var seconds: [String: Double] = [:]
}

extension Tensor {
    /// Records an op whose value comes from a fused kernel and whose derivatives come from `composite`,
    /// an equivalent expression in Tensor ops. Its vector–Jacobian product is the partial gradient of
    /// `composite(inputs)` (inputs held independent), so the op is differentiable to any order while
    /// the recorded graph keeps only this one node and its inputs (not the composite's intermediates).
    /// `fastVJP`, when given, computes the same vector–Jacobian product with a kernel; it is used when
    /// the backward pass is not recorded.
    static func fused(_ op: String, _ value: NDArray, _ inputs: [Tensor],
                      fastVJP: ((NDArray, [Bool]) -> [NDArray?])? = nil,
                      composite: @escaping ([Tensor]) -> Tensor) -> Tensor {
        record(op, value, inputs) { upstream, need in
            let createGraph = GradMode.isEnabled
            if !createGraph, let fastVJP { return fastVJP(upstream.array, need).map { $0.map { Tensor($0) } } }
            // Without createGraph the result only needs values: differentiate on detached copies.
            let args = createGraph ? inputs : inputs.map { Tensor($0.array, requiresGrad: true) }
            let out = GradMode.with(true) { composite(args) }
            let grads = reverseMode(of: out, wrt: args, seed: upstream, createGraph: createGraph, holdingInputsFixed: true)
            return grads.enumerated().map { need[$0.offset] ? $0.element : nil }
        }
    }
}
