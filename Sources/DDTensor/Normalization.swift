import DDKernels

// Wrappers of the fused normalisation kernels (forward, backward, and group norm's second backward).

extension NDArray {
    /// Fused group norm of [N, C, ...]; returns the output and the per-(n, group) mean and 1/std.
    /// `rectify` applies ReLU to the output in the same pass.
    public func groupNorm(groups: Int, gamma: NDArray?, beta: NDArray?, eps: Double, rectify: Bool = false)
        -> (out: NDArray, mean: NDArray, rstd: NDArray) {
        require(rank >= 2 && shape[1] % groups == 0, "groupNorm: \(shape[1]) channels not divisible by \(groups)")
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        require(gamma.map { $0.count == c } ?? true && beta.map { $0.count == c } ?? true, "groupNorm affine size")
        var out = NDArray(shape: shape, dtype: dtype, zeroed: false)
        var mean = NDArray(shape: [n, groups], dtype: dtype, zeroed: false), rstd = mean
        rstd = NDArray(shape: [n, groups], dtype: dtype, zeroed: false)
        func run<T: ArrayElement>(_: T.Type) {
            GroupNormKernel.forward(n: n, c: c, spatial: spatial, groups: groups, eps: eps, x: pointer(T.self),
                                    gamma: gamma?.pointer(T.self), beta: beta?.pointer(T.self),
                                    out: out.mutablePointer(T.self), mean: mean.mutablePointer(T.self),
                                    rstd: rstd.mutablePointer(T.self), rectify: rectify)
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (out, mean, rstd)
    }

    /// Gradients of `groupNorm` (self = input) from the saved statistics; nil entries are not computed.
    public func groupNormBackward(groups: Int, gamma: NDArray?, gradOutput: NDArray, mean: NDArray, rstd: NDArray,
                                  needInput: Bool, needGamma: Bool, needBeta: Bool)
        -> (input: NDArray?, gamma: NDArray?, beta: NDArray?) {
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        var gx: NDArray? = needInput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gg: NDArray? = needGamma ? NDArray(shape: [c], dtype: dtype, zeroed: false) : nil
        var gb: NDArray? = needBeta ? NDArray(shape: [c], dtype: dtype, zeroed: false) : nil
        func run<T: ArrayElement>(_: T.Type) {
            GroupNormKernel.backward(n: n, c: c, spatial: spatial, groups: groups, x: pointer(T.self),
                                     gamma: gamma?.pointer(T.self), gradOut: gradOutput.pointer(T.self),
                                     mean: mean.pointer(T.self), rstd: rstd.pointer(T.self),
                                     gradX: gx?.mutablePointer(T.self), gradGamma: gg?.mutablePointer(T.self),
                                     gradBeta: gb?.mutablePointer(T.self))
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (gx, gg, gb)
    }
}

extension NDArray {
    /// Fused training-mode batch norm of [N, C, ...]; returns the output and per-channel batch mean and 1/std.
    public func batchNorm(gamma: NDArray?, beta: NDArray?, eps: Double) -> (out: NDArray, mean: NDArray, rstd: NDArray) {
        require(rank >= 2, "batchNorm needs [N, C, ...]")
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        require(gamma.map { $0.count == c } ?? true && beta.map { $0.count == c } ?? true, "batchNorm affine size")
        var out = NDArray(shape: shape, dtype: dtype, zeroed: false)
        var mean = NDArray(shape: [c], dtype: dtype, zeroed: false)
        var rstd = NDArray(shape: [c], dtype: dtype, zeroed: false)
        func run<T: ArrayElement>(_: T.Type) {
            BatchNormKernel.forward(n: n, c: c, spatial: spatial, eps: eps, x: pointer(T.self), gamma: gamma?.pointer(T.self),
                                    beta: beta?.pointer(T.self), out: out.mutablePointer(T.self),
                                    mean: mean.mutablePointer(T.self), rstd: rstd.mutablePointer(T.self))
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (out, mean, rstd)
    }

    /// Gradients of training-mode `batchNorm` (self = input) from the saved statistics.
    public func batchNormBackward(gamma: NDArray?, gradOutput: NDArray, mean: NDArray, rstd: NDArray,
                                  needInput: Bool, needGamma: Bool, needBeta: Bool)
        -> (input: NDArray?, gamma: NDArray?, beta: NDArray?) {
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        var gx: NDArray? = needInput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gg: NDArray? = needGamma ? NDArray(shape: [c], dtype: dtype, zeroed: false) : nil
        var gb: NDArray? = needBeta ? NDArray(shape: [c], dtype: dtype, zeroed: false) : nil
        func run<T: ArrayElement>(_: T.Type) {
            BatchNormKernel.backward(n: n, c: c, spatial: spatial, x: pointer(T.self), gamma: gamma?.pointer(T.self),
                                     gradOut: gradOutput.pointer(T.self), mean: mean.pointer(T.self),
                                     rstd: rstd.pointer(T.self), gradX: gx?.mutablePointer(T.self),
                                     gradGamma: gg?.mutablePointer(T.self), gradBeta: gb?.mutablePointer(T.self))
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (gx, gg, gb)
    }
}

extension NDArray {
    /// VJP of the group-norm input gradient (self = forward input x): see GroupNormKernel.inputGradBackward.
    public func groupNormInputGradBackward(groups: Int, gamma: NDArray?, gradOutput: NDArray, upstream: NDArray,
                                           mean: NDArray, rstd: NDArray, needInput: Bool, needGradOutput: Bool,
                                           needGamma: Bool) -> (input: NDArray?, gradOutput: NDArray?, gamma: NDArray?) {
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        var gx: NDArray? = needInput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gg: NDArray? = needGradOutput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gGamma: NDArray? = needGamma ? NDArray(shape: [c], dtype: dtype, zeroed: false) : nil
        func run<T: ArrayElement>(_: T.Type) {
            GroupNormKernel.inputGradBackward(n: n, c: c, spatial: spatial, groups: groups, x: pointer(T.self),
                                              gamma: gamma?.pointer(T.self), gradOut: gradOutput.pointer(T.self),
                                              upstream: upstream.pointer(T.self), mean: mean.pointer(T.self),
                                              rstd: rstd.pointer(T.self), gradX: gx?.mutablePointer(T.self),
                                              gradGradOut: gg?.mutablePointer(T.self), gradGamma: gGamma?.mutablePointer(T.self))
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (gx, gg, gGamma)
    }

    /// VJP of the group-norm weight gradient (self = forward input x, upstream [C]).
    public func groupNormWeightGradBackward(groups: Int, gradOutput: NDArray, upstream: NDArray, mean: NDArray,
                                            rstd: NDArray, needInput: Bool, needGradOutput: Bool)
        -> (input: NDArray?, gradOutput: NDArray?) {
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        var gx: NDArray? = needInput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gg: NDArray? = needGradOutput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        func run<T: ArrayElement>(_: T.Type) {
            GroupNormKernel.weightGradBackward(n: n, c: c, spatial: spatial, groups: groups, x: pointer(T.self),
                                               gradOut: gradOutput.pointer(T.self), upstream: upstream.pointer(T.self),
                                               mean: mean.pointer(T.self), rstd: rstd.pointer(T.self),
                                               gradX: gx?.mutablePointer(T.self), gradGradOut: gg?.mutablePointer(T.self))
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (gx, gg)
    }
}

extension NDArray {
    /// VJP of the training-mode batch-norm input gradient (self = forward input x).
    public func batchNormInputGradBackward(gamma: NDArray?, gradOutput: NDArray, upstream: NDArray, mean: NDArray,
                                           rstd: NDArray, needInput: Bool, needGradOutput: Bool, needGamma: Bool)
        -> (input: NDArray?, gradOutput: NDArray?, gamma: NDArray?) {
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        var gx: NDArray? = needInput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gg: NDArray? = needGradOutput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gGamma: NDArray? = needGamma ? NDArray(shape: [c], dtype: dtype, zeroed: false) : nil
        func run<T: ArrayElement>(_: T.Type) {
            BatchNormKernel.inputGradBackward(n: n, c: c, spatial: spatial, x: pointer(T.self), gamma: gamma?.pointer(T.self),
                                              gradOut: gradOutput.pointer(T.self), upstream: upstream.pointer(T.self),
                                              mean: mean.pointer(T.self), rstd: rstd.pointer(T.self),
                                              gradX: gx?.mutablePointer(T.self), gradGradOut: gg?.mutablePointer(T.self),
                                              gradGamma: gGamma?.mutablePointer(T.self))
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (gx, gg, gGamma)
    }

    /// VJP of the training-mode batch-norm weight gradient (self = forward input x, upstream [C]).
    public func batchNormWeightGradBackward(gradOutput: NDArray, upstream: NDArray, mean: NDArray, rstd: NDArray,
                                            needInput: Bool, needGradOutput: Bool) -> (input: NDArray?, gradOutput: NDArray?) {
        let n = shape[0], c = shape[1], spatial = count / Swift.max(1, n * c)
        var gx: NDArray? = needInput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        var gg: NDArray? = needGradOutput ? NDArray(shape: shape, dtype: dtype, zeroed: false) : nil
        func run<T: ArrayElement>(_: T.Type) {
            BatchNormKernel.weightGradBackward(n: n, c: c, spatial: spatial, x: pointer(T.self),
                                               gradOut: gradOutput.pointer(T.self), upstream: upstream.pointer(T.self),
                                               mean: mean.pointer(T.self), rstd: rstd.pointer(T.self),
                                               gradX: gx?.mutablePointer(T.self), gradGradOut: gg?.mutablePointer(T.self))
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return (gx, gg)
    }
}
