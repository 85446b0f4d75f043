import DDAugment
import DDData
import DDFormat
import DDNN

/// The training recipe of an expert (reference/methods/mtt-tesla.md §1: MTT's buffer.py defaults).
public struct ExpertRecipe: Equatable, Sendable {
    public var learningRate: Double = 0.01
    public var momentum: Double = 0
    public var weightDecay: Double = 0
    public var batchSize: Int = 256
    public var epochs: Int
    /// DSA applied to every training batch with per-sample draws, mode 'S'; `.none` trains without it.
    public var augmentation: DSAStrategy
    public var augmentationConstants: DSAConstants = .reference

    public init(epochs: Int, augmentation: DSAStrategy) {
        self.epochs = epochs
        self.augmentation = augmentation
    }

    /// MTT's recipe for a dataset: SGD lr 0.01, no momentum or decay, batch 256, DSA on every batch, flip
    /// off for digit datasets.
    public static func mtt(epochs: Int, dataset: String) -> ExpertRecipe {
        ExpertRecipe(epochs: epochs, augmentation: DSAStrategy.defaultStrategy(forDataset: dataset))
    }

    /// Everything that determines the trained parameters, as canonical JSON (block E of the reference).
    public var json: JSONValue {
        let c = augmentationConstants
        return [
            "optimizer": "sgd", "lr": .number(learningRate), "momentum": .number(momentum),
            "weight_decay": .number(weightDecay), "nesterov": false, "dampening": 0,
            "schedule": "constant", "batch_size": .number(Double(batchSize)), "epochs": .number(Double(epochs)),
            "shuffle": "per-epoch permutation from the expert seed", "drop_last": false,
            "loss": "cross-entropy (hard labels)", "float": "f32",
            "augmentation": augmentation.isNone ? .null : [
                "method": "dsa", "strategy": .string(augmentation.description), "mode": "S",
                "sampling": "per-sample, every training batch",
                "constants": [
                    "flip": .number(c.flipProbability), "scale": .number(c.scaleRatio),
                    "rotate_degrees": .number(c.rotateDegrees), "crop_pad": .number(c.cropPadRatio),
                    "cutout": .number(c.cutoutRatio), "brightness": .number(c.brightness),
                    "saturation": .number(c.saturation), "contrast": .number(c.contrast),
                ],
            ],
        ]
    }

