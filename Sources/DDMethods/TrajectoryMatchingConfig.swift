import DDFormat

/// The settings of trajectory matching (MTT, TESLA), reference methods/mtt-tesla.md §2.1. One struct on
/// `DistillConfig.trajectory`, so the other methods' flags and these never collide.
public struct TrajectoryMatchingConfig: Sendable, Equatable {
    /// Expert cache: a cache root (the key directory matching the run is picked) or a key directory.
    public var experts: String
    /// N: unrolled student steps per iteration.
    public var syntheticSteps = 20
    /// M: the target is the expert's checkpoint start + M (epochs).
    public var expertEpochs = 2
    /// T⁺: start epochs are drawn uniformly from 0 ..< T⁺.
    public var maxStartEpoch = 4
    /// SGD learning rate and momentum of the learnable student step size α (lr_lr; momentum 0.5).
    public var learningRateStepSize = 1e-5
    public var momentumStepSize = 0.5
    /// α₀ (the reference's lr_teacher).
    public var initialStepSize = 0.01
    /// α is clamped to at least this after every update (the reference lets it go negative, issue #16).
    public var minimumStepSize = 1e-6
    /// Synthetic images per student step; nil = all of them (the reference's default).
    public var batchSyn: Int?
    /// Train the student on the expert's target-checkpoint softmax of the synthetic images (TESLA
    /// `--teacher_label`) and store those labels in the output.
    public var softLabels = false
    /// Consecutive iterations with a non-finite loss or gradient (each skipped) before the run stops.
    public var maxNonFinite = 5

    public init(experts: String) { self.experts = experts }

    func validate(syntheticCount: Int) throws {
        func bad(_ text: String) -> DistillError { .usage(text) }
        guard !experts.isEmpty else { throw bad("--experts DIR is required for trajectory matching (an expert cache made by dd-expert)") }
        guard syntheticSteps >= 1, syntheticSteps <= 10_000 else { throw bad("--syn-steps must be in 1…10000, got \(syntheticSteps)") }
        guard expertEpochs >= 1 else { throw bad("--expert-epochs must be ≥ 1, got \(expertEpochs)") }
        guard maxStartEpoch >= 1 else { throw bad("--max-start-epoch must be ≥ 1, got \(maxStartEpoch)") }
        guard learningRateStepSize.isFinite, learningRateStepSize >= 0 else { throw bad("--lr-lr must be ≥ 0") }
        guard momentumStepSize.isFinite, (0..<1).contains(momentumStepSize) else { throw bad("step-size momentum must be in [0, 1)") }
        guard minimumStepSize.isFinite, minimumStepSize > 0 else { throw bad("--lr-min must be positive") }
        guard initialStepSize.isFinite, initialStepSize >= minimumStepSize else {
            throw bad("--lr-init must be a finite number ≥ --lr-min (\(minimumStepSize)), got \(initialStepSize)")
        }
        if let batchSyn, batchSyn < 1 { throw bad("--batch-syn must be ≥ 1, got \(batchSyn)") }
        guard maxNonFinite >= 1 else { throw bad("--max-nonfinite must be ≥ 1, got \(maxNonFinite)") }
    }

    /// Images per student step for a synthetic set of `count` images.
    func batchSize(syntheticCount count: Int) -> Int { min(batchSyn ?? count, count) }

    /// The hyper-parameters as metadata keys (merged into the `method` object).
    var metadata: [String: JSONValue] {
        [
            "experts": .string(experts), "syn_steps": .number(Double(syntheticSteps)),
            "expert_epochs": .number(Double(expertEpochs)), "max_start_epoch": .number(Double(maxStartEpoch)),
            "lr_lr": .number(learningRateStepSize), "momentum_lr": .number(momentumStepSize),
            "lr_init": .number(initialStepSize), "lr_min": .number(minimumStepSize),
            "batch_syn": batchSyn.map { .number(Double($0)) } ?? .string("all"),
            "soft_labels": .bool(softLabels), "max_nonfinite": .number(Double(maxNonFinite)),
            "step_size": .string("clamped"),
        ]
    }
}
