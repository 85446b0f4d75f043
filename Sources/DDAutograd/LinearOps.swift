import DDTensor

extension Tensor {
    /// op(self)·op(other), 2-D or batched 3-D (see NDArray.matmul).
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let a = self, b = other, ta = transposeA, tb = transposeB
        return Tensor.record("matmul", a.array.matmul(b.array, transposeA: ta, transposeB: tb), [a, b]) { g, need in
            // d op(A) = g·op(B)ᵀ and d op(B) = op(A)ᵀ·g, re-expressed with transpose flags (no copies).
            var ga: Tensor? = nil, gb: Tensor? = nil
            if need[0] {
                ga = ta ? b.matmul(g, transposeA: tb, transposeB: true) : g.matmul(b, transposeB: !tb)
                if ga!.shape != a.shape { ga = ga!.sumTo(a.shape) }  // a was shared across the batch
            }
            if need[1] {
                gb = tb ? g.matmul(a, transposeA: true, transposeB: ta) : a.matmul(g, transposeA: !ta)
                if gb!.shape != b.shape { gb = gb!.sumTo(b.shape) }
            }
            return [ga, gb]
        }
    }

    /// Fully connected layer, PyTorch layout: self [N, in], weight [out, in], bias [out] → [N, out].
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        let y = matmul(weight, transposeB: true)
        return bias.map { y + $0 } ?? y
    }

    /// 2-D convolution (cross-correlation): self [N,C,H,W], weight [O,C,kh,kw], bias [O].
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                       padding: (Int, Int) = (0, 0)) -> Tensor {
        let x = self, inputShape = shape
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        let value = x.array.conv2d(weight: weight.array, bias: bias?.array, stride: stride, padding: padding)
        return Tensor.record("conv2d", value, inputs) { g, need in
            var out: [Tensor?] = [
                need[0] ? g.conv2dInputGrad(weight: weight, inputShape: inputShape, stride: stride, padding: padding) : nil,
                need[1] ? x.conv2dWeightGrad(gradOutput: g, weightShape: weight.shape, stride: stride, padding: padding) : nil,
            ]
            if bias != nil { out.append(need[2] ? g.sum(axes: [0, 2, 3]) : nil) }
            return out
        }
    }

    /// Convenience for square stride and padding.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int, padding: Int) -> Tensor {
        conv2d(weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding))
    }

    /// Gradient of conv2d w.r.t. its input (a transposed convolution); self is the output gradient.
    /// Differentiable in both self and weight.
    public func conv2dInputGrad(weight: Tensor, inputShape: [Int], stride: (Int, Int) = (1, 1),
                                padding: (Int, Int) = (0, 0)) -> Tensor {
        let g = self
        let value = g.array.conv2dInputGrad(weight: weight.array, inputShape: inputShape, stride: stride, padding: padding)
        return Tensor.record("conv2dInputGrad", value, [g, weight]) { gg, need in
            // <gg, inputGrad(g, w)> = <conv2d(gg, w), g>
            [need[0] ? gg.conv2d(weight: weight, stride: stride, padding: padding) : nil,
             need[1] ? gg.conv2dWeightGrad(gradOutput: g, weightShape: weight.shape, stride: stride, padding: padding) : nil]
        }
    }

    /// Gradient of conv2d w.r.t. its weight; self is the convolution input. Differentiable in both.
    public func conv2dWeightGrad(gradOutput: Tensor, weightShape: [Int], stride: (Int, Int) = (1, 1),
                                 padding: (Int, Int) = (0, 0)) -> Tensor {
        let x = self, g = gradOutput, inputShape = shape
        let value = x.array.conv2dWeightGrad(gradOutput: g.array, weightShape: weightShape, stride: stride, padding: padding)
        return Tensor.record("conv2dWeightGrad", value, [x, g]) { gg, need in
            // <gg, weightGrad(x, g)> = <conv2d(x, gg), g>
            [need[0] ? g.conv2dInputGrad(weight: gg, inputShape: inputShape, stride: stride, padding: padding) : nil,
             need[1] ? x.conv2d(weight: gg, stride: stride, padding: padding) : nil]
        }
    }

    /// Average pooling without padding; stride defaults to the kernel size.
    public func avgPool2d(kernel: Int, stride: Int? = nil) -> Tensor {
        let k = (kernel, kernel), s = (stride ?? kernel, stride ?? kernel), from = shape
        return Tensor.record("avgPool2d", array.avgPool2d(kernel: k, stride: s), [self]) { g, _ in
            [g.avgPool2dBackward(inputShape: from, kernel: k, stride: s)]
        }
    }

    /// Adjoint of avgPool2d (self is the output gradient); its own gradient is avgPool2d.
    public func avgPool2dBackward(inputShape: [Int], kernel: (Int, Int), stride: (Int, Int)) -> Tensor {
        let value = array.avgPool2dBackward(inputShape: inputShape, kernel: kernel, stride: stride)
        return Tensor.record("avgPool2dBackward", value, [self]) { gg, _ in
            [Tensor.record("avgPool2d", gg.array.avgPool2d(kernel: kernel, stride: stride), [gg]) { g3, _ in
                [g3.avgPool2dBackward(inputShape: inputShape, kernel: kernel, stride: stride)]
            }]
        }
    }

    /// Max pooling without padding; the gradient routes to the first maximum of each window.
    public func maxPool2d(kernel: Int, stride: Int? = nil) -> Tensor {
        let s = stride ?? kernel, from = shape
        let (value, argmax) = array.maxPool2d(kernel: (kernel, kernel), stride: (s, s))
        let planes = from[0] * from[1], outShape = value.shape, m = from[2] * from[3]
        let k = outShape[2] * outShape[3]
        return Tensor.record("maxPool2d", value, [self]) { g, _ in
            [g.reshaped([planes, 1, k]).scatterAddLast(argmax, m: m).reshaped(from)]
        }
    }
}