    func validate() throws {
        guard epochs >= 1 else { throw ExpertError.usage("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw ExpertError.usage("--batch must be at least 1, got \(batchSize)") }
        guard learningRate.isFinite, learningRate > 0 else { throw ExpertError.usage("--lr must be positive, got \(learningRate)") }
        guard momentum.isFinite, (0..<1).contains(momentum) else { throw ExpertError.usage("--momentum must be in [0, 1), got \(momentum)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw ExpertError.usage("--wd must be ≥ 0, got \(weightDecay)") }
    }
}

/// What a dataset contributes to the key: its content digest and identity (block D of the reference).
public struct DatasetIdentity: Equatable, Sendable {
    public var name: String
    public var digest: String
    public var count: Int
    public var geometry: ImageGeometry
    public var classNames: [String]
    public var classCounts: [Int]
    public var mean: [Float]
    public var std: [Float]
    public var split: String?

    public init(_ dataset: Dataset) {
        name = dataset.name
        digest = dataset.contentDigest ?? dataset.computeContentDigest()
        count = dataset.count
        geometry = dataset.geometry
        classNames = dataset.classNames
        var counts = [Int](repeating: 0, count: dataset.classCount)
        for label in dataset.labels where label >= 0 && Int(label) < counts.count { counts[Int(label)] += 1 }
        classCounts = counts
        mean = dataset.mean
        std = dataset.std
        split = dataset.provenance["split"]
    }

    public var json: JSONValue {
        [
            "name": .string(name), "content_digest": .string(digest), "count": .number(Double(count)),
            "image_shape": [.number(Double(geometry.channels)), .number(Double(geometry.height)), .number(Double(geometry.width))],
            "class_names": .array(classNames.map { .string($0) }),
            "class_counts": .array(classCounts.map { .number(Double($0)) }),
            "normalization": ["mean": .array(mean.map { .number(Double($0)) }), "std": .array(std.map { .number(Double($0)) }),
                              "zca": .null],
            "split": split.map { .string($0) } ?? .null,
        ]
    }
}

/// Everything that determines an expert cache's content. Its SHA-256 over canonical JSON is the cache key,
/// so changing any part gives a new directory instead of mixing trajectories (reference §3.2 item 10).
public struct ExpertConfiguration: Equatable, Sendable {
    public static let formatVersion = 1
    public static let toolVersion = "dd-expert 1.0"

    public var dataset: DatasetIdentity
    /// Test set used for the per-epoch diagnostics stored in each expert file; nil = no test diagnostics.
    public var testSet: DatasetIdentity?
    public var network: NetworkSpec
    public var parameterLayout: [ParameterInfo]
    public var recipe: ExpertRecipe
    public var baseSeed: UInt64

    public init(dataset: DatasetIdentity, testSet: DatasetIdentity?, network: NetworkSpec,
                parameterLayout: [ParameterInfo], recipe: ExpertRecipe, baseSeed: UInt64) {
        self.dataset = dataset
        self.testSet = testSet
        self.network = network
        self.parameterLayout = parameterLayout
        self.recipe = recipe
        self.baseSeed = baseSeed
    }

    public var parameterCount: Int { parameterLayout.reduce(0) { $0 + $1.count } }

    /// Ordered (name, shape, offset, count): block B of the reference.
    public var layoutJSON: JSONValue {
        var offset = 0
        return .array(parameterLayout.map { info in
            defer { offset += info.count }
            return ["name": .string(info.name), "shape": .array(info.shape.map { .number(Double($0)) }),
                    "offset": .number(Double(offset)), "count": .number(Double(info.count))]
        })
    }

    /// Architecture block C: the canonical spec string plus what it expands to on this input.
    public var architectureJSON: JSONValue {
        let g = dataset.geometry
        return [
            "spec": .string(network.description),
            "family": .string(network.architecture.rawValue), "depth": .number(Double(network.depth)),
            "width": .number(Double(network.width)), "activation": .string(network.activation.rawValue),
            "norm": .string(network.norm.rawValue), "norm_eps": 1e-5, "norm_affine": true,
            "pooling": .string(network.pooling.rawValue),
            "input_shape": [.number(Double(g.channels)), .number(Double(g.height)), .number(Double(g.width))],
            "classes": .number(Double(dataset.classNames.count)),
            "first_conv_padding_rule": "padding 3 for 1-channel input (28×28 → 32×32)",
            "init": "PyTorch defaults: weights and biases U(±1/sqrt(fan_in)), norm γ=1 β=0, drawn in parameter order",
            "parameter_count": .number(Double(parameterCount)),
        ]
    }

    /// The hashed content: everything that determines the files, nothing about when or where they were made.
    public var keyJSON: JSONValue {
        [
            "cache_format": .number(Double(Self.formatVersion)), "tool": .string(Self.toolVersion),
            "dataset": dataset.json, "test_set": testSet?.json ?? .null,
            "architecture": architectureJSON, "parameters": layoutJSON,
            "recipe": recipe.json,
            "seeding": ["base_seed": .string(String(baseSeed)), "rule": .string(ExpertSeed.rule)],
            "stream_format": 1,
        ]
    }

    /// SHA-256 (hex) of the canonical sorted-key JSON of `keyJSON`.
    public var key: String { SHA256.hexDigest(of: keyJSON.serializedBytes()) }
}

/// Seed of expert k: the first 8 bytes (little-endian) of SHA-256("dd-expert-seed-v1 <base> <k>").
/// A hash rather than base + k, so neighbouring experts of neighbouring base seeds never share seeds and
/// any expert can be regenerated alone on any machine.
public enum ExpertSeed {
    public static let rule = "u64le(sha256(\"dd-expert-seed-v1 <base seed> <expert index>\")[0..<8])"

    public static func seed(base: UInt64, expert: Int) -> UInt64 {
        let digest = SHA256.hash(Array("dd-expert-seed-v1 \(base) \(expert)".utf8))
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(digest[i]) }
        return value
    }
}
