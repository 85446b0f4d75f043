// StreamReader: reads a stream record by record from any byte source, including a non-seekable pipe.
// Every size is checked against the limits before anything is allocated, every CRC before a record is
// returned, and a stream must close with an end record whose count matches.

public final class StreamReader {
    public let limits: ReaderLimits
    /// The begin record of the stream segment being read (nil before the first record is read).
    public private(set) var streamHeader: StreamHeader?
    /// Number of begin records seen: 2 after crossing into the second of two concatenated streams.
    public private(set) var segmentCount = 0
    /// Metadata of the end records read so far, one per completed segment.
    public private(set) var endMetadata: [JSONValue] = []

    private enum State {
        case atStart            // nothing read yet
        case expectBegin        // after an end record: EOF is clean, or another stream begins
        case inSegment          // after a begin record or a fully read tensor record
        case payloadPending(RecordPrefix, CRC32)
        case finished
        case failed(Error)      // errors are terminal: the byte position is no longer meaningful
    }

    private let input: BufferedInput
    private var state = State.atStart
    private var recordsInSegment = 0
    private var recordsTotal = 0
    private var recordsSeen = 0  // of every kind, for messages

    /// Runs `body`; an error other than API misuse (which reads nothing) poisons the reader, so later calls
    /// rethrow it instead of reading from a meaningless position.
    private func guarded<T>(_ body: () throws -> T) throws -> T {
        if case .failed(let error) = state { throw error }
        do { return try body() } catch FormatError.misuse(let message) {
            throw FormatError.misuse(message)
        } catch {
            state = .failed(error)
            throw error
        }
    }

    public init(source: ByteSource, limits: ReaderLimits = ReaderLimits()) {
        self.input = BufferedInput(source: source)
        self.limits = limits
    }

    public convenience init(fileDescriptor: Int32, limits: ReaderLimits = ReaderLimits()) {
        self.init(source: FileDescriptorSource(fileDescriptor: fileDescriptor), limits: limits)
    }

    public convenience init(bytes: [UInt8], limits: ReaderLimits = ReaderLimits()) {
        self.init(source: MemorySource(bytes), limits: limits)
    }

    /// Reads up to the first begin record (if not read yet) and returns the stream's kind and metadata.
    public func readStreamHeader() throws -> StreamHeader {
        try guarded { if case .atStart = state { try readBegin() } }
        guard let header = streamHeader else { throw FormatError.misuse("the stream has no header yet") }
        return header
    }

    /// Reads the stream header and throws `unexpectedKind` unless the stream is one of `kinds`.
    @discardableResult
    public func requireKind(_ kinds: StreamKind...) throws -> StreamHeader {
        let header = try readStreamHeader()
        guard kinds.contains(header.kind) else {
            throw FormatError.unexpectedKind(found: header.kind.rawValue, expected: kinds.map(\.rawValue))
        }
        return header
    }

    /// The next tensor record's name, dtype, shape and metadata, or nil at the clean end of the input.
    /// Crosses end records into concatenated streams. An unread payload of the previous record is skipped.
    public func nextInfo() throws -> RecordInfo? {
        try guarded { try nextInfoUnguarded() }
    }

    private func nextInfoUnguarded() throws -> RecordInfo? {
        while true {
            switch state {
            case .finished: return nil
            case .failed(let error): throw error
            case .atStart: try readBegin()
            case .payloadPending: try skipPayloadUnguarded()
            case .expectBegin:
                guard let prefix = try readPrefix(allowEOF: true) else { state = .finished; return nil }
                try readBegin(prefix: prefix)
            case .inSegment:
                guard let prefix = try readPrefix(allowEOF: true) else {
                    throw FormatError.missingEnd(recordsRead: recordsTotal)
                }
                var crc = CRC32()
                let json = try readHeader(prefix, crc: &crc)
                switch RecordKind(rawValue: prefix.kind) {
                case .tensor:
                    let info = try tensorInfo(prefix, json)
                    state = .payloadPending(prefix, crc)
                    return info
                case .end:
                    try readTrailer(crc)
                    let declared = json["records"]?.intValue
                    guard let declared else { throw FormatError.badHeader("end record has no integer \"records\"") }
                    guard declared == recordsInSegment else {
                        throw FormatError.recordCountMismatch(declared: declared, read: recordsInSegment)
                    }
                    endMetadata.append(json["meta"] ?? [:])
                    state = .expectBegin
                default:
                    // A begin record before this stream's end: the stream was cut short and another appended.
                    throw FormatError.missingEnd(recordsRead: recordsTotal)
                }
            }
        }
    }

