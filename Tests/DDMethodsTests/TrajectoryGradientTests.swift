import DDAugment
import DDAutograd
import DDNN
import DDTensor
import Testing
@testable import DDMethods

/// The trajectory-matching gradients on a tiny problem in Float64: a 1-block ConvNet of width 2 on 8×8
/// images, 2 classes, 4 synthetic images, N student steps on batches of 2 under per-sample DSA.
@Suite struct TrajectoryGradientTests {
    struct Problem {
        let network: Network
        let images: NDArray
        let labels: StudentLabels
        let start: NDArray
        let target: NDArray
        let plan: [StudentStep]
        var stepSize = 0.3

        init(steps: Int, seed: UInt64 = 3, strategy: String = "color_crop_cutout_scale_rotate") throws {
            network = try Network(try NetworkSpec(parsing: "convnet-d1-w2"), channels: 1, height: 8, width: 8, classes: 2)
            var rng = RandomGenerator(seed: seed)
            images = NDArray.normal([4, 1, 8, 8], dtype: .float64, rng: &rng)
            labels = .hard([0, 0, 1, 1])
            start = flatten(network.initialParameters(rng: &rng, dtype: .float64)).array
            target = start + NDArray.normal(start.shape, std: 0.05, dtype: .float64, rng: &rng)
            plan = TrajectoryObjective.drawPlan(syntheticCount: 4, batch: 2, steps: steps,
                                                strategy: try DSAStrategy(parsing: strategy),
                                                geometry: DSAGeometry(height: 8, width: 8), rng: &rng)
        }

        func loss(images: NDArray? = nil, stepSize: Double? = nil) -> Double {
            TrajectoryObjective.loss(network: network, images: images ?? self.images, labels: labels, start: start,
                                     target: target, stepSize: stepSize ?? self.stepSize, plan: plan)
        }
        var exact: TrajectoryGradient {
            TrajectoryObjective.exact(network: network, images: images, labels: labels, start: start, target: target,
                                      stepSize: stepSize, plan: plan)
        }
        var tesla: TrajectoryGradient {
            TrajectoryObjective.tesla(network: network, images: images, labels: labels, start: start, target: target,
                                      stepSize: stepSize, plan: plan)
        }

        /// Central differences of the true unrolled loss at `pixels` (flat indices) and in α.
        func finiteDifferences(pixels: [Int], h: Double = 1e-5) -> (images: [Double], stepSize: Double) {
            let base = images.doubles
            let imageFD = pixels.map { k -> Double in
                var plus = base, minus = base
                plus[k] += h; minus[k] -= h
                return (loss(images: NDArray(shape: images.shape, doubles: plus))
                        - loss(images: NDArray(shape: images.shape, doubles: minus))) / (2 * h)
            }
            let alphaFD = (loss(stepSize: stepSize + h) - loss(stepSize: stepSize - h)) / (2 * h)
            return (imageFD, alphaFD)
        }

