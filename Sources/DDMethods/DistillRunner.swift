import DDData
import DDFormat
import DDKernels
import DDNN

/// Every method dd-distill accepts: the optimisation methods of `DistillMethodName` and the coreset
/// baselines of `CoresetMethod`.
public enum AnyDistillMethod: Sendable, Equatable {
    case optimized(DistillMethodName)
    case coreset(CoresetMethod)

    public static var allNames: [String] {
        DistillMethodName.allCases.map(\.rawValue) + CoresetMethod.allCases.map(\.rawValue)
    }

    /// Parses a method name; an unknown one is a usage error listing every method.
    public init(parsing text: String) throws {
        if let method = DistillMethodName(rawValue: text.lowercased()) {
            self = .optimized(method)
        } else if let method = try? CoresetMethod(parsing: text) {
            self = .coreset(method)
        } else {
            throw DistillError.usage("unknown method '\(text)'; known methods: \(Self.allNames.joined(separator: ", "))")
        }
    }
}

/// Worker threads for every kernel (OpenBLAS included); results do not depend on it beyond float rounding.
public func setDistillThreads(_ count: Int) { Threads.set(count) }

/// Coreset baselines written as a synthetic set: the selected real images in the normalised space, with
/// the selection and its settings in the `method` metadata, so dd-eval treats every method alike.
public enum CoresetDistillation {
    public static func write(_ method: CoresetMethod, dataset: Dataset, ipc: Int, seed: UInt64, options: CoresetOptions,
                             to sink: ByteSink) throws {
        let selection = try selectCoreset(method, from: dataset, ipc: ipc, options: options, seed: seed)
        let subset = try dataset.coresetSubset(selection, normalized: true)
        var methodMetadata: [String: JSONValue] = [
            "name": .string(method.rawValue), "ipc": .number(Double(ipc)), "seed": .string(String(seed)),
        ]
        if method != .random { methodMetadata["net"] = .string(options.network.description) }
        if method.usesFeatures { methodMetadata["feature_epochs"] = .number(Double(options.featureEpochs)) }
        if method == .forgetting { methodMetadata["forgetting_epochs"] = .number(Double(options.forgettingEpochs)) }
        if let extractor = selection.featureExtractor { methodMetadata["feature_extractor"] = .string(extractor) }
        let digest = dataset.contentDigest ?? dataset.computeContentDigest()
        try subset.write(to: sink, kind: .synthetic,
                         extraMetadata: ["method": .object(methodMetadata), "source_digest": .string(digest)])
    }
}