    /// Reads the pending record's payload into `destination`, which must hold exactly `info.byteCount` bytes.
    /// Large payloads are inflated chunk by chunk straight into it: the only other buffer is one chunk.
    public func readPayload(into destination: UnsafeMutableRawBufferPointer) throws {
        try guarded { try readPayloadUnguarded(into: destination) }
    }

    private func readPayloadUnguarded(into destination: UnsafeMutableRawBufferPointer) throws {
        guard case .payloadPending(let prefix, var crc) = state else { throw FormatError.misuse("no payload pending") }
        guard UInt64(destination.count) == prefix.rawLength else {
            throw FormatError.misuse("destination holds \(destination.count) bytes, the payload \(prefix.rawLength)")
        }
        if prefix.isCompressed {
            try inflateChunks(prefix, crc: &crc, output: { UnsafeMutableRawBufferPointer(rebasing: destination[$0]) })
        } else {
            let got = try input.readFully(into: destination)
            guard got == destination.count else {
                throw FormatError.truncated(part: .payload, expected: prefix.payloadLength, got: UInt64(got))
            }
            crc.update(UnsafeRawBufferPointer(destination))
        }
        try readTrailer(crc)
        finishRecord()
    }

    /// Reads the pending payload piece by piece, for tensors too large to hold: `body` gets consecutive raw
    /// pieces (one zlib chunk each, or up to 1 MiB when uncompressed) and their byte offsets. Only one piece
    /// is in memory. The record CRC is checked after the last piece: if this throws, discard what was received.
    public func readPayload(pieces body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        try guarded {
            guard case .payloadPending(let prefix, var crc) = state else { throw FormatError.misuse("no payload pending") }
            let pieceSize = Int(min(prefix.rawLength, prefix.isCompressed ? UInt64(prefix.chunkLength) : 1 << 20))
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(pieceSize, 1), alignment: 16)
            defer { scratch.deallocate() }
            if prefix.isCompressed {
                try inflateChunks(prefix, crc: &crc, output: { UnsafeMutableRawBufferPointer(rebasing: scratch[0..<$0.count]) },
                                  deliver: body)
            } else {
                var offset = 0
                while offset < Int(prefix.rawLength) {
                    let piece = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<min(pieceSize, Int(prefix.rawLength) - offset)])
                    let got = try input.readFully(into: piece)
                    guard got == piece.count else {
                        throw FormatError.truncated(part: .payload, expected: prefix.payloadLength, got: UInt64(offset + got))
                    }
                    crc.update(UnsafeRawBufferPointer(piece))
                    try body(UnsafeRawBufferPointer(piece), offset)
                    offset += got
                }
            }
            try readTrailer(crc)
            finishRecord()
        }
    }

    /// Reads the pending payload as typed values (one allocation, filled in place).
    public func readPayload<T: TensorElement>(as type: T.Type) throws -> [T] {
        guard case .payloadPending(let prefix, _) = state else { throw FormatError.misuse("no payload pending") }
        let count = Int(prefix.rawLength) / MemoryLayout<T>.stride
        guard UInt64(count * MemoryLayout<T>.stride) == prefix.rawLength else {
            throw FormatError.misuse("payload of \(prefix.rawLength) bytes is not a whole number of \(T.self)")
        }
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readPayload(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Skips the pending payload, still verifying the record CRC.
    public func skipPayload() throws {
        try guarded { try skipPayloadUnguarded() }
    }

    private func skipPayloadUnguarded() throws {
        guard case .payloadPending(let prefix, var crc) = state else { throw FormatError.misuse("no payload pending") }
        try drain(prefix.payloadLength, crc: &crc)
        try readTrailer(crc)
        finishRecord()
    }

    /// The next tensor record with its payload, or nil at the clean end of the input.
    public func next() throws -> Record? {
        guard let info = try nextInfo() else { return nil }
        let bytes = try readPayload(as: UInt8.self)
        return try Record(name: info.name, dtype: info.dtype, shape: info.shape, bytes: bytes, metadata: info.metadata)
    }

    /// Every remaining tensor record (of all concatenated streams).
    public func readAll() throws -> [Record] {
        var records: [Record] = []
        while let record = try next() { records.append(record) }
        return records
    }

    // MARK: - Framing

    private func finishRecord() {
        recordsInSegment += 1
        recordsTotal += 1
        state = .inSegment
    }

    private func readBegin(prefix given: RecordPrefix? = nil) throws {
        guard let prefix = try given ?? readPrefix(allowEOF: false) else { throw FormatError.emptyInput }
        var crc = CRC32()
        let json = try readHeader(prefix, crc: &crc)
        guard prefix.kind == RecordKind.begin.rawValue else {
            let found = prefix.kind == RecordKind.end.rawValue ? "an end record" : "tensor record \(json["name"] ?? "?")"
            throw FormatError.missingBegin(found: found)
        }
        try readTrailer(crc)
        guard let kind = json["kind"]?.stringValue, !kind.isEmpty else {
            throw FormatError.badHeader("begin record has no \"kind\" string")
        }
        let meta = json["meta"] ?? [:]
        guard case .object = meta else { throw FormatError.badHeader("begin record \"meta\" is not an object") }
        streamHeader = StreamHeader(kind: StreamKind(kind), metadata: meta)
        segmentCount += 1
        recordsInSegment = 0
        state = .inSegment
    }

    /// Reads and checks a 40-byte prefix; nil on EOF exactly at a record boundary when `allowEOF`.
    private func readPrefix(allowEOF: Bool) throws -> RecordPrefix? {
        let bytes = try input.readFully(count: FormatConstants.prefixSize)
        if bytes.isEmpty {
            if case .atStart = state { throw FormatError.emptyInput }
            if allowEOF { return nil }
            throw FormatError.emptyInput
        }
        guard bytes.count == FormatConstants.prefixSize else {
            throw FormatError.truncated(part: .prefix, expected: UInt64(FormatConstants.prefixSize), got: UInt64(bytes.count))
        }
        let prefix = try RecordPrefix.decode(bytes, recordIndex: recordsSeen)
        recordsSeen += 1
        try checkLimits(prefix)
        return prefix
    }

    /// Every length is checked here, before any allocation sized by it.
    private func checkLimits(_ p: RecordPrefix) throws {
        guard p.headerLength <= FormatConstants.maxHeaderBytes else {
            throw FormatError.headerTooLarge(length: UInt64(p.headerLength), limit: UInt64(FormatConstants.maxHeaderBytes))
        }
        for length in [p.rawLength, p.payloadLength] where length > limits.maxPayloadBytes {
            throw FormatError.payloadTooLarge(length: length, limit: limits.maxPayloadBytes)
        }
        if p.kind != RecordKind.tensor.rawValue {
            guard p.payloadLength == 0, p.rawLength == 0, p.flags == 0, p.chunkLength == 0 else {
                throw FormatError.badPrefix("begin and end records carry no payload")
            }
        } else if p.isCompressed {
            guard p.chunkLength >= 1, p.chunkLength <= FormatConstants.maxChunkBytes else {
                throw FormatError.badPrefix("chunk length \(p.chunkLength) is not in 1…\(FormatConstants.maxChunkBytes)")
            }
            // Each chunk costs its 4-byte length plus at most zlib's bound; anything outside is not our writer.
            let perChunk = UInt64(4 + Zlib.bound(Int(p.chunkLength)))
            let (most, overflow) = p.chunkCount.multipliedReportingOverflow(by: perChunk)
            guard p.payloadLength >= 4 * p.chunkCount, overflow || p.payloadLength <= most else {
                throw FormatError.badPrefix("payload length \(p.payloadLength) is impossible for \(p.chunkCount) zlib chunks")
            }
        } else {
            guard p.chunkLength == 0, p.payloadLength == p.rawLength else {
                throw FormatError.badPrefix("an uncompressed payload must have payload length = raw length and no chunks")
            }
        }
    }

    private func readHeader(_ prefix: RecordPrefix, crc: inout CRC32) throws -> JSONValue {
        let header = try input.readFully(count: Int(prefix.headerLength))
        guard header.count == Int(prefix.headerLength) else {
            throw FormatError.truncated(part: .header, expected: UInt64(prefix.headerLength), got: UInt64(header.count))
        }
        let computed = crc32(header)
        guard computed == prefix.headerCRC else {
            throw FormatError.checksumMismatch(part: .header, expected: prefix.headerCRC, actual: computed)
        }
        crc.update(prefix.encoded())
        crc.update(header)
        let json = try JSONValue.parse(header)
        guard case .object = json else { throw FormatError.badHeader("header is not a JSON object") }
        return json
    }

    private func tensorInfo(_ prefix: RecordPrefix, _ json: JSONValue) throws -> RecordInfo {
        guard let name = json["name"]?.stringValue else { throw FormatError.badHeader("tensor record has no \"name\" string") }
        guard let dtypeText = json["dtype"]?.stringValue else { throw FormatError.badHeader("\"\(name)\" has no \"dtype\" string") }
        guard let dtype = DType(rawValue: dtypeText) else { throw FormatError.unknownDType(dtypeText) }
        guard let dims = json["shape"]?.arrayValue else { throw FormatError.badHeader("\"\(name)\" has no \"shape\" array") }
        var shape: [Int] = []
        for d in dims {
            guard let n = d.intValue, n >= 0 else { throw FormatError.badHeader("\"\(name)\" has a bad dimension \(d)") }
            shape.append(n)
        }
        let meta = json["meta"] ?? [:]
        do { try Record.validate(name: name, shape: shape, metadata: meta) } catch let FormatError.invalidRecord(m) {
            throw FormatError.badHeader(m)
        }
        let needed = byteCount(of: shape, dtype: dtype)
        guard let needed, UInt64(needed) == prefix.rawLength else {
            throw FormatError.shapeSizeMismatch(shape: shape, dtype: dtype.shortName, expectedBytes: needed.map(UInt64.init) ?? .max,
                                                declaredBytes: prefix.rawLength)
        }
        return RecordInfo(name: name, dtype: dtype, shape: shape, metadata: meta, byteCount: needed)
    }

    /// Inflates every chunk into `output(range)` (the chunk's raw byte range), then hands it to `deliver`.
    private func inflateChunks(_ prefix: RecordPrefix, crc: inout CRC32,
                               output: (Range<Int>) -> UnsafeMutableRawBufferPointer,
                               deliver: (UnsafeRawBufferPointer, Int) throws -> Void = { _, _ in }) throws {
        let rawLength = Int(prefix.rawLength)
        var remaining = prefix.payloadLength
        var chunk: [UInt8] = []
        let chunkLength = Int(prefix.chunkLength)
        let maxCompressed = Zlib.bound(chunkLength)
        var failure: FormatError?
        for index in 0..<Int(prefix.chunkCount) {
            guard remaining >= 4 else { failure = .corruptPayload("payload ends before chunk \(index)"); break }
            let lengthBytes = try input.readFully(count: 4)
            guard lengthBytes.count == 4 else { throw truncatedPayload(prefix, remaining, Int64(lengthBytes.count)) }
            crc.update(lengthBytes)
            remaining -= 4
            let length: UInt32 = readLE(lengthBytes, at: 0)
            guard UInt64(length) <= remaining, Int(length) <= maxCompressed else {
                failure = .corruptPayload("chunk \(index) claims \(length) compressed bytes, \(remaining) remain")
                break
            }
            if chunk.count < Int(length) { chunk = [UInt8](repeating: 0, count: Int(length)) }
            let got = try chunk.withUnsafeMutableBytes { try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Int(length)])) }
            guard got == Int(length) else { throw truncatedPayload(prefix, remaining, Int64(got)) }
            remaining -= UInt64(length)
            let range = (index * chunkLength)..<min(rawLength, (index + 1) * chunkLength)
            let out = output(range)
            do {
                try chunk.withUnsafeBytes { all in
                    crc.update(UnsafeRawBufferPointer(rebasing: all[0..<Int(length)]))
                    try Zlib.inflate(UnsafeRawBufferPointer(rebasing: all[0..<Int(length)]), into: out)
                }
            } catch let error as FormatError {
                failure = error
                break
            }
            try deliver(UnsafeRawBufferPointer(out), range.lowerBound)
        }
        if failure == nil, remaining > 0 { failure = .corruptPayload("\(remaining) bytes after the last chunk") }
        if let failure {
            // Corruption is far likelier than a writer bug: report a CRC mismatch when the CRC disagrees.
            try drain(remaining, crc: &crc)
            try readTrailer(crc)
            throw failure
        }
    }

    private func truncatedPayload(_ prefix: RecordPrefix, _ remaining: UInt64, _ got: Int64) -> FormatError {
        .truncated(part: .payload, expected: prefix.payloadLength, got: prefix.payloadLength - remaining + UInt64(max(0, got)))
    }

    /// Reads and discards `count` payload bytes, folding them into the CRC.
    private func drain(_ count: UInt64, crc: inout CRC32) throws {
        var left = count
        var scratch = [UInt8](repeating: 0, count: Int(min(count, 1 << 16)))
        while left > 0 {
            let n = Int(min(left, UInt64(scratch.count)))
            let got = try scratch.withUnsafeMutableBytes { try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<n])) }
            scratch.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            guard got == n else { throw FormatError.truncated(part: .payload, expected: count, got: count - left + UInt64(got)) }
            left -= UInt64(n)
        }
    }

    private func readTrailer(_ crc: CRC32) throws {
        let bytes = try input.readFully(count: 4)
        guard bytes.count == 4 else { throw FormatError.truncated(part: .checksum, expected: 4, got: UInt64(bytes.count)) }
        let stored: UInt32 = readLE(bytes, at: 0)
        guard stored == crc.value else { throw FormatError.checksumMismatch(part: .payload, expected: stored, actual: crc.value) }
    }
}
