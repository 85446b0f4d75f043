import DDAutograd
import DDTensor
import Testing

@Suite struct ElementwiseGradients {
    @Test func broadcastingArithmetic() {
        let a = randomTensor([2, 3, 4], seed: 1), b = randomTensor([3, 1], seed: 2, low: 0.5, high: 1.5)
        checkGradients([a, b]) { x in project(x[0] + x[1]) }
        checkGradients([a, b]) { x in project(x[0] - x[1]) }
        checkGradients([a, b]) { x in project(x[0] * x[1]) }
        checkGradients([a, b]) { x in project(x[0] / x[1]) }
        checkGradients([a]) { x in project((x[0] * 3 + 2) / 5 - 1) }
        checkGradients([b]) { x in project(2 / x[0]) }
        checkSecondOrder([a, b]) { x in project(x[0] * x[1] / x[1].square()) }
    }

    @Test func unaryMath() {
        let x = randomTensor([3, 4], seed: 3, low: 0.2, high: 2)
        checkGradients([x]) { t in project(t[0].exp()) }
        checkGradients([x]) { t in project(t[0].log()) }
        checkGradients([x]) { t in project(t[0].sqrt()) }
        checkGradients([x]) { t in project(t[0].pow(1.7)) }
        checkGradients([x]) { t in project(t[0].reciprocal()) }
        let s = randomTensor([3, 4], seed: 4)
        checkGradients([s]) { t in project(t[0].abs()) }
        checkSecondOrder([x]) { t in project(t[0].exp() * t[0].log() + t[0].sqrt() * t[0].pow(1.7)) }
    }

    @Test func activationsFirstAndSecondOrder() {
        let x = randomTensor([2, 5], seed: 5, low: -2, high: 2)
        let w = randomTensor([5, 5], seed: 6)
        // Activation applied to a linear map so the second-order check also covers the map's weights.
        let acts: [(Tensor) -> Tensor] = [
            { $0.relu() }, { $0.leakyReLU(0.2) }, { $0.sigmoid() }, { $0.tanh() }, { $0.softplus() },
        ]
        for act in acts {
            checkGradients([x]) { t in project(act(t[0])) }
            checkSecondOrder([x, w]) { t in project(act(t[0].matmul(t[1])).square()) }
        }
    }

    @Test func reductions() {
        let x = randomTensor([2, 3, 4], seed: 7)
        checkGradients([x]) { t in project(t[0].sum(axes: [1])) }
        checkGradients([x]) { t in project(t[0].sum(axes: [0, 2], keepDims: true)) }
        checkGradients([x]) { t in project(t[0].mean(axes: [2])) }
        checkGradients([x]) { t in project(t[0].max(axis: 1)) }
        checkGradients([x]) { t in project(t[0].softmax(axis: 2)) }
        checkGradients([x]) { t in project(t[0].logSoftmax(axis: 0)) }
        checkSecondOrder([x]) { t in project(t[0].softmax(axis: 1).square()) }
    }

    @Test func forwardValues() {
        let a = Tensor(shape: [2, 2], doubles: [1, 2, 3, 4]), b = Tensor(shape: [2], doubles: [10, 20])
        #expect((a + b).doubles == [11, 22, 13, 24])
        #expect((a * b).doubles == [10, 40, 30, 80])
        #expect(a.sum(axes: [0]).doubles == [4, 6])
        #expect(a.sum(axes: [1], keepDims: true).shape == [2, 1])
        #expect(a.max(axis: 1).doubles == [2, 4])
        // Each reduction path: kept middle block, strided general case, trailing block, leading block.
        let r = Tensor(shape: [2, 3, 2], doubles: (0..<12).map(Double.init))
        #expect(r.sum(axes: [0, 2]).doubles == [14, 22, 30])
        #expect(r.sum(axes: [1]).doubles == [6, 9, 24, 27])
        #expect(r.sum(axes: [1, 2]).doubles == [15, 51])
        #expect(r.sum(axes: [0]).doubles == [6, 8, 10, 12, 14, 16])
        #expect(r.sum().item() == 66)
        let p = Tensor(shape: [1, 3], doubles: [1, 2, 3]).softmax(axis: 1).doubles
        let e = [1.0, 2, 3].map { Foundation.exp($0) }, z = e.reduce(0, +)
        for i in 0..<3 { #expect(Swift.abs(p[i] - e[i] / z) < 1e-12) }
        #expect(Tensor(shape: [1], doubles: [-3]).softplus().item() > 0)
        let sig = Tensor(shape: [4], scalars: [-200, -20, 0, 200]).sigmoid().scalars
        #expect(sig[0] == 0 && sig[1] > 0 && sig[1] < 1e-8 && sig[2] == 0.5 && sig[3] == 1)
        #expect(Swift.abs(Tensor(shape: [1], doubles: [800]).softplus().item() - 800) < 1e-9)
    }
}

import Foundation
