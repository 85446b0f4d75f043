/// Why a network cannot be built for a given input geometry.
public enum NetworkBuildError: Error, CustomStringConvertible, Equatable {
    case invalidInput(String)

    public var description: String {
        switch self { case .invalidInput(let s): return s }
    }
}

/// Appends layers while tracking the activation geometry, so every layer knows its input size and an
/// input too small for the architecture is reported instead of crashing in a kernel.
struct LayerBuilder {
    private(set) var channels: Int
    private(set) var height: Int
    private(set) var width: Int
    private(set) var layers: [Layer] = []
    let prefix: String
    let network: String
    /// Index of the next layer in the PyTorch `nn.Sequential` (names such as `features.4.weight`).
    private var index = 0

    init(channels: Int, height: Int, width: Int, prefix: String, network: String) {
        self.channels = channels; self.height = height; self.width = width
        self.prefix = prefix; self.network = network
    }

    private mutating func nextName(_ explicit: String?) -> String {
        defer { index += 1 }
        return explicit ?? "\(prefix).\(index)"
    }

    private func tooSmall(_ what: String) -> NetworkBuildError {
        .invalidInput("\(network): activation \(channels)×\(height)×\(width) too small for \(what)")
    }

    mutating func conv(_ out: Int, kernel: Int, stride: Int = 1, padding: Int, bias: Bool = true,
                       name: String? = nil) throws {
        guard height + 2 * padding >= kernel, width + 2 * padding >= kernel else {
            throw tooSmall("a \(kernel)×\(kernel) convolution")
        }
        layers.append(.conv(name: nextName(name), inChannels: channels, outChannels: out, kernel: kernel,
                            stride: stride, padding: padding, bias: bias))
        channels = out
        height = (height + 2 * padding - kernel) / stride + 1
        width = (width + 2 * padding - kernel) / stride + 1
    }

    mutating func norm(_ kind: NetworkSpec.Norm, name: String? = nil) throws {
        if kind == .none { return }
        if kind == .group && channels % 4 != 0 {
            throw NetworkBuildError.invalidInput("\(network): GroupNorm(4, C) needs C divisible by 4, got \(channels)")
        }
        layers.append(.norm(name: nextName(name), kind: kind, channels: channels, height: height, width: width))
    }

    mutating func activation(_ kind: NetworkSpec.Activation) {
        layers.append(.activation(kind)); index += 1
    }

    mutating func pool(_ kind: NetworkSpec.Pooling, size: Int = 2) throws {
        if kind == .none { return }
        guard height >= size, width >= size else { throw tooSmall("\(size)×\(size) pooling") }
        layers.append(kind == .max ? .maxPool(size) : .avgPool(size)); index += 1
        height /= size; width /= size
    }

    mutating func flatten() {
        layers.append(.flatten)
        channels = channels * height * width; height = 1; width = 1
    }

    mutating func linear(_ out: Int, name: String) {
        layers.append(.linear(name: name, inFeatures: channels, outFeatures: out))
        channels = out
    }

    /// A ResNet basic block: conv3×3 → norm → ReLU → conv3×3 → norm, plus a 1×1 conv + norm shortcut when
    /// the shape changes. With `averagePool`, a stride-2 block uses stride 1 and a 2×2 average pool instead.
    mutating func basicBlock(_ out: Int, stride: Int, norm: NetworkSpec.Norm, averagePool: Bool, name: String) throws {
        let down = averagePool && stride != 1
        var main = LayerBuilder(channels: channels, height: height, width: width, prefix: name, network: network)
        try main.conv(out, kernel: 3, stride: down ? 1 : stride, padding: 1, bias: false, name: name + ".conv1")
        try main.norm(norm, name: name + ".bn1")
        main.activation(.relu)
        if down { try main.pool(.average) }
        try main.conv(out, kernel: 3, padding: 1, bias: false, name: name + ".conv2")
        try main.norm(norm, name: name + ".bn2")
        var shortcut = LayerBuilder(channels: channels, height: height, width: width, prefix: name + ".shortcut",
                                    network: network)
        if stride != 1 || channels != out {
            try shortcut.conv(out, kernel: 1, stride: down ? 1 : stride, padding: 0, bias: false)
            if down { try shortcut.pool(.average) }  // unnamed, but keeps PyTorch's index of the norm
            try shortcut.norm(norm)
        }
        layers.append(.residual(main: main.layers, shortcut: shortcut.layers))
        channels = main.channels; height = main.height; width = main.width
    }
}

