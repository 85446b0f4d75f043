import DDAutograd
import DDTensor

/// How a parameter starts (PyTorch module defaults: U(−1/√fan_in, 1/√fan_in) for conv/linear weights and
/// biases, 1 and 0 for norm scales and shifts).
public enum ParameterInit: Equatable, Sendable {
    case uniform(bound: Double)
    case constant(Double)
}

/// Name, shape and initialisation of one trainable tensor, in PyTorch `parameters()` order.
public struct ParameterInfo: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let initialization: ParameterInit
    public var count: Int { shape.reduce(1, *) }
}

/// One step of a network, interpreted by `LayerRunner`. Parameters are consumed in declaration order,
/// which is how a network stays a pure function of an explicit parameter list.
indirect enum Layer: Sendable {
    case conv(name: String, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int, bias: Bool)
    case linear(name: String, inFeatures: Int, outFeatures: Int)
    /// `height`/`width` are the spatial size at this point (LayerNorm's affine tensors are [C, H, W]).
    case norm(name: String, kind: NetworkSpec.Norm, channels: Int, height: Int, width: Int)
    case activation(NetworkSpec.Activation)
    case avgPool(Int)
    case maxPool(Int)
    case flatten
    /// relu(main(x) + shortcut(x)); an empty shortcut is the identity (a ResNet basic block).
    case residual(main: [Layer], shortcut: [Layer])

    var parameters: [ParameterInfo] {
        switch self {
        case let .conv(name, cin, cout, k, _, _, bias):
            let bound = 1 / Double(cin * k * k).squareRoot()
            let w = ParameterInfo(name: name + ".weight", shape: [cout, cin, k, k], initialization: .uniform(bound: bound))
            return bias ? [w, ParameterInfo(name: name + ".bias", shape: [cout], initialization: .uniform(bound: bound))] : [w]
        case let .linear(name, fin, fout):
            let bound = 1 / Double(fin).squareRoot()
            return [ParameterInfo(name: name + ".weight", shape: [fout, fin], initialization: .uniform(bound: bound)),
                    ParameterInfo(name: name + ".bias", shape: [fout], initialization: .uniform(bound: bound))]
        case let .norm(name, kind, c, h, w):
            let shape = kind == .layer ? [c, h, w] : [c]
            return kind == .none ? [] : [ParameterInfo(name: name + ".weight", shape: shape, initialization: .constant(1)),
                                         ParameterInfo(name: name + ".bias", shape: shape, initialization: .constant(0))]
        case let .residual(main, shortcut):
            return (main + shortcut).flatMap(\.parameters)
        case .activation, .avgPool, .maxPool, .flatten:
            return []
        }
    }

    /// Names of the batch-norm layers (each owns one running-statistics buffer), in order.
    var batchNormNames: [String] {
        switch self {
        case let .norm(name, kind, _, _, _): return kind == .batch ? [name] : []
        case let .residual(main, shortcut): return (main + shortcut).flatMap(\.batchNormNames)
        default: return []
        }
    }
}

/// Runs a layer list over an input, taking parameters and batch-norm statistics from explicit lists.
struct LayerRunner {
    let parameters: [Tensor]
    let buffers: [BatchNormStatistics]
    let training: Bool
    var cursor = 0
    var bufferCursor = 0

    private mutating func take(_ count: Int) -> [Tensor] {
        defer { cursor += count }
        return Array(parameters[cursor ..< cursor + count])
    }

    mutating func run(_ layers: [Layer], _ input: Tensor) -> Tensor {
        var x = input
        var index = 0
        while index < layers.count {
            // Without a graph, group/instance norm followed by ReLU is one sweep over the activations.
            if !GradMode.isEnabled, index + 1 < layers.count, case let .norm(_, kind, channels, _, _) = layers[index],
               let groups = Self.groupCount(kind, channels: channels), case .activation(.relu) = layers[index + 1] {
                let p = take(2)
                x = x.groupNormReLU(groups: groups, weight: p[0], bias: p[1])
                index += 2
                continue
            }
            x = run(layers[index], x)
            index += 1
        }
        return x
    }

    mutating func run(_ layer: Layer, _ x: Tensor) -> Tensor {
        switch layer {
        case let .conv(_, _, _, _, stride, padding, bias):
            let p = take(bias ? 2 : 1)
            return x.conv2d(weight: p[0], bias: bias ? p[1] : nil, stride: stride, padding: padding)
        case .linear:
            let p = take(2)
            return x.linear(weight: p[0], bias: p[1])
        case let .norm(_, kind, channels, _, _):
            return normalize(x, kind: kind, channels: channels)
        case let .activation(kind):
            return activate(x, kind)
        case let .avgPool(k):
            return x.avgPool2d(kernel: k)
        case let .maxPool(k):
            return x.maxPool2d(kernel: k)
        case .flatten:
            return x.reshaped([x.shape[0], -1])
        case let .residual(main, shortcut):
            let y = run(main, x)
            let skip = run(shortcut, x)
            return (y + skip).relu()
        }
    }

    /// Groups of the affine group-norm kinds: instance norm is GroupNorm(C, C), group norm GroupNorm(4, C).
    private static func groupCount(_ kind: NetworkSpec.Norm, channels: Int) -> Int? {
        switch kind {
        case .instance: return channels
        case .group: return 4
        default: return nil
        }
    }

    private mutating func normalize(_ x: Tensor, kind: NetworkSpec.Norm, channels: Int) -> Tensor {
        switch kind {
        case .none:
            return x
        case .instance, .group:
            let p = take(2)
            return x.groupNorm(groups: Self.groupCount(kind, channels: channels)!, weight: p[0], bias: p[1])
        case .layer:
            // LayerNorm over [C, H, W] = one group without affine, then an elementwise [C, H, W] affine.
            let p = take(2)
            let normalized = x.groupNorm(groups: 1, weight: nil, bias: nil)
            return normalized * p[0] + p[1]
        case .batch:
            let p = take(2)
            let statistics = bufferCursor < buffers.count ? buffers[bufferCursor] : nil
            bufferCursor += 1
            require(training || statistics != nil,
                    "batch norm in evaluation mode needs the network's running statistics (buffers)")
            return x.batchNorm(weight: p[0], bias: p[1], statistics: statistics, training: training)
        }
    }

    private func activate(_ x: Tensor, _ kind: NetworkSpec.Activation) -> Tensor {
        switch kind {
        case .relu: return x.relu()
        case .sigmoid: return x.sigmoid()
        case .leakyrelu: return x.leakyReLU(0.01)
        case .swish: return x * x.sigmoid()
        }
    }
}
