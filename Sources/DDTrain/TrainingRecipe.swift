import DDAugment
import DDNN
import Foundation

/// Which optimiser a recipe trains with (PyTorch semantics, see DDNN's `SGD` / `Adam`).
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case sgd, adam
}

/// Learning-rate schedule over 0-based epochs.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// lr × `factor` from epoch `epoch` on, with the optimiser rebuilt there (momentum / Adam moments
    /// forgotten), as the reference's `evaluate_synset` does at its lr drop.
    case stepDecay(epoch: Int, factor: Double)

    /// The rate for a 0-based epoch.
    public func rate(base: Double, epoch: Int) -> Double {
        switch self {
        case .constant: return base
        case .stepDecay(let at, let factor): return epoch >= at ? base * factor : base
        }
    }

    /// True when the optimiser must be rebuilt as `epoch` starts.
    public func rebuildsOptimizer(at epoch: Int) -> Bool {
        if case .stepDecay(let at, _) = self { return epoch == at && epoch > 0 }
        return false
    }
}

/// Augmentation applied to every training batch.
public enum TrainingAugmentation: Codable, Sendable, Equatable {
    case none
    /// Non-Siamese DSA: a fresh draw per batch, numbers drawn independently per sample.
    case dsa(strategy: DSAStrategy, mode: DSAMode)
    /// DC's `augment` (reference/protocols.md §3.2): one op per image, drawn fresh every batch.
    case dc(strategy: DCAugmentStrategy)

    public var isNone: Bool {
        switch self {
        case .none: return true
        case .dsa(let strategy, _): return strategy.isNone
        case .dc(let strategy): return strategy.isNone
        }
    }
}

/// The training loss.
public enum TrainingLoss: Codable, Sendable, Equatable {
    /// Mean cross-entropy against hard labels (soft labels, if any, are ignored).
    case hardCrossEntropy
    /// Soft cross-entropy against the data's soft labels at `temperature` T: mean over the batch of
    /// −Σ_c p_c log softmax(z/T)_c · T², where p are the stored probabilities (rows ≥ 0 summing to 1) or
    /// softmax(stored/T) when the stored rows are logits. Same gradients as KL(p ‖ softmax(z/T))·T²;
    /// with one-hot p and T = 1 it equals the hard cross-entropy.
    case softCrossEntropy(temperature: Double)
}

/// How an epoch draws its samples when not every sample once in a fresh permutation.
public enum TrainingSampling: String, Codable, Sendable, CaseIterable {
    /// N draws with replacement, each a uniformly chosen (class, group) cell and a uniform member of it, so
    /// a cell of 5 images is seen as often as one of 4,500: the experts of debiased trajectory matching
    /// (methods/debiasing-groups.md) learn the class, not the majority attribute. Needs group labels.
    case groupBalanced = "group-balanced"
}

/// Everything that decides how a network is trained, apart from the data and the seed. Its canonical
/// JSON (`canonicalJSON`) goes into cache keys and reports, so two recipes train identically exactly
/// when their canonical JSON is equal.
public struct TrainingRecipe: Codable, Sendable, Equatable {
    public var optimizer: OptimizerKind
    public var learningRate: Double
    /// SGD momentum (ignored by Adam).
    public var momentum: Double
    /// L2 weight decay added to the gradient of every parameter (biases and norm affines included).
    public var weightDecay: Double
    public var batchSize: Int
    /// Number of passes over the data (the observer sees epochs 0 = initialisation through `epochs`).
    public var epochs: Int
    public var schedule: LearningRateSchedule
    public var augmentation: TrainingAugmentation
    public var loss: TrainingLoss
    /// Drop the last incomplete batch of every epoch (the reference keeps it).
    public var dropLast: Bool
    /// nil: a fresh permutation per epoch (the reference). Optional so that recipes without it keep their
    /// canonical JSON, and so every expert cache key made before it existed.
    public var sampling: TrainingSampling?

    public init(optimizer: OptimizerKind = .sgd, learningRate: Double = 0.01, momentum: Double = 0.9,
                weightDecay: Double = 5e-4, batchSize: Int = 256, epochs: Int, schedule: LearningRateSchedule = .constant,
                augmentation: TrainingAugmentation = .none, loss: TrainingLoss = .hardCrossEntropy,
                dropLast: Bool = false, sampling: TrainingSampling? = nil) {
        self.optimizer = optimizer; self.learningRate = learningRate; self.momentum = momentum
        self.weightDecay = weightDecay; self.batchSize = batchSize; self.epochs = epochs
        self.schedule = schedule; self.augmentation = augmentation; self.loss = loss; self.dropLast = dropLast
        self.sampling = sampling
    }