extension Network {
    /// Feature layers (up to and including the flatten) and the classifier for each architecture,
    /// following /work/shared/reference/networks.md.
    static func layers(_ spec: NetworkSpec, channels c: Int, height h: Int, width w: Int,
                       classes: Int) throws -> (features: [Layer], classifier: Layer) {
        var b = LayerBuilder(channels: c, height: h, width: w, prefix: "features", network: spec.description)
        // The reference pads 1-channel input by 3 (not 1) in the first conv, so 28×28 becomes 32×32.
        let firstPadding = c == 1 ? 3 : 1
        var classifierName = "classifier"
        switch spec.architecture {
        case .convnet:
            for d in 0..<spec.depth {
                try b.conv(spec.width, kernel: 3, padding: d == 0 ? firstPadding : 1)
                try b.norm(spec.norm)
                b.activation(spec.activation)
                try b.pool(spec.pooling)
            }
            b.flatten()
        case .mlp:
            b.flatten()
            b.linear(128, name: "fc_1"); b.activation(.relu)
            b.linear(128, name: "fc_2"); b.activation(.relu)
            classifierName = "fc_3"
        case .lenet:
            try b.conv(6, kernel: 5, padding: c == 1 ? 2 : 0); b.activation(.relu); try b.pool(.max)
            try b.conv(16, kernel: 5, padding: 0); b.activation(.relu); try b.pool(.max)
            b.flatten()
            b.linear(120, name: "fc_1"); b.activation(.relu)
            b.linear(84, name: "fc_2"); b.activation(.relu)
            classifierName = "fc_3"
        case .alexnet:
            let convs: [(out: Int, kernel: Int, padding: Int, pool: Bool)] = [
                (128, 5, c == 1 ? 4 : 2, true), (192, 5, 2, true), (256, 3, 1, false), (192, 3, 1, false), (192, 3, 1, true),
            ]
            for conv in convs {
                try b.conv(conv.out, kernel: conv.kernel, padding: conv.padding)
                try b.norm(spec.norm)
                b.activation(.relu)
                if conv.pool { try b.pool(.max) }
            }
            b.flatten()
            classifierName = "fc"
        case .vgg11:
            let config = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]  // 0 = 2×2 max pool
            var first = true
            for item in config {
                if item == 0 { try b.pool(.max); continue }
                try b.conv(item, kernel: 3, padding: first ? firstPadding : 1)
                try b.norm(spec.norm)
                b.activation(.relu)
                first = false
            }
            b.flatten()
        case .resnet18:
            var stem = LayerBuilder(channels: c, height: h, width: w, prefix: "", network: spec.description)
            try stem.conv(64, kernel: 3, padding: 1, bias: false, name: "conv1")
            try stem.norm(spec.norm, name: "bn1")
            stem.activation(.relu)
            b = stem
            for (stage, (out, stride)) in [(64, 1), (128, 2), (256, 2), (512, 2)].enumerated() {
                for block in 0..<2 {
                    try b.basicBlock(out, stride: block == 0 ? stride : 1, norm: spec.norm,
                                     averagePool: spec.averagePoolDownsampling, name: "layer\(stage + 1).\(block)")
                }
            }
            if !spec.averagePoolDownsampling { try b.pool(.average, size: 4) }
            b.flatten()
        }
        return (b.layers, .linear(name: classifierName, inFeatures: b.channels, outFeatures: classes))
    }
}
