/// Which network to build and with which options. Parsed from short names such as `convnet`,
/// `convnet-d4-w64-bn`, `vgg11-bn` or `resnet18-bn-ap`; `description` is the canonical form (defaults
/// omitted, options in a fixed order), so equal specs always print the same string (it enters cache keys).
public struct NetworkSpec: Hashable, Sendable, CustomStringConvertible {
    public enum Architecture: String, CaseIterable, Sendable {
        case convnet, mlp, lenet, alexnet, vgg11, resnet18
    }

    public enum Activation: String, CaseIterable, Sendable {
        case relu, sigmoid, leakyrelu, swish
    }

    /// Normalisation after each convolution. `instance` is GroupNorm(C, C) (the reference's
    /// "instancenorm"), `group` is GroupNorm(4, C), `layer` is LayerNorm over [C, H, W].
    public enum Norm: String, CaseIterable, Sendable {
        case instance = "in", group = "gn", batch = "bn", layer = "ln", none = "nn"
    }

    public enum Pooling: String, CaseIterable, Sendable {
        case average = "avgpool", max = "maxpool", none = "nopool"
    }

    public var architecture: Architecture
    /// ConvNet only: number of conv blocks and channels per block.
    public var depth: Int
    public var width: Int
    /// ConvNet only.
    public var activation: Activation
    public var norm: Norm
    /// ConvNet only.
    public var pooling: Pooling
    /// ResNet18 only: stride-2 convolutions replaced by stride 1 + 2×2 average pooling (ResNet18BN_AP).
    public var averagePoolDownsampling: Bool

    public init(_ architecture: Architecture, depth: Int = 3, width: Int = 128, activation: Activation = .relu,
                norm: Norm? = nil, pooling: Pooling = .average, averagePoolDownsampling: Bool = false) {
        self.architecture = architecture
        self.depth = depth
        self.width = width
        self.activation = activation
        self.norm = norm ?? NetworkSpec.defaultNorm(architecture)
        self.pooling = pooling
        self.averagePoolDownsampling = averagePoolDownsampling
    }

    /// ConvNet-3: width 128, GroupNorm(C, C), ReLU, average pooling.
    public static let convNet3 = NetworkSpec(.convnet)

    static func defaultNorm(_ a: Architecture) -> Norm {
        switch a {
        case .convnet, .vgg11, .resnet18: return .instance
        case .mlp, .lenet, .alexnet: return .none
        }
    }

    /// Norms each architecture can be built with (the reference's variants).
    static func allowedNorms(_ a: Architecture) -> [Norm] {
        switch a {
        case .convnet: return Norm.allCases
        case .mlp, .lenet: return [.none]
        case .alexnet: return [.none, .batch]
        case .vgg11, .resnet18: return [.instance, .batch]
        }
    }

    public var description: String {
        var parts = [architecture.rawValue]
        if architecture == .convnet {
            if depth != 3 { parts.append("d\(depth)") }
            if width != 128 { parts.append("w\(width)") }
            if activation != .relu { parts.append(activation.rawValue) }
        }
        if norm != NetworkSpec.defaultNorm(architecture) { parts.append(norm.rawValue) }
        if architecture == .convnet && pooling != .average { parts.append(pooling.rawValue) }
        if averagePoolDownsampling { parts.append("ap") }
        return parts.joined(separator: "-")
    }

    /// Parses a name such as `convnet-d4-w64-sigmoid-bn-maxpool` (options in any order, case-insensitive).
    public init(parsing text: String) throws {
        let tokens = text.lowercased().split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let first = tokens.first, let arch = Architecture(rawValue: first) else {
            throw NetworkSpecError.unknownArchitecture(text)
        }
        self.init(arch)
        var seen = Set<String>()
        for token in tokens.dropFirst() {
            guard seen.insert(token).inserted else { throw NetworkSpecError.invalidOption(text, token) }
            if let norm = Norm(rawValue: token), NetworkSpec.allowedNorms(arch).contains(norm) {
                self.norm = norm
            } else if arch == .convnet, let a = Activation(rawValue: token) {
                activation = a
            } else if arch == .convnet, let p = Pooling(rawValue: token) {
                pooling = p
            } else if arch == .convnet, let d = NetworkSpec.number(token, prefix: "d"), (1...8).contains(d) {
                depth = d
            } else if arch == .convnet, let w = NetworkSpec.number(token, prefix: "w"), (1...4096).contains(w) {
                width = w
            } else if arch == .resnet18, token == "ap" {
                averagePoolDownsampling = true
            } else {
                throw NetworkSpecError.invalidOption(text, token)
            }
        }
    }

    private static func number(_ token: String, prefix: Character) -> Int? {
        guard token.first == prefix, token.count > 1, token.dropFirst().allSatisfy(\.isASCII) else { return nil }
        return Int(token.dropFirst())
    }

    /// Human-readable list of the accepted names, used in error messages and help texts.
    public static let validNames = """
        convnet[-d<depth 1…8>][-w<width>][-relu|-sigmoid|-leakyrelu|-swish][-in|-gn|-bn|-ln|-nn]\
        [-avgpool|-maxpool|-nopool], mlp, lenet, alexnet[-bn], vgg11[-bn], resnet18[-bn][-ap] \
        (e.g. convnet, convnet-d4, convnet-w64, convnet-bn, resnet18-bn-ap)
        """
}

public enum NetworkSpecError: Error, CustomStringConvertible, Equatable {
    case unknownArchitecture(String)
    case invalidOption(String, String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let s):
            return "unknown network '\(s)'; valid names: \(NetworkSpec.validNames)"
        case .invalidOption(let s, let option):
            return "network '\(s)': option '\(option)' is not valid here; valid names: \(NetworkSpec.validNames)"
        }
    }
}
