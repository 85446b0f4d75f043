import DDData
import DDFormat
import DDTrain

/// A bad input to an evaluation, one line; `isUsage` distinguishes bad flags from bad data.
public struct EvalInputError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let isUsage: Bool
    public init(_ message: String, usage: Bool = false) { self.message = message; self.isUsage = usage }
    public var description: String { message }
}

public enum EvalInputs {
    /// Metadata key of the learned step size a synthetic set carries (MTT's `syn_lr`): a number in the begin
    /// record's metadata, or inside its `method` object.
    public static let learnedRateKey = "syn_lr"

    /// The learned step size in a stream's begin metadata, if any.
    public static func learnedRate(in metadata: JSONValue?) -> Double? {
        guard let metadata else { return nil }
        if let value = metadata[learnedRateKey]?.doubleValue { return value }
        return metadata["method"]?[learnedRateKey]?.doubleValue
    }

    /// TRAIN must have at least one image in every class (IPC 0 or an empty class cannot be evaluated).
    public static func checkTrainingSet(_ train: Dataset) throws {
        guard train.count > 0 else { throw EvalInputError("training set \(train.name) has no images (IPC 0)") }
        var sizes = [Int](repeating: 0, count: train.classCount)
        for label in train.labels { sizes[Int(label)] += 1 }
        if let empty = sizes.firstIndex(of: 0) {
            throw EvalInputError("training set \(train.name): class \(empty) (\(train.classNames[empty])) has no images; "
                                 + "images per class: \(sizes.map(String.init).joined(separator: ","))")
        }
    }

    /// TEST must have TRAIN's image geometry and class count.
    public static func checkCompatible(train: Dataset, test: Dataset) throws {
        guard train.geometry == test.geometry else {
            throw EvalInputError("test set \(test.name) has \(test.geometry) images, training set \(train.name) has \(train.geometry)")
        }
        guard train.classCount == test.classCount else {
            throw EvalInputError("test set \(test.name) has \(test.classCount) classes, training set \(train.name) has \(train.classCount)")
        }
        guard test.count > 0 else { throw EvalInputError("test set \(test.name) has no images") }
    }

    /// A random real subset with TRAIN's per-class counts (the same IPC), drawn from `source` with `seed`:
    /// a SplitMix64 permutation of each class's indices, first n_c (as dd-fetch --per-class draws).
    public static func randomSubset(like train: Dataset, from source: Dataset, seed: UInt64) throws -> Dataset {
        try checkCompatible(train: train, test: source)
        var sizes = [Int](repeating: 0, count: train.classCount)
        for label in train.labels { sizes[Int(label)] += 1 }
        var generator = SplitMix64(seed: seed)
        var chosen: [Int] = []
        for (cls, indices) in source.indicesByClass().enumerated() {
            guard indices.count >= sizes[cls] else {
                throw EvalInputError("baseline source \(source.name): class \(cls) has \(indices.count) images, "
                                     + "the training set has \(sizes[cls])")
            }
            var shuffled = indices
            generator.shuffle(&shuffled)
            chosen += shuffled.prefix(sizes[cls]).sorted()
        }
        var subset = try source.subset(indices: chosen)
        subset.softLabels = nil
        subset.provenance["selection"] = "random per-class counts \(sizes.map(String.init).joined(separator: ",")) seed=\(seed)"
        subset.name = source.name + "/random"
        return subset
    }
}
