import DDData
import Testing
@testable import DDBias

@Suite struct AssignmentTests {
    @Test func valueCountsFollowLfFsMilestoneRule() {
        // n = 100, r = 0.1, class 0: milestones round(100·[0.9, 0.9111, …, 1]) = 90 91 92 93 94 96 97 98 99 100.
        #expect(BiasAssignment.valueCounts(classSize: 100, alignedValue: 0, attributeCount: 10, conflictingRatio: 0.1)
                == [90, 1, 1, 1, 1, 2, 1, 1, 1, 1])
        // Class 3: 1.111 2.222 3.333 → 1 2 3, then 93.33 → 93, then 94.44 95.56 96.67 97.78 98.89 → 94 96 97 98 99.
        #expect(BiasAssignment.valueCounts(classSize: 100, alignedValue: 3, attributeCount: 10, conflictingRatio: 0.1)
                == [1, 1, 1, 90, 1, 2, 1, 1, 1, 1])
        // r = 0.9: uniform; r = 1: nothing aligned; r = 0: everything aligned.
        #expect(BiasAssignment.valueCounts(classSize: 50, alignedValue: 2, attributeCount: 10, conflictingRatio: 0.9)
                == [5, 5, 5, 5, 5, 5, 5, 5, 5, 5])
        let conflicting = BiasAssignment.valueCounts(classSize: 90, alignedValue: 4, attributeCount: 10, conflictingRatio: 1)
        #expect(conflicting[4] == 0 && conflicting.reduce(0, +) == 90 && Set(conflicting.enumerated().filter { $0.offset != 4 }.map(\.element)) == [10])
        #expect(BiasAssignment.valueCounts(classSize: 7, alignedValue: 9, attributeCount: 10, conflictingRatio: 0)
                == [0, 0, 0, 0, 0, 0, 0, 0, 0, 7])
        #expect(BiasAssignment.valueCounts(classSize: 0, alignedValue: 1, attributeCount: 10, conflictingRatio: 0.5)
                == [Int](repeating: 0, count: 10))
    }

    @Test func assignmentHasTheExactCountsAndDependsOnlyOnTheSeed() {
        let labels = (0..<600).map { Int32($0 % 3) }   // 200 per class
        let a = BiasAssignment.assign(labels: labels, classCount: 3, attributeCount: 10, conflictingRatio: 0.1, seed: 7)
        for c in 0..<3 {
            var counts = [Int](repeating: 0, count: 10)
            for (label, value) in zip(labels, a) where label == c { counts[Int(value)] += 1 }
            #expect(counts == BiasAssignment.valueCounts(classSize: 200, alignedValue: c, attributeCount: 10, conflictingRatio: 0.1))
            #expect(counts[c] == 180)
        }
        #expect(a == BiasAssignment.assign(labels: labels, classCount: 3, attributeCount: 10, conflictingRatio: 0.1, seed: 7))
        #expect(a != BiasAssignment.assign(labels: labels, classCount: 3, attributeCount: 10, conflictingRatio: 0.1, seed: 8))
    }

    @Test func splitsAreDisjointSeededAndSized() {
        #expect(BiasAssignment.splitSizes(count: 60_000) == (45_000, 5_000))
        let train = BiasAssignment.splitIndices(count: 1200, split: .train, seed: 3)
        let val = BiasAssignment.splitIndices(count: 1200, split: .val, seed: 3)
        #expect(train.count == 900 && val.count == 100)
        #expect(Set(train).isDisjoint(with: val) && train == train.sorted())
        #expect(train == BiasAssignment.splitIndices(count: 1200, split: .train, seed: 3))
        #expect(train != BiasAssignment.splitIndices(count: 1200, split: .train, seed: 4))
        #expect(BiasAssignment.splitIndices(count: 5, split: .all, seed: 1) == [0, 1, 2, 3, 4])
    }
}
