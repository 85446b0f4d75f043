/// The parameters of an expert at one epoch (0 = initialisation) and the diagnostics measured there.
public struct EpochCheckpoint: Sendable {
    public var epoch: Int
    public var parameters: [Float]
    public var trainLoss: Double?
    public var trainAccuracy: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?

    public init(epoch: Int, parameters: [Float], trainLoss: Double? = nil, trainAccuracy: Double? = nil,
                testLoss: Double? = nil, testAccuracy: Double? = nil) {
        self.epoch = epoch
        self.parameters = parameters
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
    }
}

/// What the cache needs from a training loop. The loop itself lives in DDTrain (one loop for dd-eval and
/// dd-expert); `TrainerAdapter` in dd-expert's wiring conforms it. Tests use small deterministic
/// trainers to exercise the cache without training a network.
public protocol ExpertTrainer {
    /// SGD steps per epoch, recorded so distillers can interpret M (reference §4 A).
    var stepsPerEpoch: Int { get }

    /// Trains one expert from `seed` and calls `checkpoint` with epoch 0 (the initialisation) and after
    /// every epoch, in order. Polls `shouldStop` at batch boundaries and returns early when it is true
    /// (the caller sees fewer checkpoints and treats the expert as interrupted).
    ///
    /// With each checkpoint after epoch 0 comes `saveState`, which encodes the run at that epoch's end
    /// (called only if the run is interrupted before the next one). `resume` is such an encoding: training
    /// continues after its epoch, `checkpoint` is called from the next epoch on, and the rest of the
    /// trajectory is that of the uninterrupted run.
    func train(seed: UInt64, epochs: Int, resume: [UInt8]?, shouldStop: () -> Bool,
               checkpoint: (EpochCheckpoint, _ saveState: (() throws -> [UInt8])?) throws -> Void) throws
}

/// One line of an expert's diagnostics (reference §4 F): losses and accuracies at the checkpoint and
/// the squared distance moved during the epoch that ended there (‖θ_e − θ_{e−1}‖², nil at epoch 0).
public struct EpochDiagnostics: Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double?
    public var trainAccuracy: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var distanceSquared: Double?
}
