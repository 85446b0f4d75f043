import DDTestSupport
import DDAutograd
import DDTensor
import Testing

@Suite struct ShapeGradients {
    @Test func reshapePermuteSlicePad() {
        let x = randomTensor([2, 3, 4], seed: 11)
        checkGradients([x]) { t in project(t[0].reshaped([6, 4]).transposed()) }
        checkGradients([x]) { t in project(t[0].permuted([2, 0, 1])) }
        checkGradients([x]) { t in project(t[0].sliced(axis: 2, 1..<3)) }
        checkGradients([x]) { t in project(t[0].padded([(0, 1), (2, 0), (1, 1)])) }
        checkGradients([x]) { t in project(t[0].broadcast(to: [3, 2, 3, 4])) }
    }

    @Test func concatIndexSelectScatter() {
        let a = randomTensor([2, 3], seed: 12), b = randomTensor([2, 2], seed: 13)
        checkGradients([a, b]) { t in project(Tensor.concat([t[0], t[1], t[0]], axis: 1)) }
        checkGradients([a]) { t in project(t[0].indexSelect(axis: 1, [2, 0, 2, 1])) }
        checkGradients([a]) { t in project(t[0].indexAdd(axis: 0, [1, 1], size: 3)) }
        let g = randomTensor([2, 3, 5], seed: 14)
        checkGradients([g]) { t in project(t[0].gatherLast([4, -1, 0, 4, 1, 2, 3, 3], k: 4)) }
        checkGradients([g]) { t in project(t[0].scatterAddLast([1, 1, 0, 6, 2, 3, -1, 5, 4, 4], m: 7)) }
    }

    @Test func selectAndConstantScaling() {
        let a = randomTensor([2, 3], seed: 15), b = randomTensor([2, 3], seed: 16)
        let mask = NDArray(shape: [1, 3], doubles: [1, 0, 1])
        checkGradients([a, b]) { t in project(Tensor.select(mask, t[0], t[1])) }
        checkSecondOrder([a, b]) { t in project(Tensor.select(mask, t[0].square(), t[1] * t[0])) }
        let picked = Tensor.select(mask, a, b).doubles, av = a.doubles, bv = b.doubles
        #expect(picked == [av[0], bv[1], av[2], av[3], bv[4], av[5]])
        checkGradients([a]) { t in project(t[0].scaled(by: mask)) }
    }

    @Test func forwardValues() {
        let x = Tensor(shape: [2, 3], doubles: [0, 1, 2, 3, 4, 5])
        #expect(x.transposed().doubles == [0, 3, 1, 4, 2, 5])
        #expect(x.sliced(axis: 1, 1..<3).doubles == [1, 2, 4, 5])
        #expect(x.padded([(0, 0), (1, 0)]).doubles == [0, 0, 1, 2, 0, 3, 4, 5])
        #expect(Tensor.concat([x, x], axis: 0).shape == [4, 3])
        #expect(x.indexSelect(axis: 0, [1, 1]).doubles == [3, 4, 5, 3, 4, 5])
        #expect(x.indexAdd(axis: 1, [0, 0, 2], size: 3).doubles == [1, 0, 2, 7, 0, 5])
        #expect(x.reshaped([3, 1, 2]).gatherLast([1, -1, 0], k: 1).doubles == [1, 0, 4])
    }
}
