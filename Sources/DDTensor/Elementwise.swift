import DDKernels

/// Row-major iteration over an output shape with up to two strided (possibly broadcast) operands.
/// Adjacent dimensions that are contiguous for every operand are merged, so the common cases
/// (same shape, scalar, per-channel bias) become one long inner loop.
struct StridedPlan {
    var outer: [Int] = [], outerA: [Int] = [], outerB: [Int] = []
    var inner = 1, innerA = 0, innerB = 0
    var rows = 1

    /// `a` and `b` are element strides per output dimension (0 = broadcast).
    init(shape: [Int], a: [Int], b: [Int]) {
        var dims: [(n: Int, a: Int, b: Int)] = []
        for i in 0..<shape.count where shape[i] != 1 {
            if let last = dims.last, last.a == a[i] * shape[i], last.b == b[i] * shape[i] {
                dims[dims.count - 1] = (last.n * shape[i], a[i], b[i])
            } else {
                dims.append((shape[i], a[i], b[i]))
            }
        }
        if let last = dims.popLast() { inner = last.n; innerA = last.a; innerB = last.b }
        outer = dims.map(\.n); outerA = dims.map(\.a); outerB = dims.map(\.b)
        rows = outer.reduce(1, *)
    }

    @inline(__always) func offsets(_ row: Int) -> (Int, Int) {
        var r = row, oa = 0, ob = 0
        var i = outer.count - 1
        while i >= 0 {
            let q = r / outer[i], idx = r - q * outer[i]
            oa += idx * outerA[i]; ob += idx * outerB[i]
            r = q; i -= 1
        }
        return (oa, ob)
    }

    var grain: Int { max(1, 32768 / max(1, inner)) }
}

/// Strides of an operand of shape `s` broadcast against output shape `out` (0 where broadcast).
func broadcastStrides(_ s: [Int], to out: [Int]) -> [Int] {
    let pad = out.count - s.count
    let own = contiguousStrides(s)
    return (0..<out.count).map { i in i < pad || s[i - pad] == 1 ? 0 : own[i - pad] }
}

public enum BinaryOp: Sendable {
    case add, sub, mul, div, maximum, minimum, equal, greater, greaterEqual, less, lessEqual
    /// b > 0 ? a : 0 — the ReLU backward in one pass (a = gradient, b = the ReLU input).
    case passWherePositive
}

public enum UnaryOp: Sendable, Equatable {
    case neg, exp, log, sqrt, abs, sign, floor, square, reciprocal
    case relu, step, sigmoid, tanh, softplus
    /// x > 0 ? x : slope * x
    case leakyReLU(Double)
    /// x > 0 ? 1 : slope (the derivative of leakyReLU)
    case leakyStep(Double)
    case pow(Double), addScalar(Double), mulScalar(Double)
}

extension NDArray {
    public func map(_ op: UnaryOp) -> NDArray {
        switch dtype {
        case .float32: return unaryImpl(Float.self, op)
        case .float64: return unaryImpl(Double.self, op)
        }
    }

    private func unaryImpl<T: ArrayElement>(_: T.Type, _ op: UnaryOp) -> NDArray {
        var out = NDArray(shape: shape, dtype: dtype, zeroed: false)
        let src = pointer(T.self), dst = out.mutablePointer(T.self), n = count
        // Each case spells out its loop: passing the operation as a closure kept it from being inlined
        // (measured 7x slower on cheap ops).
        func each(_ body: (Range<Int>) -> Void) { Threads.parallelFor(n, grain: 32768, body) }
        switch op {
        case .neg: each { r in for i in r { dst[i] = -src[i] } }
        case .exp: each { r in for i in r { dst[i] = T.exp(src[i]) } }
        case .log: each { r in for i in r { dst[i] = T.log(src[i]) } }
        case .sqrt: each { r in for i in r { dst[i] = src[i].squareRoot() } }
        case .abs: each { r in for i in r { let v = src[i]; dst[i] = v < 0 ? -v : v } }
        case .sign: each { r in for i in r { let v = src[i]; dst[i] = v > 0 ? 1 : (v < 0 ? -1 : 0) } }
        case .floor: each { r in for i in r { dst[i] = src[i].rounded(.down) } }
        case .square: each { r in for i in r { let v = src[i]; dst[i] = v * v } }
        case .reciprocal: each { r in for i in r { dst[i] = 1 / src[i] } }
        case .relu: each { r in for i in r { let v = src[i]; dst[i] = v > 0 ? v : 0 } }
        case .step: each { r in for i in r { dst[i] = src[i] > 0 ? 1 : 0 } }
        // Branch-free: for very negative x, exp(−x) overflows to +inf and 1 / (1 + inf) is exactly 0.
        case .sigmoid: each { r in for i in r { dst[i] = 1 / (1 + T.exp(-src[i])) } }
        case .tanh: each { r in for i in r { dst[i] = T.tanh(src[i]) } }
        case .softplus: each { r in for i in r { let x = src[i]; dst[i] = (x > 0 ? x : 0) + T.log1p(T.exp(x > 0 ? -x : x)) } }
        case .leakyReLU(let s): let slope = T(s); each { r in for i in r { let v = src[i]; dst[i] = v > 0 ? v : slope * v } }
        case .leakyStep(let s): let slope = T(s); each { r in for i in r { dst[i] = src[i] > 0 ? 1 : slope } }
        case .pow(let p):
            let e = T(p)
            if p == 2 { each { r in for i in r { let v = src[i]; dst[i] = v * v } } }
            else if p == 1 { each { r in for i in r { dst[i] = src[i] } } }
            else { each { r in for i in r { dst[i] = T.pow(src[i], e) } } }
        case .addScalar(let s): let v = T(s); each { r in for i in r { dst[i] = src[i] + v } }
        case .mulScalar(let s): let v = T(s); each { r in for i in r { dst[i] = src[i] * v } }
        }
        return out
    }

