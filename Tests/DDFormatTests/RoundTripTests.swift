import Foundation
import Testing
@testable import DDFormat

@Suite struct RoundTripTests {
    static let levels = [0, 1, 6, 9]

    func sampleRecords() throws -> [Record] {
        [
            try Record(name: "images", shape: [3, 1, 2, 2], values: (0..<12).map { UInt8($0 * 21) }, metadata: ["note": "u8"]),
            try Record(name: "labels", shape: [3], values: [Int64(0), -9_000_000_000, .max]),
            try Record(name: "groups", shape: [2, 2], values: [Int32.min, -1, 0, .max]),
            try Record(name: "soft_labels", shape: [2, 3], values: [Float(0.5), -0.0, .infinity, .nan, 1e-30, 3]),
            try Record(name: "trajectory/epoch/000", shape: [4], values: [Double.pi, -1e300, .leastNonzeroMagnitude, 0]),
            try Record(name: "scalar", scalar: Float(2.5)),
            try Record(name: "empty", shape: [0], values: [Double]()),
            try Record(name: "empty2d", shape: [3, 0], values: [Int32]()),
        ]
    }

    /// Bitwise equality: NaN payloads must survive too.
    func expectSame(_ a: [Record], _ b: [Record]) {
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.name == y.name && x.dtype == y.dtype && x.shape == y.shape && x.metadata == y.metadata)
            #expect(x.bytes == y.bytes, "payload of \(x.name)")
        }
    }

    @Test(arguments: levels)
    func everyDTypeRoundTrips(level: Int) throws {
        let records = try sampleRecords()
        let bytes = try writeStream(metadata: ["classes": ["a", "b"]], options: WriterOptions(level: level)) { w in
            for r in records { try w.write(r) }
        }
        let reader = StreamReader(bytes: bytes)
        #expect(try reader.readStreamHeader() == StreamHeader(kind: .dataset, metadata: ["classes": ["a", "b"]]))
        expectSame(try reader.readAll(), records)
        #expect(reader.segmentCount == 1)
    }

    @Test func typedAccessorsReturnTheValuesAndRefuseTheWrongType() throws {
        let floats: [Float] = [1, -2, 3.5]
        let record = try Record(name: "w", shape: [3], values: floats)
        #expect(try record.floats() == floats)
        #expect(throws: FormatError.self) { try record.doubles() }
        #expect(try Record(name: "s", scalar: Int64(-7)).int64s() == [-7])
        #expect(try Record(name: "i", shape: [2], values: [Int32(5), 6]).int32s() == [5, 6])
        #expect(try Record(name: "d", shape: [1], values: [2.0]).doubles() == [2.0])
        #expect(try Record(name: "u", shape: [1], values: [UInt8(255)]).uint8s() == [255])
        #expect(throws: FormatError.self) { try Record(name: "bad", shape: [2, 2], values: floats) }
        #expect(throws: FormatError.self) { try Record(name: "", shape: [3], values: floats) }
        #expect(throws: FormatError.self) { try Record(name: "x", dtype: .f32, shape: [2], bytes: [0, 0, 0, 0]) }
    }

    @Test func payloadBytesAreLittleEndianRowMajor() throws {
        let bytes = try writeStream(options: WriterOptions(level: 0)) { w in
            try w.write(name: "v", shape: [2], values: [Int32(0x0102_0304), -2])
        }
        // The raw payload of an uncompressed record sits between the header and the record CRC.
        let needle: [UInt8] = [0x04, 0x03, 0x02, 0x01, 0xFE, 0xFF, 0xFF, 0xFF]
        #expect(bytes.windows(ofCount: 8).contains(needle))
    }

    @Test func manySmallChunksAndTwoThreadsGiveIdenticalBytes() throws {
        let values = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7 + ($0 >> 5)) }
        let oneThread = try writeStream(options: WriterOptions(level: 6, chunkBytes: 777, threads: 1)) { w in
            try w.write(name: "images", shape: [10_000], values: values)
        }
        let twoThreads = try writeStream(options: WriterOptions(level: 6, chunkBytes: 777, threads: 2)) { w in
            try w.write(name: "images", shape: [10_000], values: values)
        }
        #expect(oneThread == twoThreads)
        #expect(try StreamReader(bytes: oneThread).readAll().first?.uint8s() == values)
    }

    @Test func writingIsDeterministic() throws {
        let records = try sampleRecords()
        let a = try writeStream(metadata: ["z": 1, "a": 2]) { w in for r in records { try w.write(r) } }
        let b = try writeStream(metadata: ["a": 2, "z": 1]) { w in for r in records { try w.write(r) } }
        #expect(a == b)
    }

    @Test func twoPhaseReadFillsCallerMemoryAndSkipsUnread() throws {
        let values = (0..<5000).map { Float($0) * 0.25 }
        let bytes = try writeStream(kind: .trajectory) { w in
            try w.write(name: "epoch/0", shape: [5000], values: values, metadata: ["epoch": 0])
            try w.write(name: "epoch/1", shape: [5000], values: values.map { -$0 }, metadata: ["epoch": 1])
            try w.write(name: "epoch/2", shape: [2], values: [Float(1), 2])
        }
        let reader = StreamReader(bytes: bytes)
        let first = try #require(try reader.nextInfo())
        #expect(first == RecordInfo(name: "epoch/0", dtype: .f32, shape: [5000], metadata: ["epoch": 0], byteCount: 20_000))
        var destination = [Float](repeating: 0, count: 5000)
        try destination.withUnsafeMutableBytes { try reader.readPayload(into: $0) }
        #expect(destination == values)
        #expect(try reader.nextInfo()?.name == "epoch/1")
        // Not reading epoch/1's payload: nextInfo skips it (still checking its CRC).
        #expect(try reader.nextInfo()?.name == "epoch/2")
        #expect(try reader.readPayload(as: Float.self) == [1, 2])
        #expect(try reader.nextInfo() == nil)
        #expect(try reader.readStreamHeader().kind == .trajectory)
    }

    @Test func endRecordCarriesCountAndMetadata() throws {
        let sink = MemorySink()
        let writer = try StreamWriter(sink: sink, kind: .trajectory)
        try writer.write(name: "a", shape: [1], values: [Float(1)])
        try writer.finish(metadata: ["final_accuracy": 0.9])
        #expect(throws: FormatError.self) { try writer.write(name: "b", shape: [1], values: [Float(1)]) }
        let reader = StreamReader(bytes: sink.bytes)
        _ = try reader.readAll()
        #expect(reader.endMetadata == [["final_accuracy": 0.9]])
    }

    @Test func writerRejectsBadOptions() {
        #expect(throws: FormatError.self) { try StreamWriter(sink: MemorySink(), kind: .dataset, options: WriterOptions(level: 10)) }
        #expect(throws: FormatError.self) { try StreamWriter(sink: MemorySink(), kind: .dataset, options: WriterOptions(chunkBytes: 0)) }
        #expect(throws: FormatError.self) { try StreamWriter(sink: MemorySink(), kind: .dataset, metadata: [1]) }
    }

    @Test func crcMatchesTheKnownCheckValue() {
        #expect(crc32(Array("hello".utf8)) == 0x3610_a686)
        #expect(referenceCRC32(Array("hello".utf8)) == 0x3610_a686)
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(crc32(data) == referenceCRC32(data))
    }
}

