import DDData
import Testing
@testable import DDMethods

/// Random features in [-1, 1), plus a per-row offset so rows have different norms.
func randomFeatures(rows: Int, dimension: Int, seed: UInt64) -> CoresetFeatureMatrix {
    var generator = SplitMix64(seed: seed)
    var values: [Float] = []
    for _ in 0..<rows {
        let offset = Float(generator.next(below: 1000)) / 500
        for _ in 0..<dimension { values.append(Float(generator.next(below: 2000)) / 1000 - 1 + offset) }
    }
    return CoresetFeatureMatrix(rows: rows, dimension: dimension, values: values)
}

/// ‖a − b‖² straight from the definition, in Double.
func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
}

func rowDoubles(_ features: CoresetFeatureMatrix, _ row: Int) -> [Double] { features.row(row).map(Double.init) }

func plainMean(_ features: CoresetFeatureMatrix) -> [Double] {
    var sum = [Double](repeating: 0, count: features.dimension)
    for r in 0..<features.rows { for (k, v) in rowDoubles(features, r).enumerated() { sum[k] += v } }
    return sum.map { $0 / Double(features.rows) }
}

/// The herding objective evaluated literally: at step t the candidate minimising ‖t·μ − (S + f_i)‖.
func bruteForceHerding(_ features: CoresetFeatureMatrix, count: Int) -> [Int] {
    let mean = plainMean(features)
    var picks: [Int] = []
    var sum = [Double](repeating: 0, count: features.dimension)
    for t in 1...count {
        let goal = mean.map { Double(t) * $0 }
        var best = -1, bestValue = Double.infinity
        for i in 0..<features.rows where !picks.contains(i) {
            let candidate = zip(sum, rowDoubles(features, i)).map { $0 + $1 }
            let value = squaredDistance(goal, candidate)
            if value < bestValue { bestValue = value; best = i }
        }
        picks.append(best)
        sum = zip(sum, rowDoubles(features, best)).map { $0 + $1 }
    }
    return picks
}

/// Greedy k-center evaluated literally: min distances recomputed from scratch at every step.
func bruteForceKCenter(_ features: CoresetFeatureMatrix, count: Int) -> [Int] {
    let mean = plainMean(features)
    let first = (0..<features.rows).min { squaredDistance(rowDoubles(features, $0), mean) < squaredDistance(rowDoubles(features, $1), mean) }!
    var picks = [first]
    while picks.count < count {
        var best = -1, bestValue = -Double.infinity
        for i in 0..<features.rows where !picks.contains(i) {
            let nearest = picks.map { squaredDistance(rowDoubles(features, i), rowDoubles(features, $0)) }.min()!
            if nearest > bestValue { bestValue = nearest; best = i }
        }
        picks.append(best)
    }
    return picks
}

@Suite struct CoresetGreedyTests {
    @Test(arguments: [(1 as UInt64, 30, 5, 10), (2, 57, 16, 20), (3, 12, 3, 12), (4, 80, 33, 7)])
    func herdingMatchesBruteForce(seed: UInt64, rows: Int, dimension: Int, count: Int) {
        let features = randomFeatures(rows: rows, dimension: dimension, seed: seed)
        let picks = CoresetGreedy.herding(features, count: count)
        #expect(picks == bruteForceHerding(features, count: count))
        #expect(Set(picks).count == count)
    }

    @Test(arguments: [(11 as UInt64, 30, 5, 10), (12, 57, 16, 20), (13, 12, 3, 12), (14, 80, 33, 7)])
    func kCenterMatchesBruteForce(seed: UInt64, rows: Int, dimension: Int, count: Int) {
        let features = randomFeatures(rows: rows, dimension: dimension, seed: seed)
        let picks = CoresetGreedy.kCenter(features, count: count)
        #expect(picks == bruteForceKCenter(features, count: count))
        #expect(Set(picks).count == count)
    }

    @Test func kCenterStartsAtTheRowClosestToTheMeanThenTakesTheFarthest() throws {
        // 1-D points: mean 2.35, so the first pick is the point 2.1 (row 3); the farthest from it is 10 (row 4),
        // then the farthest from {2.1, 10} is −3 (row 0).
        let points: [Float] = [-3, 0, 1, 2.1, 10, 4]
        let features = CoresetFeatureMatrix(rows: 6, dimension: 1, values: points)
        #expect(abs(plainMean(features)[0] - 2.35) < 1e-6)
        #expect(CoresetGreedy.kCenter(features, count: 3) == [3, 4, 0])
    }

    @Test func kCenterSkipsDuplicatesOfSelectedRowsWhileDistinctRowsRemain() {
        // Rows 0–2 are one point, rows 3–4 another; the third pick must be the remaining distinct point.
        let values: [Float] = [0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 1, 2]
        let features = CoresetFeatureMatrix(rows: 6, dimension: 2, values: values)
        let picks = CoresetGreedy.kCenter(features, count: 3)
        #expect(Set(picks.map { features.row($0).map { $0 } }).count == 3)
    }

    @Test func herdingFirstPickIsClosestToTheMeanAndItsRunningMeanTracksTheMean() {
        let features = randomFeatures(rows: 200, dimension: 8, seed: 99)
        let mean = plainMean(features)
        let picks = CoresetGreedy.herding(features, count: 20)
        let closest = (0..<features.rows).min { squaredDistance(rowDoubles(features, $0), mean) < squaredDistance(rowDoubles(features, $1), mean) }
        #expect(picks.first == closest)
        // Mean matching: after 20 picks the selected mean is far closer to μ than the first 20 rows' mean.
        func gap(_ rows: [Int]) -> Double {
            var sum = [Double](repeating: 0, count: 8)
            for r in rows { for (k, v) in rowDoubles(features, r).enumerated() { sum[k] += v / Double(rows.count) } }
            return squaredDistance(sum, mean)
        }
        #expect(gap(picks) * 10 < gap(Array(0..<20)))
    }

    @Test func edgeCounts() {
        let features = randomFeatures(rows: 9, dimension: 4, seed: 5)
        #expect(CoresetGreedy.herding(features, count: 0).isEmpty)
        #expect(CoresetGreedy.kCenter(features, count: 0).isEmpty)
        #expect(CoresetGreedy.herding(features, count: 9).sorted() == Array(0..<9))
        #expect(CoresetGreedy.kCenter(features, count: 9).sorted() == Array(0..<9))
        #expect(CoresetGreedy.kCenter(features, count: 1) == bruteForceKCenter(features, count: 1))
    }
}
