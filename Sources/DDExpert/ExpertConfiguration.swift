import DDAugment
import DDData
import DDFormat
import DDNN
import DDTrain

/// The expert recipe is DDTrain's `TrainingRecipe` (one training loop for dd-eval and dd-expert).
extension TrainingRecipe {
    /// MTT's recipe for a dataset (reference/methods/mtt-tesla.md §1): SGD lr 0.01, no momentum or decay,
    /// batch 256, constant rate, DSA on every batch (mode 'S', per-sample draws), flip off for digit datasets.
    public static func mttExpert(epochs: Int, dataset: String) -> TrainingRecipe {
        expertProtocol(epochs: epochs, augmentation: .dsa(strategy: DSAStrategy.defaultStrategy(forDataset: dataset),
                                                          mode: .single))
    }

    /// The recipe as key content (block E of the reference): DDTrain's canonical JSON plus what it implies
    /// but does not spell out (DSA constants, sampling, data order, float type).
    var keyJSON: JSONValue {
        let c = DSAConstants.reference
        let base = (try? JSONValue.parse(canonicalJSON)) ?? .string(canonicalJSON)
        return [
            "training_recipe": base,
            "implied": [
                "dsa_constants": [
                    "flip": .number(c.flipProbability), "scale": .number(c.scaleRatio),
                    "rotate_degrees": .number(c.rotateDegrees), "crop_pad": .number(c.cropPadRatio),
                    "cutout": .number(c.cutoutRatio), "brightness": .number(c.brightness),
                    "saturation": .number(c.saturation), "contrast": .number(c.contrast),
                ],
                "dsa_sampling": "per-sample numbers, a fresh draw for every training batch",
                "data_order": "DDTrain: a fresh permutation per epoch from derivedSeed(expert seed, -1)",
                "float": "f32", "loop": "DDTrain.Trainer.train",
            ],
        ]
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
            "normalization": ["mean": .array(mean.map(shortest)), "std": .array(std.map(shortest)),
                              "zca": .null],
            "split": split.map { .string($0) } ?? .null,
        ]
    }
}

/// A Float as the Double with its shortest decimal form (0.1307, not 0.1307000070810318), for readable keys.
private func shortest(_ x: Float) -> JSONValue { .number(Double("\(x)") ?? Double(x)) }

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
    public var recipe: TrainingRecipe
    public var baseSeed: UInt64

    public init(dataset: DatasetIdentity, testSet: DatasetIdentity?, network: NetworkSpec,
                parameterLayout: [ParameterInfo], recipe: TrainingRecipe, baseSeed: UInt64) {
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
            "recipe": recipe.keyJSON,
            "seeding": ["base_seed": .string(String(baseSeed)), "rule": .string(ExpertSeed.rule)],
            "stream_format": 1,
        ]
    }

    /// SHA-256 (hex) of the canonical sorted-key JSON of `keyJSON`.
    public var key: String { SHA256.hexDigest(of: keyJSON.serializedBytes()) }
}

/// Seed of expert k: DDTrain's `Trainer.derivedSeed(base ^ domain, k)`, a SplitMix64 finaliser of
/// (base ^ "ddexpert") + 0x9E3779B97F4A7C15·(k + 1). The domain keeps experts off dd-eval's networks: dd-eval's
/// network k is `derivedSeed(base, k)`, and without it `dd-eval --seed 0` trained its networks from the very
/// initialisations of `dd-expert --seed 0`'s experts, which trajectory matching starts from (a leak
/// that could flatter MTT; measured negligible at IPC 10 in session 27). Same command, same expert on any
/// machine; any expert can be regenerated alone.
public enum ExpertSeed {
    /// "ddexpert" in ASCII.
    public static let domain: UInt64 = 0x6464_6578_7065_7274
    public static let rule = "splitmix64_finalize((base ^ 0x\(String(domain, radix: 16))) + 0x9E3779B97F4A7C15 * (k + 1))"
        + " (DDTrain Trainer.derivedSeed of the expert domain)"

    public static func seed(base: UInt64, expert: Int) -> UInt64 { Trainer.derivedSeed(base ^ domain, expert) }
}