        /// TESLA's approximation written as plain autodiff: θ_N = θ₀ − αΣg_i with every θ_i a constant leaf
        /// (no dependence on earlier batches or on α), g_i still differentiable in the images.
        var truncated: TrajectoryGradient {
            let pixels = Tensor(images, requiresGrad: true)
            let alpha = Tensor(NDArray.scalar(stepSize, dtype: .float64), requiresGrad: true)
            var w = start, total = Tensor(NDArray.zeros(start.shape, dtype: .float64))
            for step in plan {
                let g = TrajectoryObjective.studentGradient(network, batch: pixels.indexSelect(axis: 0, step.rows), step: step,
                                                            w: Tensor(w, requiresGrad: true), labels: labels, createGraph: true)
                total = total + g
                w = w - g.array * stepSize
            }
            let residual = Tensor(start) - alpha * total - Tensor(target)
            let loss = residual.square().sum() / TrajectoryObjective.squaredNorm(start - target)
            let grads = grad(of: loss, wrt: [pixels, alpha])
            return TrajectoryGradient(loss: loss.item(), images: grads[0].array, stepSize: grads[1].item())
        }
    }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        let diff = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        let scale = max(a.map { $0 * $0 }.reduce(0, +).squareRoot(), b.map { $0 * $0 }.reduce(0, +).squareRoot(), 1e-12)
        return diff / scale
    }

    @Test func mttGradientMatchesFiniteDifferencesOfTheUnrolledLoss() throws {
        let problem = try Problem(steps: 3)
        let exact = problem.exact
        #expect(abs(exact.loss - problem.loss()) < 1e-12)
        let pixels = Array(stride(from: 0, to: 256, by: 7))
        let fd = problem.finiteDifferences(pixels: pixels)
        let analytic = pixels.map { exact.images.doubles[$0] }
        #expect(Self.relativeError(analytic, fd.images) < 1e-6, "images: \(analytic.prefix(4)) vs \(fd.images.prefix(4))")
        #expect(abs(exact.stepSize - fd.stepSize) <= 1e-6 * max(abs(fd.stepSize), 1e-9), "α: \(exact.stepSize) vs \(fd.stepSize)")
        #expect(analytic.contains { abs($0) > 1e-6 }, "a vanishing gradient would pass trivially")
    }

    @Test func teslaIsExactForOneStepAndTheTruncationOfMTTBeyond() throws {
        // One step: θ₀ does not depend on the images or α, so nothing is dropped.
        let one = try Problem(steps: 1)
        let (e1, t1) = (one.exact, one.tesla)
        #expect(abs(e1.loss - t1.loss) < 1e-12)
        #expect(Self.relativeError(t1.images.doubles, e1.images.doubles) < 1e-10)
        #expect(abs(t1.stepSize - e1.stepSize) < 1e-10 * abs(e1.stepSize))

        // Three steps: TESLA equals the autodiff of the truncated objective (the terms it keeps, with the
        // factor 2 and the replayed batches and DSA draws) and differs from the exact gradient by the
        // dropped cross-step terms.
        let three = try Problem(steps: 3)
        let (exact, tesla, truncated) = (three.exact, three.tesla, three.truncated)
        #expect(abs(tesla.loss - exact.loss) < 1e-12)
        #expect(Self.relativeError(tesla.images.doubles, truncated.images.doubles) < 1e-9)
        #expect(abs(tesla.stepSize - truncated.stepSize) < 1e-9 * abs(truncated.stepSize))
        let imageGap = Self.relativeError(tesla.images.doubles, exact.images.doubles)
        let alphaGap = abs(tesla.stepSize - exact.stepSize) / abs(exact.stepSize)
        #expect(imageGap > 1e-3, "the dropped image terms are visible at α = 0.3: \(imageGap)")
        #expect(alphaGap > 1e-3, "the dropped α terms are visible: \(alphaGap)")
        // Still a descent-aligned approximation on this problem.
        let cosine = (tesla.images * exact.images).sumAll().item()
            / (TrajectoryObjective.squaredNorm(tesla.images) * TrajectoryObjective.squaredNorm(exact.images)).squareRoot()
        #expect(cosine > 0.5, "cosine \(cosine)")
    }

    @Test func teslaHoldsOneStepsGraphWhileMTTKeepsAllOfThem() throws {
        func peaks(_ steps: Int) throws -> (mtt: Int, tesla: Int) {
            let problem = try Problem(steps: steps)
            let mtt = GraphCensus.measure { problem.exact }.census
            let tesla = GraphCensus.measure { problem.tesla }.census
            #expect(mtt.liveNodes == 0 && tesla.liveNodes == 0, "every graph is freed after the iteration")
            return (mtt.peakNodes, tesla.peakNodes)
        }
        let short = try peaks(2), long = try peaks(8)
        #expect(short.tesla > 0 && short.mtt > 0)
        #expect(long.tesla <= short.tesla + short.tesla / 20, "TESLA's peak graph grew with N: \(short.tesla) → \(long.tesla)")
        #expect(long.mtt >= 3 * short.mtt, "MTT keeps every step's graph: \(short.mtt) → \(long.mtt)")
    }

    @Test func softLabelsGradientMatchesFiniteDifferences() throws {
        var problem = try Problem(steps: 2, strategy: "none")
        var rng = RandomGenerator(seed: 9)
        let logits = NDArray.normal([4, 2], dtype: .float64, rng: &rng)
        let probabilities = Tensor(logits).softmax(axis: 1).array
        problem = Problem(copying: problem, labels: .soft(probabilities))
        let exact = problem.exact
        let pixels = Array(stride(from: 3, to: 256, by: 11))
        let fd = problem.finiteDifferences(pixels: pixels)
        #expect(Self.relativeError(pixels.map { exact.images.doubles[$0] }, fd.images) < 1e-6)
        #expect(abs(exact.stepSize - fd.stepSize) <= 1e-6 * abs(fd.stepSize))
    }
}

extension TrajectoryGradientTests.Problem {
    init(copying other: Self, labels: StudentLabels) {
        network = other.network; images = other.images; self.labels = labels
        start = other.start; target = other.target; plan = other.plan; stepSize = other.stepSize
    }
}
