import DDData
import DDTestSupport
import Testing
@testable import DDBias

/// LfF's rule applied to the real MNIST class sizes gives the counts reference/protocols.md §4.1 lists.
@Suite struct RealCMNISTTests {
    func conflictingCells(_ labels: [Int32], _ ratio: Double) -> (total: Int, cells: [Int]) {
        let bias = BiasAssignment.assign(labels: labels, classCount: 10, attributeCount: 10, conflictingRatio: ratio, seed: 0)
        var cells = [Int](repeating: 0, count: 100)
        for (y, b) in zip(labels, bias) { cells[Int(y) * 10 + Int(b)] += 1 }
        let off = (0..<100).filter { $0 / 10 != $0 % 10 }.map { cells[$0] }
        return (off.reduce(0, +), off)
    }

    @Test func trainCountsSplitAndTestSetMatchTheReference() throws {
        let mirror = try #require(sharedDatasetsDirectory(), "real MNIST not found ($DD_DATA or ../shared/datasets)")
        let train = try DatasetLoader.load("mnist", split: .train, options: offlineOptions(mirror: mirror))
        #expect(train.count == 60_000)
        let expected: [(Double, Int, ClosedRange<Int>)] = [(0.05, 3000, 30...38), (0.02, 1199, 12...15),
                                                          (0.01, 598, 6...8), (0.005, 300, 3...4)]
        for (ratio, total, range) in expected {
            let (got, cells) = conflictingCells(train.labels, ratio)
            #expect(got == total, "ratio \(ratio)")
            #expect(cells.allSatisfy { range.contains($0) }, "ratio \(ratio): cells \(cells.min()!)…\(cells.max()!)")
        }
        // Seed 000's split: 45,000 / 5,000, disjoint.
        let trainPart = BiasAssignment.splitIndices(count: train.count, split: .train, seed: 0)
        let valPart = BiasAssignment.splitIndices(count: train.count, split: .val, seed: 0)
        #expect(trainPart.count == 45_000 && valPart.count == 5_000 && Set(trainPart).isDisjoint(with: valPart))
        let test = try DatasetLoader.load("mnist", split: .test, options: offlineOptions(mirror: mirror))
        let (conflicting, cells) = conflictingCells(test.labels, 0.9)
        #expect(test.count - conflicting == 1000)
        #expect(cells.allSatisfy { (89...114).contains($0) })
    }
}
