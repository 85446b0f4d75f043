import DDData
import DDNN

/// The real-subset baselines of reference/methods/coresets.md.
public enum CoresetMethod: String, Sendable, CaseIterable, CustomStringConvertible {
    case random, herding, kcenter, forgetting

    public var description: String { rawValue }

    /// Accepts the canonical names and `k-center` / `k_center`; the error lists the valid names.
    public init(parsing text: String) throws {
        let key = text.lowercased().replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "")
        guard let method = CoresetMethod(rawValue: key) else {
            throw DataError.usage("unknown coreset method '\(text)'; valid: "
                                  + CoresetMethod.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = method
    }

    /// Herding and K-Center select in a feature space.
    public var usesFeatures: Bool { self == .herding || self == .kcenter }
}

/// The unit a coreset is selected in: by default one class; a later (class, group) split for debiased
/// distillation passes its own list to `selectCoreset(_:from:subpopulations:...)`.
public struct CoresetSubpopulation: Sendable, Equatable {
    public var name: String
    /// Dataset indices of the candidates, ascending.
    public var indices: [Int]

    public init(name: String, indices: [Int]) {
        self.name = name
        self.indices = indices
    }
}

extension Dataset {
    /// One sub-population per class, named "class <k> (<name>)".
    public func classSubpopulations() -> [CoresetSubpopulation] {
        indicesByClass().enumerated().map { cls, indices in
            CoresetSubpopulation(name: "class \(cls) (\(classNames[cls]))", indices: indices)
        }
    }
}

public struct CoresetOptions: Sendable {
    /// The feature extractor's and the forgetting run's architecture.
    public var network: NetworkSpec = .convNet3
    /// Epochs of training on the full data before the features are taken; 0 = a random-init network.
    public var featureEpochs: Int = 1
    /// Epochs of the forgetting run (at least 2 for any event to be possible).
    public var forgettingEpochs: Int = 5
    public var forgettingOrder: ForgettingOrder = .mostForgotten
    public var training = CoresetTrainingRecipe()
    /// Images per embedding batch (bounds activation memory; does not change the features).
    public var featureBatchSize: Int = 500
    public var progress: (@Sendable (CoresetProgress) -> Void)? = nil

    public init() {}
}

/// What was selected and how: enough to reproduce it.
public struct CoresetSelection: Sendable, Equatable {
    public var method: CoresetMethod
    public var ipc: Int
    public var seed: UInt64
    public var subpopulations: [CoresetSubpopulation]
    /// Dataset indices picked in each sub-population, in pick order (greedy order for Herding/K-Center,
    /// ranking order for Forgetting, ascending for Random).
    public var selected: [[Int]]
    /// Human-readable description of the feature extractor or of the forgetting run; nil for Random.
    public var featureExtractor: String?
    /// Method-specific facts (e.g. forgetting-count summary), recorded in the metadata.
    public var details: [String: String]

    /// Every selected index, sub-population after sub-population.
    public var allIndices: [Int] { selected.flatMap { $0 } }

