// Naming conventions for dataset, synthetic and trajectory streams (docs/format.md §5), and the content
// digest that identifies a dataset's tensors independently of compression, record order and metadata.

public enum DatasetRecord {
    /// u8 (raw pixels 0…255) or f32 (normalised), N×C×H×W.
    public static let images = "images"
    /// i64 (or i32) class indices, N.
    public static let labels = "labels"
    /// Optional i64 group index per sample (e.g. colour group of Colored MNIST), N.
    public static let groups = "groups"
    /// Optional i64 bias attribute per sample, N.
    public static let biasLabels = "bias_labels"
    /// Optional f32 N×K soft labels.
    public static let softLabels = "soft_labels"
}

/// Keys of the begin record's metadata for dataset and synthetic streams.
public enum DatasetMetadataKey {
    public static let name = "dataset"          // "mnist", "fashion-mnist", …
    public static let split = "split"           // "train" | "test"
    public static let classes = "classes"       // [String], index = label
    public static let mean = "mean"             // [Double] per channel, for (x/255 − mean)/std
    public static let std = "std"               // [Double] per channel
    public static let geometry = "geometry"     // [C, H, W]
    public static let count = "count"           // N
    public static let provenance = "provenance" // {"tool", "version", "command", "sources": [{"file", "sha256"}]}
    public static let digest = "digest"         // ContentDigest string "sha256:<hex>"
    public static let method = "method"         // synthetic streams: {"name", "ipc", "seed", …}
}

/// The content digest: SHA-256 over the stream's tensor records sorted by name (UTF-8 byte order), each
/// contributing `name ‖ 0x00 ‖ dtype descriptor ‖ 0x00 ‖ shape as compact JSON ‖ 0x00 ‖ u64 LE byte count ‖
/// raw little-endian bytes`. Written as "sha256:" + 64 lowercase hex digits.
public enum ContentDigest {
    public static func compute(_ records: [Record]) throws -> String {
        var hasher = SHA256()
        let sorted = records.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        for i in sorted.indices.dropFirst() where sorted[i].name == sorted[i - 1].name {
            throw FormatError.invalidRecord("duplicate record name \"\(sorted[i].name)\" in a digest")
        }
        for record in sorted {
            var framing = Array(record.name.utf8) + [0]
            framing += Array(record.dtype.rawValue.utf8) + [0]
            framing += JSONValue.array(record.shape.map { .number(Double($0)) }).serializedBytes() + [0]
            appendLE(UInt64(record.bytes.count), to: &framing)
            hasher.update(framing)
            hasher.update(record.bytes)
        }
        return "sha256:" + SHA256.hex(hasher.finalize())
    }
}
