import DDAutograd
import DDTensor

extension Network {
    /// One step of ordinary supervised training: mean cross-entropy of the batch against hard labels,
    /// gradients of every parameter, one optimiser update (batch-norm buffers update in training mode).
    /// Returns the batch loss before the update.
    @discardableResult
    public func trainingStep<O: Optimizer>(images: Tensor, labels: [Int], parameters: inout [Tensor],
                                           buffers: [BatchNormStatistics] = [], optimizer: inout O) -> Double {
        let leaves = parameters.map { $0.requiresGrad ? $0 : $0.requiringGrad() }
        let loss = forward(images, parameters: leaves, buffers: buffers, training: true).crossEntropy(labels: labels)
        let gradients = grad(of: loss, wrt: leaves)
        parameters = leaves
        optimizer.update(&parameters, gradients: gradients)
        return loss.item()
    }

    /// Accuracy and mean cross-entropy over a labelled set, in evaluation mode and without recording a
    /// graph, `batchSize` images at a time (bounds the activation memory of large sets). Batch-norm networks
    /// need their running statistics in `buffers`.
    public func evaluate(images: Tensor, labels: [Int], parameters: [Tensor], buffers: [BatchNormStatistics] = [],
                         batchSize: Int = 500) -> (accuracy: Double, loss: Double) {
        let n = images.shape[0]
        require(labels.count == n && batchSize > 0, "evaluate: \(n) images, \(labels.count) labels, batch \(batchSize)")
        guard n > 0 else { return (0, 0) }
        var correct = 0, lossSum = 0.0
        withNoGrad {
            for start in stride(from: 0, to: n, by: batchSize) {
                let range = start ..< Swift.min(n, start + batchSize)
                let batchLabels = Array(labels[range])
                let logits = forward(images.sliced(axis: 0, range), parameters: parameters, buffers: buffers,
                                     training: false)
                lossSum += logits.crossEntropy(labels: batchLabels).item() * Double(range.count)
                correct += zip(logits.array.argmaxRows(), batchLabels).filter { $0 == $1 }.count
            }
        }
        return (Double(correct) / Double(n), lossSum / Double(n))
    }
}
