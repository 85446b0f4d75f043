import DDAugment
import DDFormat
import DDNN

/// The distillation methods dd-distill runs through the shared loop.
public enum DistillMethodName: String, Sendable, CaseIterable {
    case dc, dsa, dm, mtt, tesla

    /// Trajectory matching: needs an expert cache and `DistillConfig.trajectory`.
    public var matchesTrajectories: Bool { self == .mtt || self == .tesla }

    public static var listing: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses a method name; an unknown one is a usage error listing the known methods.
    public init(parsing text: String, extra: [String] = []) throws {
        guard let method = DistillMethodName(rawValue: text.lowercased()) else {
            let known = (Self.allCases.map(\.rawValue) + extra).joined(separator: ", ")
            throw DistillError.usage("unknown method '\(text)'; known methods: \(known)")
        }
        self = method
    }
}

/// Where synthetic images start: random real images of their sub-population (seeded), N(0,1) noise in
/// the normalised space, or the images of a given set (`InitialSet`, `DistillConfig.initialSet`).
public enum SyntheticInit: String, Sendable, CaseIterable { case real, noise, set }

/// Every hyper-parameter of a run. `defaults(for:ipc:dataset:)` gives the published values
/// (reference methods/dc-dsa.md §1, methods/dm.md §1); every field is a dd-distill flag.
public struct DistillConfig: Sendable, Equatable {
    public var method: DistillMethodName
    public var ipc: Int
    /// Outer iterations (image updates for DM; fresh networks for DC/DSA).
    public var iterations: Int
    public var learningRateImages: Double
    public var momentumImages: Double
    /// DC/DSA inner-loop network optimiser (plain SGD at the reference's HEAD).
    public var learningRateNet: Double
    public var momentumNet: Double
    /// Real images per sub-population per matching step.
    public var batchReal: Int
    /// Batch for training the network on the synthetic set (DC/DSA inner loop).
    public var batchTrain: Int
    /// DC/DSA: image updates per iteration, and epochs of network training between them.
    public var outerLoop: Int
    public var innerLoop: Int
    public var initialization: SyntheticInit
    /// Network name as `NetworkSpec(parsing:)` accepts it.
    public var network: String
    /// DSA strategy string; "none" for DC.
    public var dsaStrategy: String
    public var seed: UInt64
    public var matchBy: MatchBy
    /// MTT/TESLA settings (nil for the other methods).
    public var trajectory: TrajectoryMatchingConfig? = nil
    /// With `matchBy == .group`: partitioned slots (default) or FairDD's sum over groups.
    public var groupLoss: GroupLoss = .partition
    public var reweight: Reweight = .none
    /// With `initialization == .set`: the content digest of the set the images start from.
    public var initialSet: String? = nil

    /// The reference's get_loops table: (outer_loop, inner_loop) by IPC; nil outside it.
    public static func referenceLoops(ipc: Int) -> (outer: Int, inner: Int)? {
        switch ipc {
        case 1: return (1, 1)
        case 10: return (10, 50)
        case 20: return (20, 25)
        case 30: return (30, 20)
        case 40: return (40, 15)
        case 50: return (50, 10)
        default: return nil
        }
    }

    /// Published defaults. DC uses noise init (the DC paper), DSA and DM real init; DSA and DM use the DC
    /// readme's strategy for the dataset (no flip on digits). For an IPC outside the get_loops table the
    /// loops fall back to the author's advice for large IPC, (50, 10); pass them explicitly to change it.
    public static func defaults(for method: DistillMethodName, ipc: Int, dataset: String, seed: UInt64 = 0) -> DistillConfig {
        let loops = referenceLoops(ipc: ipc) ?? (50, 10)
        let strategy = DSAStrategy.defaultStrategy(forDataset: dataset).description
        switch method {
        case .dc, .dsa:
            return DistillConfig(method: method, ipc: ipc, iterations: 1000, learningRateImages: 0.1, momentumImages: 0.5,
                                 learningRateNet: 0.01, momentumNet: 0, batchReal: 256, batchTrain: 256,
                                 outerLoop: loops.outer, innerLoop: loops.inner,
                                 initialization: method == .dc ? .noise : .real, network: "convnet",
                                 dsaStrategy: method == .dc ? "none" : strategy, seed: seed, matchBy: .class)
        case .dm:
            return DistillConfig(method: method, ipc: ipc, iterations: 20_000, learningRateImages: 1.0, momentumImages: 0.5,
                                 learningRateNet: 0.01, momentumNet: 0, batchReal: 256, batchTrain: 256,
                                 outerLoop: 1, innerLoop: 0, initialization: .real, network: "convnet",
                                 dsaStrategy: strategy, seed: seed, matchBy: .class)
        case .mtt, .tesla:
            // distill.py: 5000 iterations, lr_img 1000, momentum 0.5, real init, DSA on every student step.
            return DistillConfig(method: method, ipc: ipc, iterations: 5000, learningRateImages: 1000, momentumImages: 0.5,
                                 learningRateNet: 0.01, momentumNet: 0, batchReal: 256, batchTrain: 256,
                                 outerLoop: 1, innerLoop: 0, initialization: .real, network: "convnet",
                                 dsaStrategy: strategy, seed: seed, matchBy: .class,
                                 trajectory: TrajectoryMatchingConfig(experts: ""))
        }
    }

