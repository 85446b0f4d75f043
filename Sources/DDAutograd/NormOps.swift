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
    /// Group normalisation of [N, C, ...] over each group of C/groups channels and all spatial positions,
    /// with per-channel affine weight/bias [C]. GroupNorm(C, C) is what the reference calls instance norm.
    /// Built from Tensor ops, so its gradient (and gradient of gradient) comes from composition.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) -> Tensor {
        precondition(rank >= 2 && shape[1] % groups == 0, "groupNorm: \(shape[1]) channels not divisible by \(groups)")
        let n = shape[0], c = shape[1]
        let xr = reshaped([n, groups, -1])
        let centered = xr - xr.mean(axes: [2], keepDims: true)
        let variance = centered.square().mean(axes: [2], keepDims: true)
        let normalized = (centered * (variance + eps).sqrt().reciprocal()).reshaped(shape)
        return affinePerChannel(normalized, weight: weight, bias: bias, channels: c)
    }

    /// Batch normalisation over [N, C, ...] (statistics per channel over N and spatial axes).
    /// Training: batch statistics (biased variance) and, when `statistics` is given, a running update with
    /// the unbiased variance (PyTorch semantics). Evaluation: the running statistics as constants.
    public func batchNorm(weight: Tensor?, bias: Tensor?, statistics: BatchNormStatistics?, training: Bool,
                          eps: Double = 1e-5) -> Tensor {
        let c = shape[1]
        var statShape = [Int](repeating: 1, count: rank); statShape[1] = c
        let axes = [0] + Array(2..<rank)
        if !training {
            guard let statistics else { preconditionFailure("batchNorm in evaluation mode needs running statistics") }
            let scale = (statistics.variance + eps).map(.sqrt).map(.reciprocal).reshaped(statShape)
            let shift = statistics.mean.reshaped(statShape)
            let normalized = (self - Tensor(shift)).scaled(by: scale)
            return affinePerChannel(normalized, weight: weight, bias: bias, channels: c)
        }
        let mean = self.mean(axes: axes, keepDims: true)
        let centered = self - mean
        let variance = centered.square().mean(axes: axes, keepDims: true)
        if let statistics {
            let m = statistics.momentum, count = Double(self.count / c)
            let unbiased = variance.array.reshaped([c]) * (count / Swift.max(1, count - 1))
            statistics.mean = statistics.mean * (1 - m) + mean.array.reshaped([c]).converted(to: statistics.mean.dtype) * m
            statistics.variance = statistics.variance * (1 - m) + unbiased.converted(to: statistics.variance.dtype) * m
        }
        let normalized = centered * (variance + eps).sqrt().reciprocal()
        return affinePerChannel(normalized, weight: weight, bias: bias, channels: c)
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
