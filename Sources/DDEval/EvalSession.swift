import DDData
import DDNN
import DDTrain

/// What one dd-eval call evaluates and how.
public struct EvalConfiguration: Sendable {
    public var architectures: [NetworkSpec]
    public var networks: Int
    public var baseSeed: UInt64
    public var recipe: TrainingRecipe
    public var evaluationBatch: Int
    /// Where the learning rate came from ("default", "--lr", "syn_lr of the set"), for the report.
    public var learningRateSource: String
    /// Also evaluate a random real subset of the same IPC drawn from this dataset (DD-Ranking's baseline).
    public var randomBaselineSource: Dataset?
    /// Full-data accuracy (fraction) for HLR; nil → HLR is not reported.
    public var fullDataAccuracy: Double?
    /// Which of the `networks` indices this process trains (`--shard`, `--index`).
    public var selection: NetworkSelection = .all

    public init(architectures: [NetworkSpec], networks: Int = 5, baseSeed: UInt64 = 0, recipe: TrainingRecipe,
                evaluationBatch: Int = 256, learningRateSource: String = "default",
                randomBaselineSource: Dataset? = nil, fullDataAccuracy: Double? = nil) {
        self.architectures = architectures; self.networks = networks; self.baseSeed = baseSeed; self.recipe = recipe
        self.evaluationBatch = evaluationBatch; self.learningRateSource = learningRateSource
        self.randomBaselineSource = randomBaselineSource; self.fullDataAccuracy = fullDataAccuracy
    }

    /// Seed of network k: the same k gets the same seed for every architecture and for the baseline.
    public func networkSeed(_ k: Int) -> UInt64 { Trainer.derivedSeed(baseSeed, k) }
    /// Seed of the random baseline subset paired with network k.
    public func baselineSubsetSeed(_ k: Int) -> UInt64 { Trainer.derivedSeed(baseSeed ^ 0x5EED_BA5E, k) }
}

/// Which training set a network was trained on.
public enum EvalSubject: String, Sendable, Codable {
    case train, randomBaseline = "random-baseline"
}

/// One trained and tested network.
public struct NetworkOutcome: Sendable {
    public let architecture: String
    public let subject: EvalSubject
    public let index: Int
    public let seed: UInt64
    public let result: EvaluationResult
    public let bias: BiasMetrics?
    public let finalTrainLoss: Double
    public let finalTrainAccuracy: Double
    public let trainSeconds: Double
    public let evalSeconds: Double
    /// Seed of the random subset (baseline networks only).
    public let subsetSeed: UInt64?
}

/// Summary over the networks of one architecture and subject.
public struct ArchitectureSummary: Sendable {
    public let architecture: String
    public let subject: EvalSubject
    public let accuracy: MeanStd
    public let loss: MeanStd
    /// Mean over networks of each class's accuracy.
    public let perClassAccuracy: [Double]
    public let seeds: [UInt64]
    public let trainSeconds: Double
    public let worstGroup: MeanStd?
    public let aligned: MeanStd?
    public let conflicting: MeanStd?
    public let deoMax: MeanStd?
    public let deoMean: MeanStd?
    /// Mean over networks of each group's accuracy.
    public let perGroupAccuracy: [Int: Double]

    public init(architecture: String, subject: EvalSubject, outcomes: [NetworkOutcome]) {
        self.architecture = architecture; self.subject = subject
        accuracy = MeanStd(outcomes.map(\.result.accuracy))
        loss = MeanStd(outcomes.map(\.result.loss))
        let classes = outcomes.first?.result.perClassAccuracy.count ?? 0
        perClassAccuracy = (0..<classes).map { c in MeanStd(outcomes.map { $0.result.perClassAccuracy[c] }).mean }
        seeds = outcomes.map(\.seed)
        trainSeconds = outcomes.reduce(0) { $0 + $1.trainSeconds }
        let bias = outcomes.compactMap(\.bias)
        func stat(_ pick: (BiasMetrics) -> Double?) -> MeanStd? {
            let values = bias.compactMap(pick)
            return values.isEmpty ? nil : MeanStd(values)
        }
        worstGroup = stat(\.worstGroupAccuracy); aligned = stat(\.alignedAccuracy)
        conflicting = stat(\.conflictingAccuracy); deoMax = stat(\.deoMax); deoMean = stat(\.deoMean)
        var groups: [Int: [Double]] = [:]
        for b in bias { for (g, a) in b.groupAccuracy { groups[g, default: []].append(a) } }
        perGroupAccuracy = groups.mapValues { MeanStd($0).mean }
    }
}

