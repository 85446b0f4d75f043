import DDTensor

/// Running statistics of a batch-norm layer, updated in place by training-mode calls.
public final class BatchNormStatistics {
    public var mean: NDArray
    public var variance: NDArray
    public let momentum: Double

    public init(channels: Int, momentum: Double = 0.1, dtype: DType = .float32) {
        mean = .zeros([channels], dtype: dtype)
        variance = .ones([channels], dtype: dtype)
        self.momentum = momentum
    }
}

extension Tensor {
    /// relu(groupNorm(…)) in one pass over the data, for inference only: precondition that no graph is
    /// recorded (outside `withNoGrad` use `groupNorm(…).relu()`).
    public func groupNormReLU(groups: Int, weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) -> Tensor {
        require(!GradMode.isEnabled, "groupNormReLU is an inference op; record the graph with groupNorm(…).relu()")
        return Tensor(array.groupNorm(groups: groups, gamma: weight?.array, beta: bias?.array, eps: eps, rectify: true).out)
    }

    /// Group normalisation of [N, C, ...] over each group of C/groups channels and all spatial positions,
    /// with per-channel affine weight/bias [C]. GroupNorm(C, C) is what the reference calls instance norm.
    /// Forward and first-order backward are fused kernels; when the backward pass itself is recorded
    /// (createGraph), the gradient is built from Tensor ops instead, so it is differentiable again.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) -> Tensor {
        let x = self
        let (value, mean, rstd) = array.groupNorm(groups: groups, gamma: weight?.array, beta: bias?.array, eps: eps)
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let weightSlot = weight == nil ? nil : 1, biasSlot = bias == nil ? nil : (weight == nil ? 1 : 2)
        return Tensor.record("groupNorm", value, inputs) { g, need in
            var out = [Tensor?](repeating: nil, count: inputs.count)
            let needGamma = weightSlot.map { need[$0] } ?? false, needBeta = biasSlot.map { need[$0] } ?? false
            let grads = x.array.groupNormBackward(groups: groups, gamma: weight?.array, gradOutput: g.array, mean: mean,
                                                  rstd: rstd, needInput: need[0], needGamma: needGamma, needBeta: needBeta)
            if !GradMode.isEnabled {
                out[0] = grads.input.map { Tensor($0) }
                if let w = weightSlot { out[w] = grads.gamma.map { Tensor($0) } }
                if let b = biasSlot { out[b] = grads.beta.map { Tensor($0) } }
                return out
            }
            // createGraph: fused values, derivatives from the Tensor-op formula (see `fused`).
            let gammaArgs = weight.map { [$0] } ?? []
            if let dx = grads.input {
                let fast: (NDArray, [Bool]) -> [NDArray?] = { u, need in
                    let r = x.array.groupNormInputGradBackward(groups: groups, gamma: weight?.array, gradOutput: g.array,
                                                               upstream: u, mean: mean, rstd: rstd, needInput: need[0],
                                                               needGradOutput: need[1], needGamma: need.count > 2 && need[2])
                    return [r.input, r.gradOutput] + (need.count > 2 ? [r.gamma] : [])
                }
                out[0] = Tensor.fused("groupNormInputGrad", dx, [x, g] + gammaArgs, fastVJP: fast) { a in
                    Tensor.groupNormGradient(x: a[0], gamma: a.count > 2 ? a[2] : nil, gradOutput: a[1], groups: groups,
                                             eps: eps, needInput: true, needGamma: false, needBeta: false).input!
                }
            }
            if let w = weightSlot, let dGamma = grads.gamma {
                let fast: (NDArray, [Bool]) -> [NDArray?] = { u, need in
                    let r = x.array.groupNormWeightGradBackward(groups: groups, gradOutput: g.array, upstream: u, mean: mean,
                                                                rstd: rstd, needInput: need[0], needGradOutput: need[1])
                    return [r.input, r.gradOutput]
                }
                out[w] = Tensor.fused("groupNormWeightGrad", dGamma, [x, g], fastVJP: fast) { a in
                    Tensor.groupNormGradient(x: a[0], gamma: nil, gradOutput: a[1], groups: groups, eps: eps,
                                             needInput: false, needGamma: true, needBeta: false).gamma!
                }
            }
            if let b = biasSlot, needBeta { out[b] = g.sum(axes: [0] + Array(2..<x.rank)) }
            return out
        }
    }

    /// The group-norm gradient written with Tensor ops (used when gradients must be differentiable):
    /// dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)), dγ = Σ g ⊙ x̂, dβ = Σ g, with dx̂ = g ⊙ γ.
    static func groupNormGradient(x: Tensor, gamma: Tensor?, gradOutput g: Tensor, groups: Int, eps: Double,
                                  needInput: Bool, needGamma: Bool, needBeta: Bool)
        -> (input: Tensor?, gamma: Tensor?, beta: Tensor?) {
        let n = x.shape[0], c = x.shape[1]
        var channelShape = [Int](repeating: 1, count: x.rank); channelShape[1] = c
        let reduceAxes = [0] + Array(2..<x.rank)
        let xr = x.reshaped([n, groups, -1])
        let centered = xr - xr.mean(axes: [2], keepDims: true)
        let rstd = (centered.square().mean(axes: [2], keepDims: true) + eps).sqrt().reciprocal()
        let xhat = centered * rstd
        var dx: Tensor? = nil
        if needInput {
            let dxhat = (gamma.map { g * $0.reshaped(channelShape) } ?? g).reshaped([n, groups, -1])
            let inner = dxhat - dxhat.mean(axes: [2], keepDims: true) - xhat * (dxhat * xhat).mean(axes: [2], keepDims: true)
            dx = (rstd * inner).reshaped(x.shape)
        }
        let dGamma = needGamma ? (g * xhat.reshaped(x.shape)).sum(axes: reduceAxes) : nil
        let dBeta = needBeta ? g.sum(axes: reduceAxes) : nil
        return (dx, dGamma, dBeta)
    }

    /// Batch normalisation over [N, C, ...] (statistics per channel over N and spatial axes).
    /// Training: batch statistics (biased variance) and, when `statistics` is given, a running update with
    /// the unbiased variance (PyTorch semantics). Evaluation: the running statistics as constants.
    public func batchNorm(weight: Tensor?, bias: Tensor?, statistics: BatchNormStatistics?, training: Bool,
                          eps: Double = 1e-5) -> Tensor {
        let c = shape[1]
        var statShape = [Int](repeating: 1, count: rank); statShape[1] = c
        if !training {
            guard let statistics else { fatalError("batchNorm in evaluation mode needs running statistics") }
            let scale = (statistics.variance + eps).map(.sqrt).map(.reciprocal).reshaped(statShape)
            let shift = statistics.mean.reshaped(statShape)
            let normalized = (self - Tensor(shift)).scaled(by: scale)
            return affinePerChannel(normalized, weight: weight, bias: bias, channels: c)
        }
        let x = self
        let (value, mean, rstd) = array.batchNorm(gamma: weight?.array, beta: bias?.array, eps: eps)
        if let statistics {
            // Running update with the unbiased batch variance, recovered from 1/std.
            let m = statistics.momentum, count = Double(self.count / c)
            let biased = rstd.map(.square).map(.reciprocal) - eps
            let unbiased = biased * (count / Swift.max(1, count - 1))
            statistics.mean = statistics.mean * (1 - m) + mean.converted(to: statistics.mean.dtype) * m
            statistics.variance = statistics.variance * (1 - m) + unbiased.converted(to: statistics.variance.dtype) * m
        }
        var inputs = [x]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let weightSlot = weight == nil ? nil : 1, biasSlot = bias == nil ? nil : (weight == nil ? 1 : 2)
        return Tensor.record("batchNorm", value, inputs) { g, need in
            var out = [Tensor?](repeating: nil, count: inputs.count)
            let needGamma = weightSlot.map { need[$0] } ?? false, needBeta = biasSlot.map { need[$0] } ?? false
            let grads = x.array.batchNormBackward(gamma: weight?.array, gradOutput: g.array, mean: mean, rstd: rstd,
                                                  needInput: need[0], needGamma: needGamma, needBeta: needBeta)
            if !GradMode.isEnabled {
                out[0] = grads.input.map { Tensor($0) }
                if let w = weightSlot { out[w] = grads.gamma.map { Tensor($0) } }
                if let b = biasSlot { out[b] = grads.beta.map { Tensor($0) } }
                return out
            }
            let gammaArgs = weight.map { [$0] } ?? []
            if let dx = grads.input {
                let fast: (NDArray, [Bool]) -> [NDArray?] = { u, need in
                    let r = x.array.batchNormInputGradBackward(gamma: weight?.array, gradOutput: g.array, upstream: u,
                                                               mean: mean, rstd: rstd, needInput: need[0],
                                                               needGradOutput: need[1], needGamma: need.count > 2 && need[2])
                    return [r.input, r.gradOutput] + (need.count > 2 ? [r.gamma] : [])
                }
                out[0] = Tensor.fused("batchNormInputGrad", dx, [x, g] + gammaArgs, fastVJP: fast) { a in
                    Tensor.batchNormGradient(x: a[0], gamma: a.count > 2 ? a[2] : nil, gradOutput: a[1], eps: eps,
                                             needInput: true, needGamma: false, needBeta: false).input!
                }
            }
            if let w = weightSlot, let dGamma = grads.gamma {
                let fast: (NDArray, [Bool]) -> [NDArray?] = { u, need in
                    let r = x.array.batchNormWeightGradBackward(gradOutput: g.array, upstream: u, mean: mean, rstd: rstd,
                                                                needInput: need[0], needGradOutput: need[1])
                    return [r.input, r.gradOutput]
                }
                out[w] = Tensor.fused("batchNormWeightGrad", dGamma, [x, g], fastVJP: fast) { a in
                    Tensor.batchNormGradient(x: a[0], gamma: nil, gradOutput: a[1], eps: eps,
                                             needInput: false, needGamma: true, needBeta: false).gamma!
                }
            }
            if let b = biasSlot, needBeta { out[b] = g.sum(axes: [0] + Array(2..<x.rank)) }
            return out
        }
    }

    /// Training-mode batch-norm gradient written with Tensor ops (differentiable again); see groupNormGradient.
    static func batchNormGradient(x: Tensor, gamma: Tensor?, gradOutput g: Tensor, eps: Double,
                                  needInput: Bool, needGamma: Bool, needBeta: Bool)
        -> (input: Tensor?, gamma: Tensor?, beta: Tensor?) {
        var channelShape = [Int](repeating: 1, count: x.rank); channelShape[1] = x.shape[1]
        let axes = [0] + Array(2..<x.rank)
        let centered = x - x.mean(axes: axes, keepDims: true)
        let rstd = (centered.square().mean(axes: axes, keepDims: true) + eps).sqrt().reciprocal()
        let xhat = centered * rstd
        var dx: Tensor? = nil
        if needInput {
            let dxhat = gamma.map { g * $0.reshaped(channelShape) } ?? g
            let inner = dxhat - dxhat.mean(axes: axes, keepDims: true) - xhat * (dxhat * xhat).mean(axes: axes, keepDims: true)
            dx = rstd * inner
        }
        let dGamma = needGamma ? (g * xhat).sum(axes: axes) : nil
        let dBeta = needBeta ? g.sum(axes: axes) : nil
        return (dx, dGamma, dBeta)
    }

    private func affinePerChannel(_ x: Tensor, weight: Tensor?, bias: Tensor?, channels c: Int) -> Tensor {
        var shapeC = [Int](repeating: 1, count: x.rank); shapeC[1] = c
        var y = x
        if let weight { y = y * weight.reshaped(shapeC) }
        if let bias { y = y + bias.reshaped(shapeC) }
        return y
    }

    /// log(softmax(x)) along `axis`, as x − max − log Σ exp(x − max) (the max is a constant shift).
    public func logSoftmax(axis: Int) -> Tensor {
        let shift = array.max(axis: axis, keepDims: true)
        let z = self - Tensor(shift)
        return z - z.exp().sum(axes: [axis], keepDims: true).log()
    }

    public func softmax(axis: Int) -> Tensor { logSoftmax(axis: axis).exp() }
}
