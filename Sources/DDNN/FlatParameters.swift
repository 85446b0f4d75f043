import DDAutograd
import DDTensor

/// The parameters as one 1-D vector: each tensor in row-major order, concatenated in list order
/// (the layout trajectory matching stores and steps). Differentiable.
public func flatten(_ parameters: [Tensor]) -> Tensor {
    Tensor.concat(parameters.map { $0.reshaped([-1]) }, axis: 0)
}

/// Splits a flat vector back into tensors of `shapes` (slices + reshapes, so gradients flow from the
/// pieces into the vector). The vector must hold exactly the elements of all shapes.
public func unflatten(_ vector: Tensor, shapes: [[Int]]) -> [Tensor] {
    let total = shapes.reduce(0) { $0 + $1.reduce(1, *) }
    require(vector.rank == 1 && vector.count == total,
          "unflatten: vector of shape \(vector.shape) for \(total) parameter elements")
    var start = 0
    return shapes.map { shape in
        let n = shape.reduce(1, *)
        defer { start += n }
        return vector.sliced(axis: 0, start ..< start + n).reshaped(shape)
    }
}

extension Network {
    /// `unflatten` with this network's parameter shapes.
    public func unflatten(_ vector: Tensor) -> [Tensor] {
        DDNN.unflatten(vector, shapes: parameterShapes)
    }

    /// Running statistics as plain arrays for checkpoints: [mean₀, variance₀, mean₁, variance₁, …].
    public func bufferArrays(_ buffers: [BatchNormStatistics]) -> [NDArray] {
        buffers.flatMap { [$0.mean, $0.variance] }
    }

    /// Inverse of `bufferArrays`; nil when the arrays do not fit this network's batch-norm layers.
    public func restoreBuffers(_ arrays: [NDArray]) -> [BatchNormStatistics]? {
        let fresh = makeBuffers()
        guard arrays.count == 2 * fresh.count else { return nil }
        for (i, statistics) in fresh.enumerated() {
            let mean = arrays[2 * i], variance = arrays[2 * i + 1]
            guard mean.shape == statistics.mean.shape, variance.shape == statistics.variance.shape else { return nil }
            statistics.mean = mean
            statistics.variance = variance
        }
        return fresh
    }
}
