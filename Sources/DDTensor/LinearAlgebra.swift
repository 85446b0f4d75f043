import DDKernels

extension NDArray {
    /// op(A)·op(B) for 2-D arrays, or batched over a leading dimension for 3-D arrays
    /// (a 2-D operand is shared across the batch). op = transpose of the last two axes when requested.
    public func matmul(_ other: NDArray, transposeA: Bool = false, transposeB: Bool = false) -> NDArray {
        require(dtype == other.dtype, "matmul dtype mismatch")
        require((rank == 2 || rank == 3) && (other.rank == 2 || other.rank == 3), "matmul needs 2-D or 3-D arrays")
        let batchA = rank == 3 ? shape[0] : 1, batchB = other.rank == 3 ? other.shape[0] : 1
        require(batchA == batchB || batchA == 1 || batchB == 1, "matmul batch mismatch \(shape) \(other.shape)")
        let batch = Swift.max(batchA, batchB)
        let (ra, ca) = (shape[rank - 2], shape[rank - 1]), (rb, cb) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        let m = transposeA ? ca : ra, k = transposeA ? ra : ca
        let kb = transposeB ? cb : rb, n = transposeB ? rb : cb
        require(k == kb, "matmul inner dimensions \(shape) x \(other.shape) (transposes \(transposeA), \(transposeB))")
        let outShape = (rank == 3 || other.rank == 3) ? [batch, m, n] : [m, n]
        var out = NDArray(shape: outShape, dtype: dtype, zeroed: false)
        func run<T: ArrayElement>(_: T.Type) {
            let pa = pointer(T.self), pb = other.pointer(T.self), pc = out.mutablePointer(T.self)
            func product(_ b: Int, serial: Bool) {
                let a = pa + (batchA == 1 ? 0 : b * ra * ca), bb = pb + (batchB == 1 ? 0 : b * rb * cb)
                if serial {
                    T.gemmSerial(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1, a: a, lda: ca,
                                 b: bb, ldb: cb, beta: 0, c: pc + b * m * n, ldc: n)
                } else {
                    T.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1, a: a, lda: ca,
                           b: bb, ldb: cb, beta: 0, c: pc + b * m * n, ldc: n)
                }
                if k == 0 { (pc + b * m * n).update(repeating: 0, count: m * n) }
            }
            // A batch of products runs one product per thread at a time; a single product splits itself.
            if batch == 1 { product(0, serial: false) } else {
                Threads.parallelFor(batch) { range in for b in range { product(b, serial: true) } }
            }
        }
        if dtype == .float32 { run(Float.self) } else { run(Double.self) }
        return out
    }

    static func convGeometry(input: [Int], weight: [Int], stride: (Int, Int), padding: (Int, Int)) -> ConvGeometry {
        require(input.count == 4 && weight.count == 4 && input[1] == weight[1],
                     "conv2d needs input [N,C,H,W] and weight [O,C,kh,kw]; got \(input), \(weight)")
        let g = ConvGeometry(batch: input[0], inChannels: input[1], height: input[2], width: input[3],
                             outChannels: weight[0], kernelH: weight[2], kernelW: weight[3],
                             strideH: stride.0, strideW: stride.1, padH: padding.0, padW: padding.1)
        require(g.isValid, "invalid convolution geometry \(g)")
        return g
    }

    /// 2-D cross-correlation (PyTorch conv2d): self [N,C,H,W], weight [O,C,kh,kw], bias [O] → [N,O,Ho,Wo].
    public func conv2d(weight: NDArray, bias: NDArray? = nil, stride: (Int, Int) = (1, 1),
                       padding: (Int, Int) = (0, 0)) -> NDArray {
        let g = NDArray.convGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding)
        require(bias == nil || bias!.count == g.outChannels, "conv2d bias size")
        var out = NDArray(shape: [g.batch, g.outChannels, g.outHeight, g.outWidth], dtype: dtype, zeroed: false)
        if dtype == .float32 {
            Conv2D.forward(g, input: pointer(Float.self), weight: weight.pointer(Float.self),
                           bias: bias?.pointer(Float.self), output: out.mutablePointer(Float.self))
        } else {
            Conv2D.forward(g, input: pointer(Double.self), weight: weight.pointer(Double.self),
                           bias: bias?.pointer(Double.self), output: out.mutablePointer(Double.self))
        }
        return out
    }

    /// Gradient of conv2d with respect to its input; self is the output gradient [N,O,Ho,Wo].
    public func conv2dInputGrad(weight: NDArray, inputShape: [Int], stride: (Int, Int) = (1, 1),
                                padding: (Int, Int) = (0, 0)) -> NDArray {
        let g = NDArray.convGeometry(input: inputShape, weight: weight.shape, stride: stride, padding: padding)
        require(shape == [g.batch, g.outChannels, g.outHeight, g.outWidth], "conv2dInputGrad gradient shape \(shape)")
        var out = NDArray(shape: inputShape, dtype: dtype, zeroed: false)
        if dtype == .float32 {
            Conv2D.inputGrad(g, gradOutput: pointer(Float.self), weight: weight.pointer(Float.self),
                             gradInput: out.mutablePointer(Float.self))
        } else {
            Conv2D.inputGrad(g, gradOutput: pointer(Double.self), weight: weight.pointer(Double.self),
                             gradInput: out.mutablePointer(Double.self))
        }
        return out
    }

    /// Gradient of conv2d with respect to its weight; self is the input, `gradOutput` [N,O,Ho,Wo].
    public func conv2dWeightGrad(gradOutput: NDArray, weightShape: [Int], stride: (Int, Int) = (1, 1),
                                 padding: (Int, Int) = (0, 0)) -> NDArray {
        let g = NDArray.convGeometry(input: shape, weight: weightShape, stride: stride, padding: padding)
        require(gradOutput.shape == [g.batch, g.outChannels, g.outHeight, g.outWidth], "conv2dWeightGrad shape")
        var out = NDArray(shape: weightShape, dtype: dtype, zeroed: false)
        if dtype == .float32 {
            Conv2D.weightGrad(g, input: pointer(Float.self), gradOutput: gradOutput.pointer(Float.self),
                              gradWeight: out.mutablePointer(Float.self))
        } else {
            Conv2D.weightGrad(g, input: pointer(Double.self), gradOutput: gradOutput.pointer(Double.self),
                              gradWeight: out.mutablePointer(Double.self))
        }
        return out
    }

    static func poolGeometry(_ shape: [Int], kernel: (Int, Int), stride: (Int, Int)) -> PoolGeometry {
        require(shape.count == 4, "pooling needs [N,C,H,W]")
        let g = PoolGeometry(planes: shape[0] * shape[1], height: shape[2], width: shape[3],
                             kernelH: kernel.0, kernelW: kernel.1, strideH: stride.0, strideW: stride.1)
        require(g.isValid, "invalid pooling geometry \(g)")
        return g
    }

    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)) -> NDArray {
        let g = NDArray.poolGeometry(shape, kernel: kernel, stride: stride)
        var out = NDArray(shape: [shape[0], shape[1], g.outHeight, g.outWidth], dtype: dtype, zeroed: false)
        if dtype == .float32 {
            Pool2D.averageForward(g, input: pointer(Float.self), output: out.mutablePointer(Float.self))
        } else {
            Pool2D.averageForward(g, input: pointer(Double.self), output: out.mutablePointer(Double.self))
        }
        return out
    }

    /// Adjoint of avgPool2d; self is the output gradient.
    public func avgPool2dBackward(inputShape: [Int], kernel: (Int, Int), stride: (Int, Int)) -> NDArray {
        let g = NDArray.poolGeometry(inputShape, kernel: kernel, stride: stride)
        require(shape == [inputShape[0], inputShape[1], g.outHeight, g.outWidth], "avgPool2dBackward shape")
        var out = NDArray(shape: inputShape, dtype: dtype, zeroed: false)
        if dtype == .float32 {
            Pool2D.averageBackward(g, gradOutput: pointer(Float.self), gradInput: out.mutablePointer(Float.self))
        } else {
            Pool2D.averageBackward(g, gradOutput: pointer(Double.self), gradInput: out.mutablePointer(Double.self))
        }
        return out
    }

    /// Max pooling; also returns the argmax (flat index within each H×W plane), one per output element.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)) -> (values: NDArray, argmax: [Int32]) {
        let g = NDArray.poolGeometry(shape, kernel: kernel, stride: stride)
        var out = NDArray(shape: [shape[0], shape[1], g.outHeight, g.outWidth], dtype: dtype, zeroed: false)
        var idx = [Int32](repeating: 0, count: out.count)
        idx.withUnsafeMutableBufferPointer { ip in
            if dtype == .float32 {
                Pool2D.maxForward(g, input: pointer(Float.self), output: out.mutablePointer(Float.self), argmax: ip.baseAddress!)
            } else {
                Pool2D.maxForward(g, input: pointer(Double.self), output: out.mutablePointer(Double.self), argmax: ip.baseAddress!)
            }
        }
        return (out, idx)
    }
}
