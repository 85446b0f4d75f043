import DDTensor

extension Tensor {
    /// Sums a broadcast gradient back down to `target` (the shape of the operand that was broadcast).
    public func sumTo(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "sumTo \(target) from \(shape)")
        var axes = Array(0..<lead)
        for i in 0..<target.count where target[i] == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        let from = shape
        let value = array.sum(axes: axes, keepDims: true).reshaped(target)
        return Tensor.record("sumTo", value, [self]) { g, _ in [g.broadcast(to: from)] }
    }

    /// Broadcasts to `target` (numpy rules); the gradient sums back.
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let from = shape
        return Tensor.record("broadcast", array.broadcast(to: target), [self]) { g, _ in [g.sumTo(from)] }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return record("add", a.array + b.array, [a, b]) { g, need in
            [need[0] ? g.sumTo(sa) : nil, need[1] ? g.sumTo(sb) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (sa, sb) = (a.shape, b.shape)
        return record("sub", a.array - b.array, [a, b]) { g, need in
            [need[0] ? g.sumTo(sa) : nil, need[1] ? (-g).sumTo(sb) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        record("mul", a.array * b.array, [a, b]) { g, need in
            [need[0] ? (g * b).sumTo(a.shape) : nil, need[1] ? (g * a).sumTo(b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        record("div", a.array / b.array, [a, b]) { g, need in
            [need[0] ? (g / b).sumTo(a.shape) : nil, need[1] ? (-(g * a) / (b * b)).sumTo(b.shape) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        record("neg", -a.array, [a]) { g, _ in [-g] }
    }

    public static func + (a: Tensor, s: Double) -> Tensor { record("addScalar", a.array + s, [a]) { g, _ in [g] } }
    public static func - (a: Tensor, s: Double) -> Tensor { a + (-s) }
    public static func + (s: Double, a: Tensor) -> Tensor { a + s }
    public static func - (s: Double, a: Tensor) -> Tensor { (-a) + s }
    public static func * (a: Tensor, s: Double) -> Tensor { record("mulScalar", a.array * s, [a]) { g, _ in [g * s] } }
    public static func * (s: Double, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Double) -> Tensor { a * (1 / s) }
    public static func / (s: Double, a: Tensor) -> Tensor { a.reciprocal() * s }

    /// Multiplies by a constant array (a mask or a fixed factor), broadcasting; no gradient to the constant.
    public func scaled(by constant: NDArray) -> Tensor {
        let from = shape
        return Tensor.record("mulConst", array * constant, [self]) { g, _ in [g.scaled(by: constant).sumTo(from)] }
    }

    public func reciprocal() -> Tensor {
        Tensor.record("reciprocal", array.map(.reciprocal), [self]) { g, _ in [-(g * self.reciprocal().square())] }
    }
    public func square() -> Tensor {
        Tensor.record("square", array.map(.square), [self]) { g, _ in [g * self * 2] }
    }
    public func exp() -> Tensor {
        Tensor.record("exp", array.map(.exp), [self]) { g, _ in [g * self.exp()] }
    }
    public func log() -> Tensor {
        Tensor.record("log", array.map(.log), [self]) { g, _ in [g / self] }
    }
    public func sqrt() -> Tensor {
        Tensor.record("sqrt", array.map(.sqrt), [self]) { g, _ in [g / (self.sqrt() * 2)] }
    }
    /// x^p for a constant exponent.
    public func pow(_ p: Double) -> Tensor {
        if p == 2 { return square() }
        return Tensor.record("pow", array.map(.pow(p)), [self]) { g, _ in [g * self.pow(p - 1) * p] }
    }
    public func abs() -> Tensor {
        Tensor.record("abs", array.map(.abs), [self]) { g, _ in [g.scaled(by: self.array.map(.sign))] }
    }
    public func relu() -> Tensor {
        Tensor.record("relu", array.map(.relu), [self]) { g, _ in [g.passingWherePositive(self)] }
    }

    /// self where `reference` > 0, else 0 (the ReLU backward, one pass). Differentiable in self only:
    /// the mask is piecewise constant. Reuses `reference` rather than storing a separate mask.
    public func passingWherePositive(_ reference: Tensor) -> Tensor {
        let value = array.binary(reference.array, .passWherePositive), mask = reference.detach()
        return Tensor.record("passWherePositive", value, [self]) { gg, _ in [gg.passingWherePositive(mask)] }
    }

    public func leakyReLU(_ slope: Double = 0.01) -> Tensor {
        Tensor.record("leakyReLU", array.map(.leakyReLU(slope)), [self]) { g, _ in
            [g.scaled(by: self.array.map(.leakyStep(slope)))]
        }
    }
    public func sigmoid() -> Tensor {
        Tensor.record("sigmoid", array.map(.sigmoid), [self]) { g, _ in
            let s = self.sigmoid()
            return [g * s * (1 - s)]
        }
    }
    public func tanh() -> Tensor {
        Tensor.record("tanh", array.map(.tanh), [self]) { g, _ in
            let t = self.tanh()
            return [g * (1 - t.square())]
        }
    }
    /// log(1 + e^x), computed stably.
    public func softplus() -> Tensor {
        Tensor.record("softplus", array.map(.softplus), [self]) { g, _ in [g * self.sigmoid()] }
    }

    /// mask ? a : b elementwise (mask of 1/0 in the same dtype, broadcast to the result).
    public static func select(_ mask: NDArray, _ a: Tensor, _ b: Tensor) -> Tensor {
        let inverse = 1.0 - mask
        return a.scaled(by: mask) + b.scaled(by: inverse)
    }
}
