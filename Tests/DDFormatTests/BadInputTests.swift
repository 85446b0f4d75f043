// Each malformed input gets its exact error class. Records are crafted with the independent RawRecord encoder
// so that only the defect under test is present (all other CRCs valid).
import Testing
@testable import DDFormat

@Suite struct BadInputTests {
    /// A valid stream: begin, one compressed tensor record in three chunks, end.
    func validStream() throws -> [UInt8] {
        try writeStream(options: WriterOptions(level: 6, chunkBytes: 16)) { w in
            try w.write(name: "images", shape: [40], values: (0..<40).map { UInt8($0 * 3) }, metadata: ["k": "v"])
        }
    }

    /// (start, headerStart, payloadStart, trailerStart, end) of each record, from the documented layout.
    func layout(_ bytes: [UInt8]) -> [(Int, Int, Int, Int, Int)] {
        var result: [(Int, Int, Int, Int, Int)] = []
        var offset = 0
        while offset < bytes.count {
            let h = Int(bytes[offset + 8..<offset + 12].reversed().reduce(0) { $0 << 8 | UInt64($1) })
            let p = Int(bytes[offset + 16..<offset + 24].reversed().reduce(0) { $0 << 8 | UInt64($1) })
            let start = offset
            offset += 40 + h + p + 4
            result.append((start, start + 40, start + 40 + h, start + 40 + h + p, offset))
        }
        return result
    }

    @Test func emptyInput() {
        #expect(readError([]) == .emptyInput)
    }

    @Test func wrongMagic() throws {
        var bytes = try validStream()
        bytes[1] = UInt8(ascii: "X")
        #expect(readError(bytes) == .badMagic(record: 0))
        #expect(readError(Array("P5\n28 28\n255\n".utf8) + [UInt8](repeating: 0, count: 64)) == .badMagic(record: 0))
    }

    @Test func unknownVersion() {
        var begin = RawRecord.begin()
        begin.version = 2
        #expect(readError(begin.bytes) == .unsupportedVersion(2))
    }

    @Test func unknownRecordKindAndFlags() {
        var begin = RawRecord.begin()
        begin.kind = 7
        #expect(readError(begin.bytes) == .unknownRecordKind(7))
        var tensor = RawRecord.tensor(shape: [1], raw: [1])
        tensor.flags = 0x82
        #expect(readError(RawRecord.begin().bytes + tensor.bytes) == .unknownFlags(0x82))
    }

    @Test func unknownDType() {
        let tensor = RawRecord.tensor(dtype: "<c8", shape: [1], raw: [UInt8](repeating: 0, count: 8))
        #expect(readError(RawRecord.begin().bytes + tensor.bytes + RawRecord.end(records: 1).bytes) == .unknownDType("<c8"))
    }

    @Test func absurdHeaderLength() {
        var begin = RawRecord.begin()
        begin.headerLength = 0xFFFF_FFF0
        #expect(readError(begin.bytes) == .headerTooLarge(length: 0xFFFF_FFF0, limit: 1 << 20))
    }

