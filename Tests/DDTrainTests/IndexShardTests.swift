import Testing
import DDTrain

@Suite struct IndexShardTests {
    /// Every index lands in exactly one slice, whatever n, including n larger than the total.
    @Test func slicesPartitionTheIndices() throws {
        for total in [0, 1, 5, 10] {
            for n in 1...6 {
                let all = try (0..<n).flatMap { try IndexShard.parse("\($0)/\(n)").indices(below: total) }
                #expect(all.sorted() == Array(0..<total), "total \(total), n \(n)")
            }
        }
        #expect(try IndexShard.parse("1/3").indices(below: 10) == [1, 4, 7])
        #expect(try IndexShard.parse("3/4").indices(below: 2).isEmpty)
    }

    @Test func malformedOrOutOfRangeTextIsRefusedWithTheReason() {
        for text in ["", "1", "1/", "/2", "a/2", "1/2/3", "-1/2", "2/2", "0/0", "1/0"] {
            #expect(throws: IndexShardError.self, "\(text)") { try IndexShard.parse(text) }
        }
        let malformed = #expect(throws: IndexShardError.self) { try IndexShard.parse("x", example: "0/4") }
        #expect(malformed?.message == "--shard must be i/n (e.g. 0/4), got 'x'")
        let outOfRange = #expect(throws: IndexShardError.self) { try IndexShard.parse("2/2") }
        #expect(outOfRange?.message == "--shard 2/2: need n ≥ 1 and 0 ≤ i < n")
    }
}
