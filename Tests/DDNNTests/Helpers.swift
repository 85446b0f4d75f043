import DDAutograd
import DDNN
import DDTensor
import Testing

func network(_ name: String, channels: Int = 1, size: Int = 28, classes: Int = 10) throws -> Network {
    try Network(NetworkSpec(parsing: name), channels: channels, height: size, width: size, classes: classes)
}

/// Largest |a − b| over two equally long lists.
func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
}

/// Parameters of matching shapes, all zero (shape tests of big networks skip the random draw).
func zeroParameters(_ net: Network, dtype: DType = .float32) -> [Tensor] {
    net.parameterShapes.map { Tensor.zeros($0, dtype: dtype) }
}