    /// Checks ranges; the first problem is a usage error naming the flag.
    public func validate() throws {
        func bad(_ text: String) -> DistillError { .usage(text) }
        guard ipc >= 1, ipc <= 100_000 else { throw bad("--ipc must be in 1…100000, got \(ipc)") }
        guard iterations >= 0 else { throw bad("--iterations must be ≥ 0, got \(iterations)") }
        guard learningRateImages.isFinite, learningRateImages > 0 else { throw bad("--lr-img must be positive") }
        guard momentumImages.isFinite, (0..<1).contains(momentumImages) else { throw bad("--momentum-img must be in [0, 1)") }
        guard learningRateNet.isFinite, learningRateNet > 0 else { throw bad("--lr-net must be positive") }
        guard momentumNet.isFinite, (0..<1).contains(momentumNet) else { throw bad("--momentum-net must be in [0, 1)") }
        guard batchReal >= 1 else { throw bad("--batch-real must be ≥ 1") }
        guard batchTrain >= 1 else { throw bad("--batch-train must be ≥ 1") }
        guard outerLoop >= 1, innerLoop >= 0 else { throw bad("--outer-loop must be ≥ 1 and --inner-loop ≥ 0") }
        do {
            let spec = try NetworkSpec(parsing: network)
            if spec.description.split(separator: "-").contains("bn") {
                throw bad("--net \(network): batch-norm networks are not supported by dd-distill yet "
                          + "(the reference freezes BN statistics per outer step); use an instance/group-norm ConvNet")
            }
        } catch let error as DistillError {
            throw error
        } catch {
            throw bad("--net: \(error)")
        }
        do { _ = try DSAStrategy(parsing: dsaStrategy) } catch { throw bad("--dsa-strategy: \(error)") }
        if method.matchesTrajectories {
            guard let trajectory else { throw bad("\(method.rawValue) needs its trajectory-matching settings") }
            try trajectory.validate(syntheticCount: ipc)
        }
        if initialization == .set, initialSet == nil { throw bad("--init set needs the set: --init-from FILE") }
        if groupLoss != .partition, matchBy != .group { throw bad("--group-loss \(groupLoss.rawValue) needs --match-by group") }
        if method.matchesTrajectories, groupLoss != .partition || reweight != .none {
            // Both act on real batches, which trajectory matching never draws (its real data are the experts).
            throw bad("\(method.rawValue) draws no real batches, so --group-loss sum and --reweight do not apply; "
                      + "for debiased trajectory matching use --match-by group with experts from dd-expert --balance groups")
        }
        if reweight != .none, matchBy == .group {
            throw bad("--reweight \(reweight.rawValue) does not combine with --match-by group: it stands in for group "
                      + "labels when there are none; with groups, group matching already balances them")
        }
    }

    /// Every hyper-parameter as JSON (the `method` object of a synthetic stream and of a checkpoint).
    public var metadata: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(method.rawValue), "ipc": .number(Double(ipc)), "iterations": .number(Double(iterations)),
            "lr_img": .number(learningRateImages), "momentum_img": .number(momentumImages),
            "init": .string(initialization.rawValue), "net": .string(network),
            "batch_real": .number(Double(batchReal)), "seed": .string(String(seed)),
            "match_by": .string(matchBy.rawValue), "dsa_strategy": .string(dsaStrategy),
            "image_optimizer": .string("sgd"),
        ]
        if let trajectory, method.matchesTrajectories {
            object.merge(trajectory.metadata) { _, new in new }
            object["batch_real"] = nil
        }

        // Only when used, so checkpoints of plain runs keep their identity.
        if matchBy == .group { object["group_loss"] = .string(groupLoss.rawValue) }
        if reweight != .none { object["reweight"] = .string(reweight.rawValue) }
        if initialization == .set, let initialSet { object["init_set"] = .string(initialSet) }
        if method != .dm, !method.matchesTrajectories {
            object["lr_net"] = .number(learningRateNet)
            object["momentum_net"] = .number(momentumNet)
            object["batch_train"] = .number(Double(batchTrain))
            object["outer_loop"] = .number(Double(outerLoop))
            object["inner_loop"] = .number(Double(innerLoop))
            object["distance"] = .string("ours")
        } else {
            object["embedding"] = .string("mean")
        }
        return .object(object)
    }

    /// Keys a resumed run may change: the iteration count, and where the expert cache lives (its key and
    /// the dataset it belongs to are checked against the run instead).
    static let resumeExempt = ["iterations", "experts"]

    /// The metadata keys that must agree between a checkpoint and the run resuming it (all but the
    /// iteration count, which a resumed run may extend).
    var resumeIdentity: [String: JSONValue] {
        var object = metadata.objectValue ?? [:]
        for key in Self.resumeExempt { object[key] = nil }
        return object
    }
}