    /// Provenance entries (`coreset.*`) describing the selection.
    public var metadata: [String: String] {
        var out: [String: String] = [
            "coreset.method": method.rawValue,
            "coreset.ipc": String(ipc),
            "coreset.seed": String(seed),
            "coreset.subpopulations": subpopulations.map(\.name).joined(separator: "; "),
            // Per sub-population, ';'-separated; indices into the source dataset.
            "coreset.indices": selected.map { $0.map(String.init).joined(separator: ",") }.joined(separator: ";"),
        ]
        if let featureExtractor { out["coreset.feature_extractor"] = featureExtractor }
        for (key, value) in details { out["coreset.\(key)"] = value }
        return out
    }
}

/// Selects `ipc` real images per class of `dataset` (see `selectCoreset(_:from:subpopulations:...)`).
public func selectCoreset(_ method: CoresetMethod, from dataset: Dataset, ipc: Int,
                          options: CoresetOptions = CoresetOptions(), seed: UInt64,
                          features: CoresetFeatures? = nil, forgetting: ForgettingRun? = nil) throws -> CoresetSelection {
    try selectCoreset(method, from: dataset, subpopulations: dataset.classSubpopulations(), ipc: ipc,
                      options: options, seed: seed, features: features, forgetting: forgetting)
}

/// Selects `ipc` images from each sub-population. Deterministic given the seed: Random draws a
/// SplitMix64 Fisher–Yates permutation per sub-population in order (the same draw as `dd-fetch
/// --per-class --seed`); the networks are initialised with `seed` and shuffle batches from `seed + 1`;
/// Forgetting breaks ties with the same permutations as Random.
/// `features` / `forgetting` reuse a feature pass or forgetting run made once for several selections
/// (e.g. every IPC); without them the selection computes its own.
public func selectCoreset(_ method: CoresetMethod, from dataset: Dataset, subpopulations: [CoresetSubpopulation],
                          ipc: Int, options: CoresetOptions = CoresetOptions(), seed: UInt64,
                          features: CoresetFeatures? = nil, forgetting: ForgettingRun? = nil) throws -> CoresetSelection {
    try checkArguments(dataset, subpopulations, ipc, options, method)
    var selection = CoresetSelection(method: method, ipc: ipc, seed: seed, subpopulations: subpopulations,
                                     selected: [], featureExtractor: nil, details: [:])
    let permutations = seededPermutations(subpopulations, seed: seed)
    switch method {
    case .random:
        selection.selected = permutations.map { Array($0.prefix(ipc)).sorted() }
    case .herding, .kcenter:
        let computed = try features ?? computeCoresetFeatures(dataset, options: options, seed: seed)
        guard computed.matrix.rows == dataset.count else {
            throw DataError.usage("coreset: \(computed.matrix.rows) feature rows for \(dataset.count) images")
        }
        selection.selected = subpopulations.map { population in
            let local = computed.matrix.rows(population.indices)
            let picks = method == .herding ? CoresetGreedy.herding(local, count: ipc) : CoresetGreedy.kCenter(local, count: ipc)
            return picks.map { population.indices[$0] }
        }
        selection.featureExtractor = computed.extractor
        selection.details["distance"] = "euclidean on raw features"
    case .forgetting:
        let run = try forgetting ?? runForgetting(dataset, options: options, seed: seed)
        guard run.counter.events.count == dataset.count else {
            throw DataError.usage("coreset: forgetting counts for \(run.counter.events.count) samples, dataset has \(dataset.count)")
        }
        selection.selected = zip(subpopulations, permutations).map { population, permutation in
            // `permutation` holds dataset indices; the ranking wants positions within the population.
            let position = Dictionary(uniqueKeysWithValues: population.indices.enumerated().map { ($1, $0) })
            let tieOrder = permutation.compactMap { position[$0] }
            return Array(run.counter.rank(population.indices, order: options.forgettingOrder, tieOrder: tieOrder).prefix(ipc))
        }
        let summary = run.counter.summary
        selection.featureExtractor = run.description
        selection.details["forgetting_order"] = options.forgettingOrder.summary + "; DC paper's direction UNVERIFIED"
        selection.details["forgetting_summary"] = "never learned \(summary.neverLearned), zero events "
            + "\(summary.unforgettable), max events \(summary.maxEvents)"
        selection.details["forgetting_counts"] = selection.selected.map { picks in
            picks.map { run.counter.count($0).map(String.init) ?? "inf" }.joined(separator: ",")
        }.joined(separator: ";")
    }
    return selection
}

/// A feature matrix over a whole dataset (one row per image) and how it was made.
public struct CoresetFeatures: Sendable {
    public var matrix: CoresetFeatureMatrix
    public var extractor: String
}

/// The embedding of every image by `options.network`, trained `options.featureEpochs` epochs on the whole
/// dataset first (0: random init), parameters initialised from `seed`, batches shuffled from `seed + 1`.
public func computeCoresetFeatures(_ dataset: Dataset, options: CoresetOptions = CoresetOptions(), seed: UInt64) throws -> CoresetFeatures {
    guard options.featureEpochs >= 0, options.training.batchSize >= 1, options.featureBatchSize >= 1 else {
        throw DataError.usage("coreset: feature epochs must be at least 0 and batch sizes at least 1")
    }
    var model = try FullDataNetwork(spec: options.network, dataset: dataset, seed: seed)
    if options.featureEpochs > 0 {
        model.train(epochs: options.featureEpochs, recipe: options.training, orderSeed: seed &+ 1,
                    progress: options.progress, phase: "train") { _, _ in }
    }
    let matrix = model.embedAll(batchSize: options.featureBatchSize, progress: options.progress)
    if let bad = matrix.values.firstIndex(where: { !$0.isFinite }) {
        throw DataError.badData("coreset: the feature extractor gave a non-finite value for image \(bad / matrix.dimension) "
                                + "(training diverged? try a lower learning rate or --feature-epochs 0)")
    }
    let extractor = options.featureEpochs > 0
        ? "\(options.network.description) \(matrix.dimension)-d embedding, trained \(options.featureEpochs) "
          + "epoch(s) on all \(dataset.count) images (\(options.training.description)), init seed \(seed)"
        : "\(options.network.description) \(matrix.dimension)-d embedding of a random-init network, seed \(seed)"
    return CoresetFeatures(matrix: matrix, extractor: extractor)
}

/// Forgetting events of every image over `options.forgettingEpochs` epochs of training on the whole dataset.
public struct ForgettingRun: Sendable {
    public var counter: ForgettingCounter
    public var description: String
}

/// Trains `options.network` on the whole dataset (init `seed`, batch order `seed + 1`) and counts each
/// image's forgetting events from the correctness of its training batch's own logits.
public func runForgetting(_ dataset: Dataset, options: CoresetOptions = CoresetOptions(), seed: UInt64) throws -> ForgettingRun {
    guard options.forgettingEpochs >= 1, options.training.batchSize >= 1 else {
        throw DataError.usage("coreset: forgetting needs at least 1 training epoch (2 for any event to occur) and a batch of at least 1")
    }
    var model = try FullDataNetwork(spec: options.network, dataset: dataset, seed: seed)
    var counter = ForgettingCounter(samples: dataset.count)
    let labels = model.labels
    model.train(epochs: options.forgettingEpochs, recipe: options.training, orderSeed: seed &+ 1,
                progress: options.progress, phase: "forgetting") { indices, predictions in
        for (index, predicted) in zip(indices, predictions) {
            counter.record(sample: index, correct: predicted == labels[index])
        }
    }
    let description = "\(options.network.description) trained \(options.forgettingEpochs) epoch(s) on all "
        + "\(dataset.count) images (\(options.training.description)), init seed \(seed); correctness from each "
        + "training batch's own logits"
    return ForgettingRun(counter: counter, description: description)
}

/// One seeded permutation of each sub-population's indices, drawn in sub-population order from a single
/// SplitMix64 stream (so per-class Random matches `Dataset.randomPerClass(_:seed:)`).
private func seededPermutations(_ subpopulations: [CoresetSubpopulation], seed: UInt64) -> [[Int]] {
    var generator = SplitMix64(seed: seed)
    return subpopulations.map { population in
        var shuffled = population.indices
        generator.shuffle(&shuffled)
        return shuffled
    }
}

private func checkArguments(_ dataset: Dataset, _ subpopulations: [CoresetSubpopulation], _ ipc: Int,
                            _ options: CoresetOptions, _ method: CoresetMethod) throws {
    let name = dataset.name
    guard ipc >= 1 else { throw DataError.usage("coreset: images per class must be at least 1, got \(ipc)") }
    guard !subpopulations.isEmpty else { throw DataError.usage("coreset: dataset \(name) has no classes to select from") }
    for population in subpopulations {
        if population.indices.isEmpty {
            throw DataError.badData("coreset: \(population.name) of dataset \(name) has no images")
        }
        guard population.indices.count >= ipc else {
            throw DataError.usage("coreset: \(population.name) of dataset \(name) has \(population.indices.count) "
                                  + "images, fewer than the \(ipc) asked per class")
        }
        if let bad = population.indices.first(where: { $0 < 0 || $0 >= dataset.count }) {
            throw DataError.usage("coreset: \(population.name) lists index \(bad) outside 0..<\(dataset.count)")
        }
    }
    let all = subpopulations.flatMap(\.indices)
    guard Set(all).count == all.count else { throw DataError.usage("coreset: sub-populations overlap") }
    if method.usesFeatures || method == .forgetting {
        guard options.training.batchSize >= 1, options.featureBatchSize >= 1 else {
            throw DataError.usage("coreset: batch sizes must be at least 1")
        }
        guard options.featureEpochs >= 0 else { throw DataError.usage("coreset: feature epochs must be at least 0") }
        guard method != .forgetting || options.forgettingEpochs >= 1 else {
            throw DataError.usage("coreset: forgetting needs at least 1 training epoch (2 for any event to occur)")
        }
    }
}

extension Dataset {
    /// The selected images as a dataset: sub-population after sub-population, in pick order, with labels,
    /// class names, normalisation and per-image fields kept. Images stay as stored (u8 pixels are real
    /// images and the stream format carries them losslessly) unless `normalized` asks for f32 in the
    /// normalised space. The selection goes into provenance (`coreset.*`, plus the source's digest).
    public func coresetSubset(_ selection: CoresetSelection, normalized: Bool = false) throws -> Dataset {
        var result = try subset(indices: selection.allIndices)
        if normalized { result.images = .normalized(result.normalizedImages()) }
        for (key, value) in selection.metadata { result.provenance[key] = value }
        result.provenance["coreset.source_digest"] = contentDigest ?? computeContentDigest()
        result.provenance["coreset.source_count"] = String(count)
        return result.withContentDigest()
    }
}
