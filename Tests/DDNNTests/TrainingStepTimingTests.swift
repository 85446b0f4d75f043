import DDTestSupport
import DDAutograd
import DDNN
import DDTensor
import Foundation
import Testing

/// Time of one ConvNet-3 training step (forward, backward, SGD) on 256 MNIST-sized images.
/// A measurement, not a check of speed, so it only runs on request (the benchmark target owns timings):
///   DD_NN_TIMING=1 swift test -c release --scratch-path .build-nn --filter TrainingStepTiming
@Suite struct TrainingStepTimingTests {
    /// CPU time of the whole process (all threads): on a shared machine, CPU/threads is a steadier
    /// estimate of the unloaded wall time than the wall time itself.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["DD_NN_TIMING"] != nil))
    func convNet3TrainingStepBatch256() throws {
        let net = try network("convnet")
        var params = net.initialParameters(seed: 1)
        var sgd = SGD(learningRate: 0.01, momentum: 0.9)
        let x = randomTensor([256, 1, 28, 28], seed: 2, low: 0, high: 1, dtype: .float32)
        var rng = RandomGenerator(seed: 3)
        let labels = (0..<256).map { _ in rng.int(below: 10) }
        var losses: [Double] = []
        var times: [Double] = []
        for _ in 0..<6 {
            let cpuStart = Self.processCPUSeconds()
            let start = Date()
            let loss = net.forward(x, parameters: params).crossEntropy(labels: labels)
            let forwardDone = Date()
            let grads = grad(of: loss, wrt: params)
            let backwardDone = Date()
            sgd.update(&params, gradients: grads)
            let end = Date()
            let cpu = Self.processCPUSeconds() - cpuStart
            losses.append(loss.item())
            times.append(end.timeIntervalSince(start))
            print(String(format: "step: %.3f s (forward %.3f, backward %.3f, sgd %.4f), CPU %.3f s, loss %.4f",
                         end.timeIntervalSince(start), forwardDone.timeIntervalSince(start),
                         backwardDone.timeIntervalSince(forwardDone), end.timeIntervalSince(backwardDone), cpu,
                         loss.item()))
        }
        let steady = times.dropFirst().sorted()
        print(String(format: "median step %.3f s over %d steps (first %.3f s)", steady[steady.count / 2], steady.count, times[0]))
        #expect(try #require(losses.last) < (try #require(losses.first)), "the same batch is being fitted")
    }
}