extension Array where Element == UInt8 {
    func windows(ofCount n: Int) -> [[UInt8]] {
        count < n ? [] : (0...(count - n)).map { Array(self[$0..<$0 + n]) }
    }
}

@Suite struct PiecewiseTests {
    static let values: [Float] = (0..<10_007).map { Float($0 % 113) * 0.5 }

    @Test(arguments: [0, 6])
    func pieceByPieceWritingMatchesOneShotWriting(level: Int) throws {
        let options = WriterOptions(level: level, chunkBytes: 4000)
        let oneShot = try writeStream(options: options) { w in
            try w.write(name: "w", shape: [10_007], values: PiecewiseTests.values)
        }
        var offsets: [Int] = []
        let pieces = try writeStream(options: options) { w in
            try w.write(name: "w", dtype: .f32, shape: [10_007]) { buffer, offset in
                offsets.append(offset)
                PiecewiseTests.values.withUnsafeBytes { all in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<offset + buffer.count]))
                }
            }
        }
        #expect(pieces == oneShot)
        #expect(offsets == Array(stride(from: 0, to: 40_028, by: 4000)))
    }

    @Test(arguments: [0, 1])
    func pieceByPieceReadingDeliversConsecutiveBoundedPieces(level: Int) throws {
        let bytes = try writeStream(options: WriterOptions(level: level, chunkBytes: 3000)) { w in
            try w.write(name: "w", shape: [10_007], values: PiecewiseTests.values)
            try w.write(name: "tail", shape: [1], values: [Int64(5)])
        }
        let reader = StreamReader(bytes: bytes)
        _ = try reader.nextInfo()
        var collected: [UInt8] = []
        var largest = 0
        try reader.readPayload { piece, offset in
            #expect(offset == collected.count)
            largest = max(largest, piece.count)
            collected += piece
        }
        #expect(largest <= (level == 0 ? 1 << 20 : 3000))
        #expect(collected == PiecewiseTests.values.withUnsafeBytes { Array($0) })
        #expect(try reader.next()?.int64s() == [5])
    }

    @Test func pieceByPieceReadingStillChecksTheRecordCRC() throws {
        var bytes = try writeStream(options: WriterOptions(level: 0)) { w in
            try w.write(name: "w", shape: [10_007], values: PiecewiseTests.values)
        }
        bytes[bytes.count / 2] ^= 0x40  // inside the raw payload
        let reader = StreamReader(bytes: bytes)
        _ = try reader.nextInfo()
        let error = #expect(throws: FormatError.self) { try reader.readPayload { _, _ in } }
        #expect(error.map { if case .checksumMismatch(.payload, _, _) = $0 { true } else { false } } == true)
    }
}
