import DDFormat

/// Dataset ⇄ tensor stream (docs/format.md §6.1 `dataset`, §6.2 `synthetic`).
///
/// Stream-level metadata (the begin record's `meta`) describes the set; one tensor record per array:
///
/// | record | dtype | shape | |
/// |---|---|---|---|
/// | `images` | u8 (pixels 0…255) or f32 (normalised space) | N×C×H×W | required |
/// | `labels` | i32 (u8 and i64 accepted on read) | N | required |
/// | `groups` | i32 | N | optional |
/// | `bias_labels` | i32 | N | optional |
/// | `soft_labels` | f32 | N×K | optional |
///
/// Begin metadata keys: `name`, `class_names` [K strings], `mean`, `std` [C numbers],
/// `image_shape` [C,H,W], `count` N, `content_digest` ("sha256:…", see `Dataset.computeContentDigest`),
/// `provenance` {string: string}. Unknown keys and records are ignored on read; in concatenated streams a
/// later record replaces an earlier one of the same name.
public enum DatasetStreamKeys {
    public static let images = "images", labels = "labels", groups = "groups"
    public static let biasLabels = "bias_labels", softLabels = "soft_labels"
}

extension Dataset {
    /// The begin-record metadata describing this dataset.
    public func streamMetadata() -> JSONValue {
        var provenanceObject: [String: JSONValue] = [:]
        for (key, value) in provenance { provenanceObject[key] = .string(value) }
        var meta: [String: JSONValue] = [
            "name": .string(name),
            "class_names": .array(classNames.map { .string($0) }),
            "mean": .array(mean.map { .number(Self.shortestDouble($0)) }),
            "std": .array(std.map { .number(Self.shortestDouble($0)) }),
            "image_shape": .array([geometry.channels, geometry.height, geometry.width].map { .number(Double($0)) }),
            "count": .number(Double(count)),
            "provenance": .object(provenanceObject),
        ]
        if let contentDigest { meta["content_digest"] = .string(contentDigest) }
        return .object(meta)
    }

    /// Writes this dataset's tensor records (not the begin or end record) to an open writer.
    public func writeRecords(to writer: StreamWriter) throws {
        let g = geometry
        let imageShape = [count, g.channels, g.height, g.width]
        switch images {
        case .u8(let values): try writer.write(name: DatasetStreamKeys.images, shape: imageShape, values: values)
        case .normalized(let values): try writer.write(name: DatasetStreamKeys.images, shape: imageShape, values: values)
        }
        try writer.write(name: DatasetStreamKeys.labels, shape: [count], values: labels)
        if let groups { try writer.write(name: DatasetStreamKeys.groups, shape: [count], values: groups) }
        if let biasLabels { try writer.write(name: DatasetStreamKeys.biasLabels, shape: [count], values: biasLabels) }
        if let softLabels { try writer.write(name: DatasetStreamKeys.softLabels, shape: [count, classCount], values: softLabels) }
    }

    /// Writes a complete stream (begin record, tensors, end record) to `sink`. The dataset is validated
    /// first and its content digest filled in if missing. `extraMetadata` adds begin-record keys, e.g. a
    /// synthetic set's `method` and `source_digest` (§6.2); it cannot replace the dataset's own keys.
    public func write(to sink: ByteSink, kind: StreamKind = .dataset, options: WriterOptions = WriterOptions(),
                      extraMetadata: [String: JSONValue] = [:]) throws {
        try validate()
        let described = contentDigest == nil ? withContentDigest() : self
        var metadata = described.streamMetadata().objectValue ?? [:]
        for (key, value) in extraMetadata where metadata[key] == nil { metadata[key] = value }
        let writer = try StreamWriter(sink: sink, kind: kind, metadata: .object(metadata), options: options)
        try described.writeRecords(to: writer)
        try writer.finish()
    }

