import DDAugment
import DDData
import DDFormat
import DDTrain

/// How evaluation networks are augmented: DSA (the DSA/DM/MTT protocol), DC's `augment` (DC's own
/// protocol: crop_scale_rotate on MNIST, nothing elsewhere), or not at all.
public enum EvalAugmentation: String, Sendable, CaseIterable {
    case dsa, dc, none
}

/// dd-eval's recipe flags, turned into a `TrainingRecipe` here so the executable only parses arguments.
/// Nil / default values mean the standard protocol (reference/protocols.md §3.1).
public struct RecipeOptions: Sendable {
    /// The reference's E (E + 1 passes); nil → 1000 with DSA, 300 without.
    public var referenceEpochs: Int?
    public var augment: EvalAugmentation = .dsa
    /// DSA families; nil → `DSAStrategy.defaultStrategy(forDataset:)` of TRAIN's source dataset.
    public var dsaStrategy: String?
    /// DC augmentation ops; nil → `DCAugmentStrategy.defaultStrategy(forDataset:)` (MNIST: crop_scale_rotate).
    public var dcStrategy: String?
    public var dsaMode: DSAMode = .single
    public var optimizer: OptimizerKind = .sgd
    public var learningRate: Double?
    public var learningRateFromSet = false
    public var momentum = 0.9
    public var weightDecay = 5e-4
    public var batchSize = 256
    public var referenceSchedule = true
    public var hardLabels = false
    public var temperature = 1.0
    /// Group-balanced sampling (each draw a uniform (class, group) cell): training on a biased real set as
    /// the group-resampling baseline does. Needs the stream's group labels.
    public var balanceGroups = false

    public init() {}

    /// The recipe for TRAIN (whose begin metadata may carry `syn_lr`) and a phrase saying where the
    /// learning rate came from. Bad flag values are usage errors; a missing `syn_lr` is a data error.
    public func recipe(for train: Dataset, metadata: JSONValue?) throws -> (recipe: TrainingRecipe, learningRateSource: String) {
        var rate = 0.01, source = "default 0.01"
        if let learningRate { rate = learningRate; source = "--lr \(learningRate)" }
        if learningRateFromSet {
            guard let learned = EvalInputs.learnedRate(in: metadata) else {
                throw EvalInputError("--lr-from-set: the training stream has no '\(EvalInputs.learnedRateKey)' in its metadata")
            }
            guard learned.isFinite, learned > 0 else {
                throw EvalInputError("--lr-from-set: \(EvalInputs.learnedRateKey) \(learned) is not a positive number")
            }
            rate = learned; source = "the set's \(EvalInputs.learnedRateKey) \(learned)"
        }
        var augmentation = TrainingAugmentation.none
        let dataset = train.provenance["dataset"] ?? train.name
        switch augment {
        case .none: break
        case .dsa:
            let strategy: DSAStrategy
            do {
                strategy = try dsaStrategy.map(DSAStrategy.init(parsing:)) ?? DSAStrategy.defaultStrategy(forDataset: dataset)
            } catch {
                throw EvalInputError("--dsa-strategy: \(error)", usage: true)
            }
            augmentation = .dsa(strategy: strategy, mode: dsaMode)
        case .dc:
            let strategy: DCAugmentStrategy
            do {
                strategy = try dcStrategy.map(DCAugmentStrategy.init(parsing:))
                    ?? DCAugmentStrategy.defaultStrategy(forDataset: dataset)
            } catch {
                throw EvalInputError("--dc-strategy: \(error)", usage: true)
            }
            augmentation = strategy.isNone ? .none : .dc(strategy: strategy)
        }
        let e = referenceEpochs ?? (augmentation.isNone ? 300 : 1000)
        var recipe = TrainingRecipe.evaluationProtocol(referenceEpochs: e, learningRate: rate, augmentation: augmentation)
        recipe.optimizer = optimizer
        recipe.momentum = momentum
        recipe.weightDecay = weightDecay
        recipe.batchSize = batchSize
        if !referenceSchedule { recipe.schedule = .constant }
        if train.softLabels != nil && !hardLabels { recipe.loss = .softCrossEntropy(temperature: temperature) }
        if balanceGroups {
            guard train.groups != nil else {
                throw EvalInputError("--balance groups: the training stream has no group labels (dd-bias writes them)")
            }
            recipe.sampling = .groupBalanced
        }
        do { try recipe.validate() } catch { throw EvalInputError("\(error)", usage: true) }
        return (recipe, source)
    }
}
