import DDData
import DDFormat

/// User-supplied group labels for any dataset with a known spurious attribute (`dd-bias --groups-from`).
public enum GroupLabels {
    /// Group ids above this are refused as absurd: they would make dd-eval's per-group tables meaningless
    /// and usually mean a column of something else (pixel sums, file sizes) was passed.
    public static let maxGroup: Int64 = 1_000_000

    /// Parses a groups file: a tensor stream (its `groups` record; a stream of another kind than dataset
    /// or synthetic may instead hold exactly one 1-D integer record) or
    /// plain text with one integer per line (blank lines and `#` comments skipped). `name` prefixes errors.
    public static func parse(_ bytes: [UInt8], name: String) throws -> [Int32] {
        let wide = bytes.starts(with: FormatConstants.magic) ? try parseStream(bytes, name: name)
                                                              : try parseText(bytes, name: name)
        guard !wide.isEmpty else { throw DataError.badData("\(name): no group labels") }
        if let bad = wide.firstIndex(where: { $0 < 0 || $0 > maxGroup }) {
            throw DataError.badData("\(name): group \(bad) is \(wide[bad]); groups must be in 0…\(maxGroup)")
        }
        return wide.map { Int32($0) }
    }

    /// The dataset with `groups` replaced by `groups`, which must hold one label per image.
    public static func attach(_ groups: [Int32], to dataset: Dataset, file name: String) throws -> Dataset {
        guard groups.count == dataset.count else {
            throw DataError.badData("\(name) holds \(groups.count) group labels but the dataset has \(dataset.count) images")
        }
        var result = dataset
        result.groups = groups
        result.provenance["groups_from"] = name
        result.contentDigest = nil
        try result.validate()
        return result.withContentDigest()
    }

    static func parseText(_ bytes: [UInt8], name: String) throws -> [Int64] {
        var values: [Int64] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var text = Substring(decoding: line, as: UTF8.self)
            if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
            let trimmed = text.trimmingCharacters(in: " \t\r")
            if trimmed.isEmpty { continue }
            guard let value = Int64(trimmed) else {
                let shown = trimmed.count > 24 ? String(trimmed.prefix(24)) + "…" : String(trimmed)
                throw DataError.badData("\(name): line \(lineNumber): \"\(shown)\" is not an integer group label")
            }
            values.append(value)
        }
        return values
    }

    static func parseStream(_ bytes: [UInt8], name: String) throws -> [Int64] {
        let reader = StreamReader(bytes: bytes)
        let header = try reader.readStreamHeader()
        var named: [Int64]?
        var vectors: [(String, [Int64])] = []
        while let info = try reader.nextInfo() {
            let integer: Set<DType> = [.u8, .i32, .i64]
            guard info.shape.count == 1, integer.contains(info.dtype) else { try reader.skipPayload(); continue }
            let values: [Int64]
            switch info.dtype {
            case .u8: values = try reader.readPayload(as: UInt8.self).map { Int64($0) }
            case .i32: values = try reader.readPayload(as: Int32.self).map { Int64($0) }
            default: values = try reader.readPayload(as: Int64.self)
            }
            if info.name == DatasetStreamKeys.groups { named = values } else { vectors.append((info.name, values)) }
        }
        if let named { return named }
        // A dataset stream's labels are never taken for groups by accident.
        if header.kind == .dataset || header.kind == .synthetic {
            throw DataError.badData("\(name): \(header.kind.rawValue) stream without a `groups` record")
        }
        guard vectors.count == 1 else {
            throw DataError.badData("\(name): no `groups` record and \(vectors.count) other 1-D integer records "
                                    + "(\(vectors.map(\.0).joined(separator: ", "))); expected exactly one")
        }
        return vectors[0].1
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let first = s.first, set.contains(first) { s = s.dropFirst() }
        while let last = s.last, set.contains(last) { s = s.dropLast() }
        return s
    }
}
