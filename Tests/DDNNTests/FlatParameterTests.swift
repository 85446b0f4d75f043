import DDTestSupport
import DDAutograd
import DDNN
import DDTensor
import Testing

@Suite struct FlatParameterTests {
    @Test func flattenUnflattenRoundTrip() throws {
        let net = try network("convnet-w8-bn")
        let params = net.initialParameters(seed: 5)
        let flat = flatten(params)
        #expect(flat.shape == [net.parameterCount])
        // Row-major concatenation in parameter order: the vector starts with conv1's weight and ends with
        // the classifier bias.
        let values = flat.scalars
        #expect(Array(values.prefix(params[0].count)) == params[0].scalars)
        #expect(Array(values.suffix(10)) == params[params.count - 1].scalars)
        let back = net.unflatten(flat)
        #expect(back.map(\.shape) == net.parameterShapes)
        #expect(back.map(\.scalars) == params.map(\.scalars))
    }

    @Test func gradientsFlowThroughUnflatten() throws {
        let shapes = [[2, 3], [4], [1, 2, 2]]
        let vector = randomTensor([14], seed: 1).requiringGrad()
        let pieces = unflatten(vector, shapes: shapes)
        let weights = shapes.enumerated().map { randomTensor($1, seed: 10 + UInt64($0)) }
        // L = Σ_k <c_k, piece_k²>, so ∂L/∂v = flatten(2 c_k ⊙ piece_k).
        let loss = zip(pieces, weights).map { ($0.square() * $1).sum() }.reduce(Tensor(0, dtype: .float64), +)
        let g = grad(of: loss, wrt: [vector])[0]
        let expected = zip(pieces, weights).flatMap { piece, c in zip(piece.doubles, c.doubles).map { 2 * $0 * $1 } }
        #expect(maxDifference(g.doubles, expected) < 1e-12)
    }

    /// A network run from a flat vector gets the same gradients as one run from the separate tensors.
    @Test func networkGradientThroughFlatVector() throws {
        let net = try network("convnet-w4-d2", size: 12)
        let params = net.initialParameters(seed: 3, dtype: .float64)
        let x = randomTensor([2, 1, 12, 12], seed: 4)
        let labels = [3, 7]
        let direct = grad(of: net.forward(x, parameters: params).crossEntropy(labels: labels), wrt: params)
        let vector = flatten(params).detach().requiringGrad()
        let viaFlat = grad(of: net.forward(x, parameters: net.unflatten(vector)).crossEntropy(labels: labels),
                           wrt: [vector])[0]
        #expect(maxDifference(viaFlat.doubles, direct.flatMap(\.doubles)) < 1e-12)
    }

    @Test func buffersRoundTripForCheckpoints() throws {
        let net = try network("convnet-w4-bn", size: 12)
        let buffers = net.makeBuffers()
        #expect(buffers.count == 3)
        _ = net.forward(randomTensor([3, 1, 12, 12], seed: 2, dtype: .float32), parameters: net.initialParameters(seed: 1),
                        buffers: buffers, training: true)
        let arrays = net.bufferArrays(buffers)
        #expect(arrays.count == 6)
        let restored = try #require(net.restoreBuffers(arrays))
        #expect(restored.map(\.mean.scalars) == buffers.map(\.mean.scalars))
        #expect(restored.map(\.variance.scalars) == buffers.map(\.variance.scalars))
        #expect(net.restoreBuffers(Array(arrays.dropLast())) == nil)
    }
}