    @Test func absurdPayloadLength() {
        var tensor = RawRecord.tensor(shape: [4], raw: [1, 2, 3, 4])
        tensor.payloadLength = 1 << 62
        tensor.rawLength = 1 << 62
        #expect(readError(RawRecord.begin().bytes + tensor.bytes) == .payloadTooLarge(length: 1 << 62, limit: 8 << 30))
        // The cap is configurable: a 4-byte record is refused under a 3-byte limit, before reading it.
        let ok = RawRecord.tensor(shape: [4], raw: [1, 2, 3, 4])
        #expect(readError(RawRecord.begin().bytes + ok.bytes, limits: ReaderLimits(maxPayloadBytes: 3)) ==
                .payloadTooLarge(length: 4, limit: 3))
    }

    @Test func everyFlippedBitIsCaughtByTheCRCOfItsPart() throws {
        let stream = try validStream()
        #expect(readError(stream) == nil)
        for (start, headerStart, payloadStart, _, end) in layout(stream) {
            for offset in start..<end {
                for bit in 0..<8 {
                    var bytes = stream
                    bytes[offset] ^= 1 << bit
                    let error = readError(bytes)
                    if offset < start + 4 {
                        #expect(error.map { if case .badMagic = $0 { true } else { false } } == true)
                    } else if offset < headerStart {
                        #expect(error.map { if case .checksumMismatch(.prefix, _, _) = $0 { true } else { false } } == true, "byte \(offset)")
                    } else if offset < payloadStart {
                        #expect(error.map { if case .checksumMismatch(.header, _, _) = $0 { true } else { false } } == true, "byte \(offset)")
                    } else {
                        #expect(error.map { if case .checksumMismatch(.payload, _, _) = $0 { true } else { false } } == true, "byte \(offset)")
                    }
                }
            }
        }
    }

    @Test func truncationAnywhereIsNamedByItsPart() throws {
        let stream = try validStream()
        let records = layout(stream)
        #expect(records.count == 3)
        for cut in 1..<stream.count {
            let error = readError(Array(stream[0..<cut]))
            guard let (start, headerStart, payloadStart, trailerStart, _) = records.first(where: { $0.0 <= cut && cut < $0.4 }) else {
                Issue.record("cut \(cut) outside every record"); continue
            }
            let part: RecordPart
            if cut == start { #expect(error.map { if case .missingEnd = $0 { true } else { false } } == true, "cut \(cut)"); continue }
            else if cut < headerStart { part = .prefix }
            else if cut < payloadStart { part = .header }
            else if cut < trailerStart { part = .payload }
            else { part = .checksum }
            #expect(error.map { if case .truncated(part, _, _) = $0 { true } else { false } } == true, "cut \(cut): \(String(describing: error))")
        }
    }

    @Test func missingEndRecord() throws {
        let unfinished = try writeStream(finish: false) { w in try w.write(name: "labels", shape: [2], values: [Int64(1), 2]) }
        #expect(readError(unfinished) == .missingEnd(recordsRead: 1))
    }

    @Test func endRecordCountCatchesADroppedRecord() {
        let tensor = RawRecord.tensor(shape: [1], raw: [9])
        #expect(readError(RawRecord.begin().bytes + tensor.bytes + RawRecord.end(records: 2).bytes) ==
                .recordCountMismatch(declared: 2, read: 1))
    }

    @Test func streamMustStartWithBeginRecord() {
        let tensor = RawRecord.tensor(name: "images", shape: [1], raw: [9])
        #expect(readError(tensor.bytes + RawRecord.end(records: 1).bytes) == .missingBegin(found: #"tensor record "images""#))
    }

    @Test func shapeTimesItemSizeMustEqualDeclaredLength() {
        let tensor = RawRecord.tensor(dtype: "<f4", shape: [3], raw: [UInt8](repeating: 0, count: 8))
        #expect(readError(RawRecord.begin().bytes + tensor.bytes + RawRecord.end(records: 1).bytes) ==
                .shapeSizeMismatch(shape: [3], dtype: "f32", expectedBytes: 12, declaredBytes: 8))
        let overflowing = RawRecord.tensor(dtype: "<f8", shape: [1 << 40, 1 << 40], raw: [])
        #expect(readError(RawRecord.begin().bytes + overflowing.bytes).map {
            if case .shapeSizeMismatch = $0 { true } else { false } } == true)
    }

    @Test func chunkInflatingShortOfTheDeclaredLength() {
        // Declares 100 bytes in one chunk, but the zlib stream holds only 60: valid CRCs, wrong content.
        let tensor = RawRecord.compressed(shape: [100], rawLength: 100, chunkLength: 100,
                                          chunks: [[UInt8](repeating: 7, count: 60)])
        let error = readError(RawRecord.begin().bytes + tensor.bytes + RawRecord.end(records: 1).bytes)
        #expect(error == .corruptPayload("chunk inflates to 60 bytes, declared 100"))
    }

    @Test func decompressionBombStopsAtTheDeclaredBound() {
        // 64 MiB of zeros compress to ~64 KiB; the record declares 1000 bytes.
        let bomb = RawRecord.compressed(shape: [1000], rawLength: 1000, chunkLength: 1 << 20,
                                        chunks: [[UInt8](repeating: 0, count: 64 << 20)])
        #expect(bomb.payload.count < 1 << 20)
        let error = readError(RawRecord.begin().bytes + bomb.bytes + RawRecord.end(records: 1).bytes)
        #expect(error == .corruptPayload("chunk inflates beyond its declared 1000 bytes; stopped at the bound"))
    }

    @Test func oversizedChunkLengthIsRefusedBeforeReading() {
        var tensor = RawRecord.compressed(shape: [10], rawLength: 10, chunkLength: 10, chunks: [[UInt8](repeating: 1, count: 10)])
        tensor.payload.replaceSubrange(0..<4, with: le(UInt32(0x7FFF_FFFF)))
        let error = readError(RawRecord.begin().bytes + tensor.bytes + RawRecord.end(records: 1).bytes)
        #expect(error.map { if case .corruptPayload = $0 { true } else { false } } == true)
    }

    @Test func trailingGarbageAfterTheEndRecord() throws {
        let error = readError(try validStream() + Array("garbage!".utf8) + [UInt8](repeating: 0, count: 40))
        #expect(error == .badMagic(record: 3))
    }

    @Test func malformedHeaderWithValidCRC() {
        var begin = RawRecord.begin()
        begin.header = Array("{\"kind\":".utf8)
        #expect(readError(begin.bytes).map { if case .badHeader = $0 { true } else { false } } == true)
        let notObject = RawRecord(kind: 0, header: Array("[1]".utf8))
        #expect(readError(notObject.bytes) == .badHeader("header is not a JSON object"))
    }

    @Test func errorsClassifyAsDataOrIOAndDescribeInOneLine() throws {
        #expect(FormatError.emptyInput.isDataError)
        #expect(FormatError.checksumMismatch(part: .header, expected: 1, actual: 2).isDataError)
        #expect(!FormatError.io("write failed", errno: 32).isDataError)
        #expect(FormatError.io("write failed", errno: 32).description.hasPrefix("write failed: "))
        let all: [FormatError] = [.emptyInput, .badMagic(record: 0), .unsupportedVersion(9), .missingEnd(recordsRead: 3),
                                  .truncated(part: .payload, expected: 10, got: 3), .unknownDType("<c8")]
        for error in all { #expect(!error.description.contains("\n") && !error.description.isEmpty) }
    }

    @Test func readerStaysFailedAfterAnError() throws {
        var bytes = try validStream()
        bytes[bytes.count - 60] ^= 0x10
        let reader = StreamReader(bytes: bytes)
        var firstError: FormatError?
        do { _ = try reader.readAll() } catch let e as FormatError { firstError = e }
        #expect(firstError != nil)
        #expect(throws: FormatError.self) { try reader.next() }
    }
}
