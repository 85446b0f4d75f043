import DDNN
import DDTensor

/// A training run at the end of an epoch: everything `Trainer.train` needs to continue it to the bytes of
/// the uninterrupted run (the parameters, batch-norm running statistics, optimiser buffers, the generator
/// of batch order and augmentation, and the epoch history). Value types throughout, so holding one costs
/// no copies until the run moves on.
public struct TrainingSnapshot: Sendable {
    /// Epochs completed (1…E; 0 would be the initialisation, which the seed already determines).
    public var epoch: Int
    public var parameters: [NDArray]
    /// `Network.bufferArrays` of the batch-norm statistics (empty without batch norm).
    public var buffers: [NDArray]
    public var optimizer: OptimizerState
    public var rng: RandomGenerator
    public var history: [EpochStats]

    public init(epoch: Int, parameters: [NDArray], buffers: [NDArray], optimizer: OptimizerState,
                rng: RandomGenerator, history: [EpochStats]) {
        self.epoch = epoch
        self.parameters = parameters
        self.buffers = buffers
        self.optimizer = optimizer
        self.rng = rng
        self.history = history
    }
}

extension LearningRateSchedule {
    /// The rate in force during epoch `epoch − 1`, i.e. what the loop holds after `epoch` epochs: the loop
    /// only changes it at the epochs where the schedule moves, so replaying those decisions reproduces it.
    func rate(base: Double, after epochs: Int) -> Double {
        var current = rate(base: base, epoch: 0)
        for e in 0..<epochs {
            let next = rate(base: base, epoch: e)
            if rebuildsOptimizer(at: e) || next != current { current = next }
        }
        return current
    }
}
