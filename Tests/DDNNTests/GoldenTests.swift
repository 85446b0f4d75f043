import DDAutograd
import DDNN
import DDTensor
import Foundation
import Testing

/// ConvNet-3 forward values (MNIST geometry) against numpy: golden/convnet3.py computes them independently
/// in float64 from the same formula-defined weights and input; golden/convnet3.txt is what it printed.
@Suite struct GoldenForwardTests {
    static let logits: [[Double]] = [
        [0.0697299621707242, 0.011794559737158997, -0.03345212671029968, 0.11279952863357805, -0.07129064485381899,
         0.07417525462194537, 0.010024908037110786, -0.0543192912346426, 0.08639440923843361, -0.1038082568041545],
        [0.036945468192268724, 0.06740708298875964, -0.09013448414957183, 0.14837495648586735, -0.07184038787840015,
         0.039484227883348766, 0.0663839679796022, -0.11029610956230307, 0.12008826175782233, -0.1020365476999162],
    ]
    static let embeddingSum = 1576.6986095349548
    static let embeddingHead: [Double] = [0.1555021408680652, 0.046335575622828654, 0.0, 0.0]
    static let embeddingTail: [Double] = [0.0, 0.0, 0.06366584314895411, 0.28670101432023204]

    /// The script's weights: sin(0.37·i + t)/√fan_in for conv/linear tensors, 1 + 0.1·sin(…) for GroupNorm γ,
    /// 0.1·cos(…) for β (t = parameter index, i = element index).
    static func parameters(_ net: Network, dtype: DType) -> [Tensor] {
        let fanIn: [Int?] = [9, 9, nil, nil, 1152, 1152, nil, nil, 1152, 1152, nil, nil, 2048, 2048]
        return net.parameterShapes.enumerated().map { t, shape in
            let n = shape.reduce(1, *)
            let values: [Double] = (0..<n).map { i in
                let phase = 0.37 * Double(i) + Double(t)
                if let f = fanIn[t] { return sin(phase) / Double(f).squareRoot() }
                return t % 4 == 2 ? 1 + 0.1 * sin(phase) : 0.1 * cos(phase)
            }
            return Tensor(NDArray(shape: shape, doubles: values).converted(to: dtype))
        }
    }

    static func input(dtype: DType) -> Tensor {
        let values = (0..<(2 * 28 * 28)).map { j in sin(0.173 * Double(j)) + 0.5 * cos(0.031 * Double(j)) }
        return Tensor(NDArray(shape: [2, 1, 28, 28], doubles: values).converted(to: dtype))
    }

    @Test(arguments: [(DType.float64, 1e-10), (DType.float32, 2e-5)])
    func convNet3MatchesNumpy(dtype: DType, tolerance: Double) throws {
        let net = try network("convnet")
        let params = Self.parameters(net, dtype: dtype)
        let x = Self.input(dtype: dtype)
        let embedding = net.embed(x, parameters: params)
        #expect(embedding.shape == [2, 2048])
        let e = embedding.doubles
        #expect(maxDifference(Array(e.prefix(4)), Self.embeddingHead) <= tolerance)
        #expect(maxDifference(Array(e.suffix(4)), Self.embeddingTail) <= tolerance)
        #expect(Swift.abs(e.reduce(0, +) - Self.embeddingSum) <= tolerance * 2000)
        let logits = net.forward(x, parameters: params).doubles
        #expect(maxDifference(logits, Self.logits.flatMap { $0 }) <= tolerance)
    }
}
