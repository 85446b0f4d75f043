import DDAutograd
import DDTensor

/// A network as a pure function of an explicit, ordered parameter list (PyTorch `parameters()` order and
/// shapes) plus, for batch-norm variants, a separate list of running statistics (`buffers`).
/// The value itself holds only the architecture; parameters live with the caller, so gradient matching,
/// unrolled training and flat-vector SGD can all drive the same definition.
public struct Network: Sendable {
    public let spec: NetworkSpec
    /// [channels, height, width] of one input image.
    public let inputShape: [Int]
    public let classes: Int
    /// Every trainable tensor, in order.
    public let parameterInfo: [ParameterInfo]
    /// Names of the batch-norm layers, one running-statistics buffer each, in order.
    public let bufferNames: [String]
    /// Length of `embed`'s output (the classifier's input).
    public let embeddingSize: Int
    let features: [Layer]
    let classifier: Layer

    public init(_ spec: NetworkSpec, channels: Int, height: Int, width: Int, classes: Int) throws {
        guard channels > 0, height > 0, width > 0, classes > 0 else {
            throw NetworkBuildError.invalidInput("\(spec): input \(channels)×\(height)×\(width) with \(classes) classes")
        }
        self.spec = spec
        inputShape = [channels, height, width]
        self.classes = classes
        (features, classifier) = try Network.layers(spec, channels: channels, height: height, width: width, classes: classes)
        parameterInfo = (features + [classifier]).flatMap(\.parameters)
        bufferNames = features.flatMap(\.batchNormNames)
        if case let .linear(_, inFeatures, _) = classifier { embeddingSize = inFeatures } else { embeddingSize = 0 }
    }

    public var parameterCount: Int { parameterInfo.reduce(0) { $0 + $1.count } }
    public var parameterShapes: [[Int]] { parameterInfo.map(\.shape) }
    public var hasBatchNorm: Bool { !bufferNames.isEmpty }

    /// Fresh parameters with PyTorch's default initialisation, drawn in parameter order from `rng`
    /// (so the same seed gives the same network). They are leaves that require gradients.
    public func initialParameters(rng: inout RandomGenerator, dtype: DType = .float32) -> [Tensor] {
        parameterInfo.map { info in
            switch info.initialization {
            case .uniform(let bound):
                return Tensor.uniform(info.shape, low: -bound, high: bound, dtype: dtype, rng: &rng).requiringGrad()
            case .constant(let value):
                return Tensor.full(info.shape, value, dtype: dtype).requiringGrad()
            }
        }
    }

    public func initialParameters(seed: UInt64, dtype: DType = .float32) -> [Tensor] {
        var rng = RandomGenerator(seed: seed)
        return initialParameters(rng: &rng, dtype: dtype)
    }

    /// Fresh running statistics (mean 0, variance 1, PyTorch momentum 0.1) for every batch-norm layer.
    public func makeBuffers(dtype: DType = .float32) -> [BatchNormStatistics] {
        features.flatMap(\.batchNormChannels).map { BatchNormStatistics(channels: $0, dtype: dtype) }
    }

    /// Features before the classifier, [N, embeddingSize] (for ConvNet the flattened output of the last
    /// pooling, index c·H·W + h·W + w).
    /// - `buffers`: batch-norm running statistics; updated in place when `training` is true, required when
    ///   it is false. Training mode without buffers uses batch statistics and records nothing.
    public func embed(_ x: Tensor, parameters: [Tensor], buffers: [BatchNormStatistics] = [],
                      training: Bool = true) -> Tensor {
        checkArguments(x, parameters, buffers)
        var runner = LayerRunner(parameters: parameters, buffers: buffers, training: training)
        return runner.run(features, x)
    }

    /// Logits [N, classes].
    public func forward(_ x: Tensor, parameters: [Tensor], buffers: [BatchNormStatistics] = [],
                        training: Bool = true) -> Tensor {
        let features = embed(x, parameters: parameters, buffers: buffers, training: training)
        let n = parameters.count
        return features.linear(weight: parameters[n - 2], bias: parameters[n - 1])
    }

    /// Programming errors (wrong list for this network): they stop with a message naming the mismatch, also in
    /// the -Ounchecked release build (`require`), since a short list would otherwise be read out of bounds.
    private func checkArguments(_ x: Tensor, _ parameters: [Tensor], _ buffers: [BatchNormStatistics]) {
        require(x.rank == 4 && Array(x.shape.dropFirst()) == inputShape,
                "\(spec): input shape \(x.shape), expected [N] + \(inputShape)")
        require(parameters.count == parameterInfo.count,
                "\(spec): \(parameters.count) parameters given, \(parameterInfo.count) expected")
        for (p, info) in zip(parameters, parameterInfo) {
            require(p.shape == info.shape, "\(spec): parameter \(info.name) has shape \(p.shape), expected \(info.shape)")
        }
        require(buffers.isEmpty || buffers.count == bufferNames.count,
                "\(spec): \(buffers.count) buffers given, \(bufferNames.count) expected")
    }
}

extension Layer {
    var batchNormChannels: [Int] {
        switch self {
        case let .norm(_, kind, channels, _, _): return kind == .batch ? [channels] : []
        case let .residual(main, shortcut): return (main + shortcut).flatMap(\.batchNormChannels)
        default: return []
        }
    }
}
