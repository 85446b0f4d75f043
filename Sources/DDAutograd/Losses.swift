import DDTensor

extension Tensor {
    /// Mean cross-entropy of logits [N, C] against hard labels (each in 0..<C).
    public func crossEntropy(labels: [Int]) -> Tensor {
        require(rank == 2 && labels.count == shape[0], "crossEntropy needs logits [N, C] and N labels")
        let n = shape[0], c = shape[1]
        require(labels.allSatisfy { $0 >= 0 && $0 < c }, "label out of range 0..<\(c)")
        let picked = logSoftmax(axis: 1).reshaped([n, 1, c]).gatherLast(labels.map { Int32($0) }, k: 1)
        return -picked.sum() / Double(n)
    }

    /// Mean cross-entropy of logits [N, C] against probability targets [N, C]: −mean_n Σ_c t log softmax(x).
    /// Differentiable in both the logits and the targets (soft labels can be learned).
    public func crossEntropy(probabilities target: Tensor) -> Tensor {
        require(shape == target.shape && rank == 2, "crossEntropy: logits \(shape) vs targets \(target.shape)")
        return -(target * logSoftmax(axis: 1)).sum() / Double(shape[0])
    }

    /// Mean squared error over all elements.
    public func mse(_ target: Tensor) -> Tensor { (self - target).square().mean() }

    /// KL(target ‖ exp(self)) with self = log-probabilities [N, C], averaged over the batch
    /// (PyTorch KLDivLoss(reduction: "batchmean")); 0·log 0 counts as 0.
    public func klDivergence(target: Tensor) -> Tensor {
        require(shape == target.shape && rank >= 1, "klDivergence shape mismatch")
        let zeroMask = target.array.binary(.zeros([], dtype: dtype), .lessEqual)
        let safeLog = (target + Tensor(zeroMask)).log()
        return (target * (safeLog - self)).sum() / Double(shape[0])
    }

    /// 1 − cos(self, other) over all elements (flattened).
    public func cosineDistance(_ other: Tensor, eps: Double = 1e-8) -> Tensor {
        let a = reshaped([-1]), b = other.reshaped([-1])
        let dot = (a * b).sum()
        let norms = (a.square().sum() * b.square().sum()).sqrt()
        return 1 - dot / (norms + eps)
    }
}