/// Progress of a session, for the TTY status line.
public struct EvalProgress: Sendable {
    public let architecture: String
    public let subject: EvalSubject
    public let network: Int       // 1-based
    public let networks: Int
    public let epoch: Int
    public let epochs: Int
    public let loss: Double
}

/// Runs the protocol: for every architecture, N fresh networks on TRAIN (and, with a baseline, N on fresh
/// random real subsets of the same IPC), each tested on TEST.
public enum EvalSession {
    /// Every check that needs no training: TRAIN has images in every class, TEST matches its geometry and
    /// class count, each architecture fits the images. Throws `EvalInputError`.
    public static func validate(train: Dataset, test: Dataset, configuration: EvalConfiguration) throws {
        try EvalInputs.checkTrainingSet(train)
        try EvalInputs.checkCompatible(train: train, test: test)
        guard configuration.networks >= 1 else { throw EvalInputError("--nets must be at least 1", usage: true) }
        _ = try configuration.selection.networks(of: configuration.networks)
        let g = train.geometry
        for spec in configuration.architectures {
            do {
                _ = try Network(spec, channels: g.channels, height: g.height, width: g.width, classes: train.classCount)
            } catch {
                throw EvalInputError("\(spec.description) cannot take \(g) images: \(error)")
            }
        }
    }

    public static func run(train: Dataset, test: Dataset, hardLabels: Bool, configuration: EvalConfiguration,
                           progress: (EvalProgress) -> Void = { _ in },
                           networkFinished: (NetworkOutcome) throws -> Void = { _ in },
                           shouldStop: () -> Bool = { false }) throws -> [ArchitectureSummary] {
        try validate(train: train, test: test, configuration: configuration)
        let trainData = try TrainingData(train, hardLabels: hardLabels)
        let testData = try TrainingData(test, hardLabels: true)
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

        let selected = try configuration.selection.networks(of: configuration.networks)
        var summaries: [ArchitectureSummary] = []
        for spec in configuration.architectures {
            var subjects: [EvalSubject] = [.train]
            if configuration.randomBaselineSource != nil { subjects.append(.randomBaseline) }
            for subject in subjects {
                var outcomes: [NetworkOutcome] = []
                for k in selected {
                    var data = trainData, subsetSeed: UInt64?
                    if subject == .randomBaseline, let source = configuration.randomBaselineSource {
                        let seed = configuration.baselineSubsetSeed(k)
                        data = try TrainingData(EvalInputs.randomSubset(like: train, from: source, seed: seed))
                        subsetSeed = seed
                    }
                    var recipe = configuration.recipe
                    if subject == .randomBaseline { recipe.loss = .hardCrossEntropy }
                    let seed = configuration.networkSeed(k)
                    let start = clock.now
                    let trained = try Trainer.train(spec: spec, recipe: recipe, data: data, seed: seed, observer: { report in
                        progress(EvalProgress(architecture: spec.description, subject: subject, network: k + 1,
                                              networks: configuration.networks, epoch: report.epoch,
                                              epochs: recipe.epochs, loss: report.loss))
                    }, shouldStop: shouldStop)
                    let trainTime = seconds(clock.now - start)
                    let evalStart = clock.now
                    let result = Evaluator.evaluate(trained, on: testData, batchSize: configuration.evaluationBatch)
                    let outcome = NetworkOutcome(
                        architecture: spec.description, subject: subject, index: k, seed: seed, result: result,
                        bias: BiasMetrics(result.counts), finalTrainLoss: trained.history.last?.loss ?? .nan,
                        finalTrainAccuracy: trained.history.last?.trainAccuracy ?? .nan, trainSeconds: trainTime,
                        evalSeconds: seconds(clock.now - evalStart), subsetSeed: subsetSeed)
                    outcomes.append(outcome)
                    try networkFinished(outcome)
                }
                summaries.append(ArchitectureSummary(architecture: spec.description, subject: subject, outcomes: outcomes))
            }
        }
        return summaries
    }
}