    /// Reads a dataset (or synthetic-set) stream. Format errors surface as `FormatError`; a stream that is
    /// well-formed but not a valid dataset is a `DataError` (bad data). With `verifyDigest`, a stored
    /// content digest must match the content read.
    public static func read(from reader: StreamReader, verifyDigest: Bool = false) throws -> Dataset {
        _ = try reader.readStreamHeader()
        // Concatenated streams: a later record replaces an earlier one of the same name and the last
        // begin record's metadata wins, as python/ddt.py's `load` does.
        var images: ImageData?
        var imageShape: [Int] = []
        var labels: [Int32]?, groups: [Int32]?, biasLabels: [Int32]?, softLabels: [Float]?
        var softShape: [Int] = []
        let kind = { (reader.streamHeader?.kind.rawValue ?? "dataset") + " stream" }
        func fail(_ what: String) -> DataError { DataError.badData("\(kind()): \(what)") }
        while let info = try reader.nextInfo() {
            switch info.name {
            case DatasetStreamKeys.images:
                guard info.shape.count == 4 else { throw fail("images must be N×C×H×W, got shape \(info.shape)") }
                imageShape = info.shape
                switch info.dtype {
                case .u8: images = .u8(try reader.readPayload(as: UInt8.self))
                case .f32: images = .normalized(try reader.readPayload(as: Float.self))
                default: throw fail("images are \(info.dtype.shortName), expected u8 or f32")
                }
            case DatasetStreamKeys.labels: labels = try readIndices(reader, info, fail)
            case DatasetStreamKeys.groups: groups = try readIndices(reader, info, fail)
            case DatasetStreamKeys.biasLabels: biasLabels = try readIndices(reader, info, fail)
            case DatasetStreamKeys.softLabels:
                guard info.dtype == .f32, info.shape.count == 2 else {
                    throw fail("soft_labels must be f32 N×K, got \(info.dtype.shortName) \(info.shape)")
                }
                softShape = info.shape
                softLabels = try reader.readPayload(as: Float.self)
            default:
                try reader.skipPayload()
            }
        }
        let meta = reader.streamHeader?.metadata ?? [:]
        guard let shape = meta["image_shape"]?.arrayValue?.compactMap(\.intValue), shape.count == 3 else {
            throw fail("metadata lacks image_shape [C,H,W]")
        }
        guard let classNames = meta["class_names"]?.arrayValue?.compactMap(\.stringValue), !classNames.isEmpty else {
            throw fail("metadata lacks class_names")
        }
        guard let images else { throw fail("no images record") }
        guard let labels else { throw fail("no labels record") }
        guard Array(imageShape[1...]) == shape else {
            throw fail("images have shape \(imageShape), metadata says [N, \(shape.map(String.init).joined(separator: ", "))]")
        }
        guard labels.count == imageShape[0] else { throw fail("\(labels.count) labels for \(imageShape[0]) images") }
        if softLabels != nil, softShape[1] != classNames.count {
            throw fail("soft_labels have \(softShape[1]) columns for \(classNames.count) classes")
        }
        let mean = meta["mean"]?.arrayValue?.compactMap(\.doubleValue).map { Float($0) } ?? []
        let std = meta["std"]?.arrayValue?.compactMap(\.doubleValue).map { Float($0) } ?? []
        var provenance: [String: String] = [:]
        for (key, value) in meta["provenance"]?.objectValue ?? [:] { provenance[key] = value.stringValue ?? value.serialized() }
        let dataset = Dataset(name: meta["name"]?.stringValue ?? "", images: images,
                              geometry: ImageGeometry(channels: shape[0], height: shape[1], width: shape[2]),
                              labels: labels, classNames: classNames, mean: mean, std: std, groups: groups,
                              biasLabels: biasLabels, softLabels: softLabels, provenance: provenance,
                              contentDigest: meta["content_digest"]?.stringValue)
        try dataset.validate()
        if verifyDigest, let stored = dataset.contentDigest {
            let actual = dataset.computeContentDigest()
            guard actual == stored else { throw fail("content digest mismatch: stored \(stored), computed \(actual)") }
        }
        return dataset
    }

    private static func readIndices(_ reader: StreamReader, _ info: RecordInfo, _ fail: (String) -> DataError) throws -> [Int32] {
        guard info.shape.count == 1 else { throw fail("\(info.name) must be 1-D, got shape \(info.shape)") }
        switch info.dtype {
        case .i32: return try reader.readPayload(as: Int32.self)
        case .u8: return try reader.readPayload(as: UInt8.self).map { Int32($0) }
        case .i64:
            let wide = try reader.readPayload(as: Int64.self)
            guard let bad = wide.firstIndex(where: { $0 < Int64(Int32.min) || $0 > Int64(Int32.max) }) else {
                return wide.map { Int32($0) }
            }
            throw fail("\(info.name)[\(bad)] = \(wide[bad]) does not fit in 32 bits")
        default:
            throw fail("\(info.name) are \(info.dtype.shortName), expected an integer type")
        }
    }

    /// A Float as the Double with the same shortest decimal form (0.1307, not 0.13070000708…), so JSON
    /// metadata reads as the published constant.
    static func shortestDouble(_ value: Float) -> Double {
        Double(String(describing: value)) ?? Double(value)
    }
}
