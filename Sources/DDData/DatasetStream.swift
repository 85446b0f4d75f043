import DDFormat

/// One tensor record a dataset is written as; the arrays are shared (copy-on-write), not copied.
public struct DatasetTensor: Sendable {
    public enum Values: Sendable {
        case u8([UInt8]), i64([Int64]), f32([Float])

        public var dtype: DType {
            switch self {
            case .u8: return .u8
            case .i64: return .i64
            case .f32: return .f32
            }
        }

        public var byteCount: Int {
            switch self {
            case .u8(let v): return v.count
            case .i64(let v): return v.count * 8
            case .f32(let v): return v.count * 4
            }
        }

        public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            switch self {
            case .u8(let v): return try v.withUnsafeBytes(body)
            case .i64(let v): return try v.withUnsafeBytes(body)
            case .f32(let v): return try v.withUnsafeBytes(body)
            }
        }
    }

    public var name: String
    public var shape: [Int]
    public var values: Values
    public var dtype: DType { values.dtype }
}

/// Dataset ⇄ tensor stream, following DDFormat's conventions (docs/format.md; `DatasetRecord` and
/// `DatasetMetadataKey`): records `images` (u8 pixels or f32 normalised, N×C×H×W), `labels`, optional
/// `groups`, `bias_labels` (i64, N; i32 and u8 accepted on read) and `soft_labels` (f32, N×K); the begin
/// record's metadata holds `dataset`, `split`, `classes`, `mean`, `std`, `geometry`, `count`,
/// `provenance` and `digest`. Unknown keys and records are ignored on read; in concatenated streams a
/// later record replaces an earlier one of the same name (as python/ddt.py's `load` does).
extension Dataset {
    /// The records this dataset is written as, in writing order.
    public func streamTensors() -> [DatasetTensor] {
        let g = geometry
        let imageShape = [count, g.channels, g.height, g.width]
        var tensors: [DatasetTensor] = []
        switch images {
        case .u8(let values): tensors.append(DatasetTensor(name: DatasetRecord.images, shape: imageShape, values: .u8(values)))
        case .normalized(let values): tensors.append(DatasetTensor(name: DatasetRecord.images, shape: imageShape, values: .f32(values)))
        }
        func indices(_ name: String, _ values: [Int32]?) {
            guard let values else { return }
            tensors.append(DatasetTensor(name: name, shape: [values.count], values: .i64(values.map { Int64($0) })))
        }
        indices(DatasetRecord.labels, labels)
        indices(DatasetRecord.groups, groups)
        indices(DatasetRecord.biasLabels, biasLabels)
        if let softLabels {
            tensors.append(DatasetTensor(name: DatasetRecord.softLabels, shape: [count, classCount], values: .f32(softLabels)))
        }
        return tensors
    }

    /// The begin-record metadata describing this dataset.
    public func streamMetadata() -> JSONValue {
        typealias Key = DatasetMetadataKey
        var meta: [String: JSONValue] = [
            Key.name: .string(name),
            Key.classes: .array(classNames.map { .string($0) }),
            Key.mean: .array(mean.map { .number(Self.shortestDouble($0)) }),
            Key.std: .array(std.map { .number(Self.shortestDouble($0)) }),
            Key.geometry: .array([geometry.channels, geometry.height, geometry.width].map { .number(Double($0)) }),
            Key.count: .number(Double(count)),
            Key.provenance: provenance,
        ]
        if let split { meta[Key.split] = .string(split) }
        if let contentDigest { meta[Key.digest] = .string(contentDigest) }
        return .object(meta)
    }

    /// Writes this dataset's tensor records (not the begin or end record) to an open writer.
    public func writeRecords(to writer: StreamWriter) throws {
        for tensor in streamTensors() {
            try tensor.values.withBytes { try writer.write(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: $0) }
        }
    }

    /// Writes a complete stream (begin record, tensors, end record) to `sink`, after validating; the
    /// content digest is filled in if missing.
    public func write(to sink: ByteSink, kind: StreamKind = .dataset, options: WriterOptions = WriterOptions()) throws {
        try validate()
        let described = contentDigest == nil ? withContentDigest() : self
        let writer = try StreamWriter(sink: sink, kind: kind, metadata: described.streamMetadata(), options: options)
        try described.writeRecords(to: writer)
        try writer.finish()
    }

