import DDAutograd
import DDNN
import DDTensor
import Foundation
import Testing

/// Optimiser steps on 2-element tensors against the update formulas written out by hand.
@Suite struct OptimizerTests {
    static let start: [Double] = [1, -2]
    static let g1: [Double] = [0.5, 0.25]
    static let g2: [Double] = [-0.2, 0.4]

    static func tensor(_ v: [Double], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: [2], doubles: v, requiresGrad: requiresGrad)
    }

    @Test func sgdWithMomentumAndWeightDecay() {
        let lr = 0.1, mu = 0.9, wd = 0.01
        var sgd = SGD(learningRate: lr, momentum: mu, weightDecay: wd)
        var params = [Self.tensor(Self.start, requiresGrad: true)]
        sgd.update(&params, gradients: [Self.tensor(Self.g1)])
        // Step 1: d = g + wd·p, buf = d, p −= lr·buf.
        let d1 = (0..<2).map { Self.g1[$0] + wd * Self.start[$0] }
        let p1 = (0..<2).map { Self.start[$0] - lr * d1[$0] }
        #expect(maxDifference(params[0].doubles, p1) < 1e-15)
        #expect(params[0].requiresGrad, "updated parameters stay leaves that require gradients")
        sgd.update(&params, gradients: [Self.tensor(Self.g2)])
        // Step 2: buf = μ·buf + (g + wd·p).
        let buf2 = (0..<2).map { mu * d1[$0] + Self.g2[$0] + wd * p1[$0] }
        let p2 = (0..<2).map { p1[$0] - lr * buf2[$0] }
        #expect(maxDifference(params[0].doubles, p2) < 1e-15)
        #expect(maxDifference([0.922151, -2.081677], p2) < 1e-12, "hand-evaluated numbers")
        #expect(sgd.step == 2)
    }

    @Test func plainSGDHasNoState() {
        var sgd = SGD(learningRate: 0.5)
        var params = [Self.tensor(Self.start)]
        sgd.update(&params, gradients: [Self.tensor(Self.g1)])
        #expect(params[0].doubles == [0.75, -2.125])
        #expect(sgd.state.tensors.isEmpty)
    }

    @Test func adamWithBiasCorrection() {
        let lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01
        var adam = Adam(learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd)
        var params = [Self.tensor(Self.start, requiresGrad: true)]
        var expected = Self.start, m = [0.0, 0.0], v = [0.0, 0.0]
        for (t, g) in [Self.g1, Self.g2].enumerated() {
            adam.update(&params, gradients: [Self.tensor(g)])
            for i in 0..<2 {
                let gi = g[i] + wd * expected[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mHat = m[i] / (1 - pow(b1, Double(t + 1))), vHat = v[i] / (1 - pow(b2, Double(t + 1)))
                expected[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
            #expect(maxDifference(params[0].doubles, expected) < 1e-12, "step \(t + 1)")
        }
        #expect(adam.step == 2)
    }

    @Test func firstAdamStepIsLearningRateTimesSign() {
        var adam = Adam(learningRate: 0.1)
        var params = [Self.tensor(Self.start)]
        adam.update(&params, gradients: [Self.tensor(Self.g1)])
        #expect(maxDifference(params[0].doubles, [0.9, -2.1]) < 1e-6)
    }

    @Test func stateRoundTripContinuesIdentically() throws {
        for make in [{ SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4) as any Optimizer },
                     { Adam(learningRate: 0.01, weightDecay: 1e-3) as any Optimizer }] {
            var first = make()
            var params = [Self.tensor(Self.start), Tensor(shape: [1], doubles: [3])]
            let grads1 = [Self.tensor(Self.g1), Tensor(shape: [1], doubles: [0.7])]
            let grads2 = [Self.tensor(Self.g2), Tensor(shape: [1], doubles: [-0.3])]
            first.update(&params, gradients: grads1)
            let saved = first.state
            var second = make()
            try second.restore(saved, parameters: params)
            var a = params, b = params
            first.update(&a, gradients: grads2)
            second.update(&b, gradients: grads2)
            #expect(a.map(\.doubles) == b.map(\.doubles))
            #expect(second.step == 2)
            var wrong = make()
            #expect(throws: OptimizerError.self) { try wrong.restore(saved, parameters: [params[0]]) }
        }
    }

    @Test func stepSchedule() {
        let schedule = StepSchedule.reference(baseRate: 0.01, epochs: 1000)
        #expect(schedule.rate(epoch: 0) == 0.01)
        #expect(schedule.rate(epoch: 500) == 0.01)
        #expect(Swift.abs(schedule.rate(epoch: 501) - 0.001) < 1e-15)
        #expect(schedule.changes(at: 501) && !schedule.changes(at: 500))
        let multi = StepSchedule(baseRate: 1, milestones: [30, 10], gamma: 0.5)
        #expect([0, 9, 10, 29, 30, 99].map { multi.rate(epoch: $0) } == [1, 1, 0.5, 0.5, 0.25, 0.25])
    }
}
