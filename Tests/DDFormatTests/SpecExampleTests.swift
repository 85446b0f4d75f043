// The worked example of docs/format.md §7, produced by an independent Python encoder of the spec.
import Testing
@testable import DDFormat

@Suite struct SpecExampleTests {
    static let exampleHex = "93444454010000001c0000008849536c0000000000000000000000000000000000000000ee946edd7b226b696e64223a2264617461736574222c226d657461223a7b7d7dcc6b29f59344445401010000300000005bffae7c03000000000000000300000000000000000000009b3645827b226474797065223a227c7531222c226d657461223a7b7d2c226e616d65223a2278222c227368617065223a5b335d7d0102037ea536ae934444540102000017000000d3e78b350000000000000000000000000000000000000000856e4c687b226d657461223a7b7d2c227265636f726473223a317d2491515d"

    static var exampleBytes: [UInt8] {
        let digits = Array(exampleHex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    @Test func writerProducesTheSpecExampleByteForByte() throws {
        let bytes = try writeStream(kind: .dataset, options: WriterOptions(level: 0)) { w in
            try w.write(name: "x", shape: [3], values: [UInt8(1), 2, 3])
        }
        #expect(bytes == SpecExampleTests.exampleBytes)
    }

    @Test func readerReadsTheSpecExample() throws {
        let reader = StreamReader(bytes: SpecExampleTests.exampleBytes)
        let records = try reader.readAll()
        #expect(records == [try Record(name: "x", shape: [3], values: [UInt8(1), 2, 3])])
        #expect(reader.streamHeader == StreamHeader(kind: .dataset))
    }
}