    /// The reference evaluation protocol (reference/protocols.md §3.1, `evaluate_synset`) for its epoch
    /// count E: E + 1 passes numbered 0…E, SGD with momentum 0.9 and weight decay 5e-4, batch 256. The
    /// reference drops the rate *after* training epoch E//2 + 1 (`if ep == lr_schedule` at the end of the
    /// epoch), so 0-based epochs 0…E//2+1 run at lr and E//2+2…E at lr × 0.1 with the optimiser rebuilt:
    /// 502 + 499 epochs for E = 1000, 152 + 149 for E = 300.
    public static func evaluationProtocol(referenceEpochs e: Int, learningRate: Double = 0.01,
                                          augmentation: TrainingAugmentation) -> TrainingRecipe {
        TrainingRecipe(optimizer: .sgd, learningRate: learningRate, momentum: 0.9, weightDecay: 5e-4, batchSize: 256,
                       epochs: e + 1, schedule: .stepDecay(epoch: e / 2 + 2, factor: 0.1), augmentation: augmentation)
    }

    /// The MTT expert recipe: SGD lr 0.01, no momentum, no weight decay, batch 256, constant rate.
    public static func expertProtocol(epochs: Int, learningRate: Double = 0.01,
                                      augmentation: TrainingAugmentation) -> TrainingRecipe {
        TrainingRecipe(optimizer: .sgd, learningRate: learningRate, momentum: 0, weightDecay: 0, batchSize: 256,
                       epochs: epochs, schedule: .constant, augmentation: augmentation)
    }

    /// Checks the numbers a user can type; the message names the bad field.
    public func validate() throws {
        func bad(_ s: String) -> TrainingError { .invalidRecipe(s) }
        guard learningRate.isFinite, learningRate > 0 else { throw bad("learning rate must be positive, got \(learningRate)") }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else { throw bad("momentum must be in [0, 1), got \(momentum)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw bad("weight decay must be ≥ 0, got \(weightDecay)") }
        guard batchSize >= 1 else { throw bad("batch size must be at least 1, got \(batchSize)") }
        guard epochs >= 0 else { throw bad("epochs must be ≥ 0, got \(epochs)") }
        if case .stepDecay(let at, let factor) = schedule {
            guard at >= 0, factor.isFinite, factor > 0 else { throw bad("step decay at \(at) by \(factor) is invalid") }
        }
        if case .softCrossEntropy(let t) = loss {
            guard t.isFinite, t > 0 else { throw bad("temperature must be positive, got \(t)") }
        }
    }

    /// Canonical JSON: sorted keys, no whitespace; the same recipe always gives the same bytes.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain value types cannot fail.
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }

    /// A fresh optimiser at `rate` (what the reference builds at the start and at the lr drop).
    public func makeOptimizer(rate: Double) -> any Optimizer {
        switch optimizer {
        case .sgd: return SGD(learningRate: rate, momentum: momentum, weightDecay: weightDecay)
        case .adam: return Adam(learningRate: rate, weightDecay: weightDecay)
        }
    }

    /// One line for humans: `sgd lr 0.01 momentum 0.9 wd 0.0005 batch 256, 1001 epochs, ×0.1 at 501 …`.
    public var summary: String {
        var parts = ["\(optimizer.rawValue) lr \(learningRate)"]
        if optimizer == .sgd { parts.append("momentum \(momentum)") }
        parts.append("wd \(weightDecay) batch \(batchSize)\(dropLast ? " drop-last" : ""), \(epochs) epochs")
        switch schedule {
        case .constant: parts.append("constant lr")
        case .stepDecay(let at, let factor): parts.append("lr ×\(factor) from epoch \(at) (optimiser rebuilt)")
        }
        switch augmentation {
        case .none: parts.append("no augmentation")
        case .dsa(let strategy, let mode):
            parts.append(strategy.isNone ? "no augmentation" : "DSA \(strategy.description) mode \(mode.rawValue)")
        case .dc(let strategy):
            parts.append(strategy.isNone ? "no augmentation" : "DC augment \(strategy.description)")
        }
        switch loss {
        case .hardCrossEntropy: parts.append("hard-label cross-entropy")
        case .softCrossEntropy(let t): parts.append("soft-label cross-entropy T=\(t)")
        }
        if let sampling { parts.append("\(sampling.rawValue) sampling") }
        return parts.joined(separator: ", ")
    }
}

/// Errors of the training layer; messages are one line.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidRecipe(String)
    case invalidData(String)
    /// The cancellation closure asked to stop; `epoch` is the epoch in progress.
    case cancelled(epoch: Int)
    case diverged(epoch: Int, loss: Double)

    public var description: String {
        switch self {
        case .invalidRecipe(let s): return "training recipe: \(s)"
        case .invalidData(let s): return s
        case .cancelled(let e): return "training cancelled during epoch \(e)"
        case .diverged(let e, let l): return "training diverged in epoch \(e) (loss \(l))"
        }
    }
}
