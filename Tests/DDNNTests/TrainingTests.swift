import DDTestSupport
import DDAutograd
import DDNN
import DDTensor
import Testing

@Suite struct TrainingTests {
    /// Two classes told apart by image brightness: a few SGD steps must fit them, and `evaluate` must agree
    /// with an argmax computed here.
    @Test func trainingStepFitsASeparableProblemAndEvaluateCountsCorrectly() throws {
        let net = try network("convnet-w4-d2", size: 8)
        var params = net.initialParameters(seed: 81)
        let noise = randomTensor([16, 1, 8, 8], seed: 82, low: -0.3, high: 0.3, dtype: .float32)
        let labels = (0..<16).map { $0 % 2 }
        let shift = NDArray(shape: [16, 1, 1, 1], scalars: labels.map { $0 == 1 ? 1 : -1 })
        let images = noise + Tensor(shift)
        var sgd = SGD(learningRate: 0.05, momentum: 0.9)
        var losses: [Double] = []
        for _ in 0..<15 {
            losses.append(net.trainingStep(images: images, labels: labels, parameters: &params, optimizer: &sgd))
        }
        #expect(try #require(losses.last) < 0.5 * (try #require(losses.first)))
        #expect(sgd.step == 15)
        let (accuracy, loss) = net.evaluate(images: images, labels: labels, parameters: params, batchSize: 5)
        let logits = withNoGrad { net.forward(images, parameters: params) }
        let manual = zip(logits.array.argmaxRows(), labels).filter { $0 == $1 }.count
        #expect(accuracy == Double(manual) / 16)
        #expect(accuracy == 1)
        #expect(Swift.abs(loss - logits.crossEntropy(labels: labels).item()) < 1e-5)
    }

    @Test func batchNormTrainingUpdatesBuffersAndEvaluationUsesThem() throws {
        let net = try network("convnet-w4-d1-bn", size: 8)
        var params = net.initialParameters(seed: 83)
        let buffers = net.makeBuffers()
        let images = randomTensor([6, 1, 8, 8], seed: 84, dtype: .float32)
        var sgd = SGD(learningRate: 0.01)
        net.trainingStep(images: images, labels: [0, 1, 2, 3, 4, 5], parameters: &params, buffers: buffers, optimizer: &sgd)
        #expect(buffers[0].mean.scalars.contains { $0 != 0 })
        let before = buffers[0].mean.scalars
        _ = net.evaluate(images: images, labels: [0, 1, 2, 3, 4, 5], parameters: params, buffers: buffers)
        #expect(buffers[0].mean.scalars == before, "evaluation leaves running statistics alone")
    }
}