    /// Reads a dataset (or synthetic-set) stream. Format errors surface as `FormatError`; a well-formed
    /// stream that is not a valid dataset is a `DataError` (bad data). With `verifyDigest`, a stored digest
    /// must equal DDFormat's `ContentDigest` of every tensor record read.
    public static func read(from reader: StreamReader, verifyDigest: Bool = false) throws -> Dataset {
        _ = try reader.readStreamHeader()
        var records: [String: Record] = [:]
        while let info = try reader.nextInfo() {
            records[info.name] = try Record(name: info.name, dtype: info.dtype, shape: info.shape,
                                            bytes: reader.readPayload(as: UInt8.self), metadata: info.metadata)
        }
        let header = reader.streamHeader ?? StreamHeader(kind: .dataset)
        let dataset = try Dataset(header: header, records: records)
        if verifyDigest, let stored = dataset.contentDigest {
            let actual = try ContentDigest.compute(Array(records.values))
            guard actual == stored else {
                throw DataError.badData("\(header.kind) stream: digest mismatch: stored \(stored), computed \(actual)")
            }
        }
        return dataset
    }

    /// Builds a dataset from a stream's begin header and its tensor records (by name), then validates it.
    public init(header: StreamHeader, records: [String: Record]) throws {
        typealias Key = DatasetMetadataKey
        let meta = header.metadata
        func fail(_ what: String) -> DataError { DataError.badData("\(header.kind) stream: \(what)") }
        guard let shape = meta[Key.geometry]?.arrayValue?.compactMap(\.intValue), shape.count == 3 else {
            throw fail("metadata lacks \(Key.geometry) [C,H,W]")
        }
        guard let classNames = meta[Key.classes]?.arrayValue?.compactMap(\.stringValue), !classNames.isEmpty else {
            throw fail("metadata lacks \(Key.classes)")
        }
        guard let imageRecord = records[DatasetRecord.images] else { throw fail("no images record") }
        guard imageRecord.shape.count == 4, Array(imageRecord.shape[1...]) == shape else {
            throw fail("images have shape \(imageRecord.shape), metadata says [N, \(shape.map(String.init).joined(separator: ", "))]")
        }
        let images: ImageData
        switch imageRecord.dtype {
        case .u8: images = .u8(imageRecord.bytes)
        case .f32: images = .normalized(try imageRecord.floats())
        default: throw fail("images are \(imageRecord.dtype.shortName), expected u8 or f32")
        }
        guard let labelRecord = records[DatasetRecord.labels] else { throw fail("no labels record") }
        let labels = try Self.indices(labelRecord, fail)
        guard labels.count == imageRecord.shape[0] else { throw fail("\(labels.count) labels for \(imageRecord.shape[0]) images") }
        var softLabels: [Float]?
        if let soft = records[DatasetRecord.softLabels] {
            guard soft.dtype == .f32, soft.shape.count == 2, soft.shape[1] == classNames.count else {
                throw fail("soft_labels must be f32 N×\(classNames.count), got \(soft.dtype.shortName) \(soft.shape)")
            }
            softLabels = try soft.floats()
        }
        self.init(name: meta[Key.name]?.stringValue ?? "", split: meta[Key.split]?.stringValue, images: images,
                  geometry: ImageGeometry(channels: shape[0], height: shape[1], width: shape[2]),
                  labels: labels, classNames: classNames,
                  mean: meta[Key.mean]?.arrayValue?.compactMap(\.doubleValue).map { Float($0) } ?? [],
                  std: meta[Key.std]?.arrayValue?.compactMap(\.doubleValue).map { Float($0) } ?? [],
                  groups: try records[DatasetRecord.groups].map { try Self.indices($0, fail) },
                  biasLabels: try records[DatasetRecord.biasLabels].map { try Self.indices($0, fail) },
                  softLabels: softLabels, provenance: meta[Key.provenance] ?? [:],
                  contentDigest: meta[Key.digest]?.stringValue)
        try validate()
    }

    private static func indices(_ record: Record, _ fail: (String) -> DataError) throws -> [Int32] {
        guard record.shape.count == 1 else { throw fail("\(record.name) must be 1-D, got shape \(record.shape)") }
        switch record.dtype {
        case .i32: return try record.int32s()
        case .u8: return record.bytes.map { Int32($0) }
        case .i64:
            let wide = try record.int64s()
            if let bad = wide.firstIndex(where: { $0 < Int64(Int32.min) || $0 > Int64(Int32.max) }) {
                throw fail("\(record.name)[\(bad)] = \(wide[bad]) does not fit in 32 bits")
            }
            return wide.map { Int32($0) }
        default:
            throw fail("\(record.name) are \(record.dtype.shortName), expected an integer type")
        }
    }

    /// A Float as the Double with the same shortest decimal form (0.1307, not 0.13070000708…), so JSON
    /// metadata reads as the published constant.
    static func shortestDouble(_ value: Float) -> Double {
        Double(String(describing: value)) ?? Double(value)
    }
}