    /// Broadcasting elementwise operation; comparisons give 1/0 masks in the same dtype.
    public func binary(_ other: NDArray, _ op: BinaryOp) -> NDArray {
        require(dtype == other.dtype, "dtype mismatch \(dtype) vs \(other.dtype)")
        guard let outShape = broadcastShape(shape, other.shape) else {
            fatalError("cannot broadcast \(shape) with \(other.shape)")
        }
        switch dtype {
        case .float32: return binaryImpl(Float.self, other, outShape, op)
        case .float64: return binaryImpl(Double.self, other, outShape, op)
        }
    }

    private func binaryImpl<T: ArrayElement>(_: T.Type, _ other: NDArray, _ outShape: [Int], _ op: BinaryOp) -> NDArray {
        var out = NDArray(shape: outShape, dtype: dtype, zeroed: false)
        let plan = StridedPlan(shape: outShape, a: broadcastStrides(shape, to: outShape),
                               b: broadcastStrides(other.shape, to: outShape))
        let pa = pointer(T.self), pb = other.pointer(T.self), po = out.mutablePointer(T.self)
        let inner = plan.inner, sa = plan.innerA, sb = plan.innerB
        @inline(__always) func run(_ f: (T, T) -> T) {
            Threads.parallelFor(plan.rows, grain: plan.grain) { range in
                for row in range {
                    let (oa, ob) = plan.offsets(row)
                    let a = pa + oa, b = pb + ob, o = po + row * inner
                    if sa == 1 && sb == 1 {
                        for i in 0..<inner { o[i] = f(a[i], b[i]) }
                    } else if sa == 1 && sb == 0 {
                        let bv = b[0]; for i in 0..<inner { o[i] = f(a[i], bv) }
                    } else if sa == 0 && sb == 1 {
                        let av = a[0]; for i in 0..<inner { o[i] = f(av, b[i]) }
                    } else {
                        for i in 0..<inner { o[i] = f(a[i * sa], b[i * sb]) }
                    }
                }
            }
        }
        switch op {
        case .add: run { $0 + $1 }
        case .sub: run { $0 - $1 }
        case .mul: run { $0 * $1 }
        case .div: run { $0 / $1 }
        case .maximum: run { $0 >= $1 ? $0 : $1 }
        case .minimum: run { $0 <= $1 ? $0 : $1 }
        case .equal: run { $0 == $1 ? 1 : 0 }
        case .greater: run { $0 > $1 ? 1 : 0 }
        case .greaterEqual: run { $0 >= $1 ? 1 : 0 }
        case .less: run { $0 < $1 ? 1 : 0 }
        case .lessEqual: run { $0 <= $1 ? 1 : 0 }
        case .passWherePositive: run { $1 > 0 ? $0 : 0 }
        }
        return out
    }

    public static func + (a: NDArray, b: NDArray) -> NDArray { a.binary(b, .add) }
    public static func - (a: NDArray, b: NDArray) -> NDArray { a.binary(b, .sub) }
    public static func * (a: NDArray, b: NDArray) -> NDArray { a.binary(b, .mul) }
    public static func / (a: NDArray, b: NDArray) -> NDArray { a.binary(b, .div) }
    public static func + (a: NDArray, s: Double) -> NDArray { a.map(.addScalar(s)) }
    public static func - (a: NDArray, s: Double) -> NDArray { a.map(.addScalar(-s)) }
    public static func * (a: NDArray, s: Double) -> NDArray { a.map(.mulScalar(s)) }
    public static func / (a: NDArray, s: Double) -> NDArray { a.map(.mulScalar(1 / s)) }
    public static func + (s: Double, a: NDArray) -> NDArray { a.map(.addScalar(s)) }
    public static func - (s: Double, a: NDArray) -> NDArray { a.map(.neg).map(.addScalar(s)) }
    public static func * (s: Double, a: NDArray) -> NDArray { a.map(.mulScalar(s)) }
    public static prefix func - (a: NDArray) -> NDArray { a.map(.neg) }

    /// Copy of this array broadcast to `target` (numpy rules).
    public func broadcast(to target: [Int]) -> NDArray {
        require(broadcastShape(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        if shape == target { return self }
        return stridedCopy(outShape: target, strides: broadcastStrides(shape, to: target), offset: 0)
    }
}
