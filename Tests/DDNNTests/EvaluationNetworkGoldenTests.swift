import DDAutograd
import DDNN
import DDTensor
import Foundation
import Testing

/// Logits of the evaluation networks against numpy: golden/evaluation_networks.py builds each network
/// independently from the reference and prints golden/evaluation_networks.txt, which this test reads.
/// The formula weights depend on each tensor's position, so a wrong parameter order fails here too.
@Suite struct EvaluationNetworkGoldenTests {
    /// name → logits (2 × 10), parsed from the committed script output.
    static func golden() throws -> [String: [Double]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("golden/evaluation_networks.txt")
        var result: [String: [Double]] = [:]
        var current = ""
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            if !line.hasPrefix(" ") {
                current = String(line.split(separator: " ")[0])
            } else if let colon = line.firstIndex(of: "]") {
                let numbers = line[line.index(after: colon)...].split(separator: ",").compactMap {
                    Double($0.trimmingCharacters(in: .whitespaces))
                }
                result[current, default: []] += numbers
            }
        }
        return result
    }

    /// The script's weights: sin(0.37·i + t)/√fan_in for conv/linear tensors (a bias uses its weight's
    /// fan-in), 1 + 0.1·sin(…) for norm γ, 0.1·cos(…) for β.
    static func formulaParameters(_ net: Network) -> [Tensor] {
        var fanIn = 1
        return net.parameterInfo.enumerated().map { t, info in
            if info.shape.count > 1 { fanIn = info.shape.dropFirst().reduce(1, *) }
            var values = [Double](repeating: 0, count: info.count)
            for i in values.indices {
                let phase = 0.37 * Double(i) + Double(t)
                switch info.initialization {
                case .uniform: values[i] = sin(phase) / Double(fanIn).squareRoot()
                case .constant(let c): values[i] = c == 1 ? 1 + 0.1 * sin(phase) : 0.1 * cos(phase)
                }
            }
            return Tensor(shape: info.shape, doubles: values)
        }
    }

    @Test(arguments: ["mlp", "lenet", "alexnet", "vgg11", "resnet18", "resnet18-bn-ap"])
    func logitsMatchNumpy(name: String) throws {
        let expected = try #require(try Self.golden()[name])
        #expect(expected.count == 20)
        let net = try network(name)
        let values = (0..<(2 * 28 * 28)).map { j in sin(0.173 * Double(j)) + 0.5 * cos(0.031 * Double(j)) }
        let x = Tensor(shape: [2, 1, 28, 28], doubles: values)
        let logits = withNoGrad { net.forward(x, parameters: Self.formulaParameters(net), training: true) }
        #expect(maxDifference(logits.doubles, expected) < 1e-8, "\(name)")  // 11M-parameter nets: rounding ~1e-10
    }
}
