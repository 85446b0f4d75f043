import DDAutograd
import DDData
import DDNN
import DDTensor
import Testing
@testable import DDMethods

@Suite struct DistillMethodTests {
    /// The 'ours' distance against a direct double loop: one (1 − cosine) per row of every ≥2-D tensor,
    /// eps on the product of norms, 1-D tensors ignored.
    @Test func matchingDistanceIsTheLayerwiseCosineIgnoringBiases() {
        var rng = RandomGenerator(seed: 3)
        let shapes = [[3, 2, 2, 2], [3], [4, 5], [4]]
        let a = shapes.map { Tensor.normal($0, dtype: .float64, rng: &rng) }
        let b = shapes.map { Tensor.normal($0, dtype: .float64, rng: &rng) }
        var expected = 0.0
        for (x, y) in zip(a, b) where x.rank >= 2 {
            let rows = x.shape[0], width = x.count / rows
            let xs = x.doubles, ys = y.doubles
            for r in 0..<rows {
                let u = xs[(r * width)..<((r + 1) * width)], v = ys[(r * width)..<((r + 1) * width)]
                let dot = zip(u, v).map(*).reduce(0, +)
                let nu = u.map { $0 * $0 }.reduce(0, +).squareRoot(), nv = v.map { $0 * $0 }.reduce(0, +).squareRoot()
                expected += 1 - dot / (nu * nv + 1e-6)
            }
        }
        let value = GradientMatching.distance(a, b).item()
        #expect(abs(value - expected) < 1e-9)
        // Changing only the 1-D tensors leaves the distance unchanged.
        var changed = b
        changed[1] = Tensor.normal([3], dtype: .float64, rng: &rng)
        changed[3] = Tensor.normal([4], dtype: .float64, rng: &rng)
        #expect(abs(GradientMatching.distance(a, changed).item() - value) < 1e-12)
    }

    @Test func referenceLoopTable() {
        #expect(DistillConfig.referenceLoops(ipc: 1)! == (1, 1))
        #expect(DistillConfig.referenceLoops(ipc: 10)! == (10, 50))
        #expect(DistillConfig.referenceLoops(ipc: 50)! == (50, 10))
        #expect(DistillConfig.referenceLoops(ipc: 7) == nil)
        let dc = DistillConfig.defaults(for: .dc, ipc: 10, dataset: "mnist")
        #expect(dc.outerLoop == 10 && dc.innerLoop == 50 && dc.learningRateImages == 0.1 && dc.momentumImages == 0.5)
        #expect(dc.initialization == .noise && dc.dsaStrategy == "none" && dc.batchReal == 256 && dc.iterations == 1000)
        let dm = DistillConfig.defaults(for: .dm, ipc: 10, dataset: "fashion-mnist")
        #expect(dm.learningRateImages == 1 && dm.iterations == 20_000 && dm.initialization == .real)
        #expect(dm.dsaStrategy == "color_crop_cutout_flip_scale_rotate")
        #expect(DistillConfig.defaults(for: .dsa, ipc: 1, dataset: "mnist").dsaStrategy == "color_crop_cutout_scale_rotate")
    }

    /// The objective on fixed draws (same network, batches and augmentation: a probe generator) is lower
    /// after a few iterations than at the initialisation, for every method.
    @Test(arguments: [DistillMethodName.dc, .dsa, .dm])
    func lossDecreasesOverAFewIterations(_ method: DistillMethodName) throws {
        let dataset = try DistillTestData.subset(perClass: 20)
        var config = DistillTestData.config(method, iterations: 6)
        if method == .dsa { config.dsaStrategy = "crop" }   // a mild family keeps the probe comparable
        let distiller = try Distiller(config: config, dataset: dataset)
        let before = try probeLoss(distiller, images: distiller.state.images)
        _ = try distiller.run(DistillRunOptions())
        let after = try probeLoss(distiller, images: distiller.state.images)
        #expect(distiller.state.iteration == 6 && distiller.state.losses.count == 6)
        #expect(after < before, "\(method): probe loss \(before) → \(after)")
    }

    /// Trains fresh small networks on a set and measures them on held-out real images.
    func heldOutAccuracy(_ images: NDArray, labels: [Int], heldOut: Dataset, network: Network) -> Double {
        var accuracy = 0.0
        for seed in 0..<2 as Range<UInt64> {
            var parameters = network.initialParameters(seed: 50 + seed)
            var optimizer = SGD(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4)
            for _ in 0..<60 {
                network.trainingStep(images: Tensor(images), labels: labels, parameters: &parameters, optimizer: &optimizer)
            }
            accuracy += network.evaluate(images: Tensor(heldOut.normalizedArray), labels: heldOut.labels.map { Int($0) },
                                         parameters: parameters).accuracy
        }
        return accuracy / 2
    }

    @Test func distilledSetBeatsItsInitialisationOnHeldOutImages() throws {
        let train = try DistillTestData.subset(perClass: 40)
        let heldOut = try DistillTestData.subset(perClass: 30, offset: 40)
        var config = DistillTestData.config(.dm, ipc: 2, iterations: 15)
        config.initialization = .noise
        config.dsaStrategy = "none"
        let distiller = try Distiller(config: config, dataset: train)
        let initial = distiller.state.images
        _ = try distiller.run(DistillRunOptions())
        let labels = distiller.pool.syntheticLabels
        let before = heldOutAccuracy(initial, labels: labels, heldOut: heldOut, network: distiller.network)
        let after = heldOutAccuracy(distiller.state.images, labels: labels, heldOut: heldOut, network: distiller.network)
        #expect(after > before + 0.15, "held-out accuracy: init \(before), distilled \(after)")
    }
}
