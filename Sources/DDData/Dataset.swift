/// Channels × height × width of every image in a dataset.
public struct ImageGeometry: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    public var valuesPerImage: Int { channels * height * width }
    public var description: String { "\(channels)×\(height)×\(width)" }
}

/// Image tensor N×C×H×W in C order: raw bytes as distributed, or floats already in the normalised space
/// ((x/255 − mean)/std per channel) where distillation methods keep synthetic images.
public enum ImageData: Equatable, Sendable {
    case u8([UInt8])
    case normalized([Float])

    public var elementCount: Int {
        switch self {
        case .u8(let values): return values.count
        case .normalized(let values): return values.count
        }
    }
}

/// The in-memory dataset every dd tool works on: images, labels and what is needed to interpret them.
public struct Dataset: Equatable, Sendable {
    /// Short registry-style name, e.g. "mnist" or "mnist/train".
    public var name: String
    public var images: ImageData
    public var geometry: ImageGeometry
    /// Class index per image, in 0..<classNames.count.
    public var labels: [Int32]
    public var classNames: [String]
    /// Per-channel normalisation constants for pixels scaled to [0,1].
    public var mean: [Float]
    public var std: [Float]
    /// Optional group label per image (e.g. the bias-aligned/conflicting group of Colored-MNIST).
    public var groups: [Int32]?
    /// Optional bias-attribute label per image (e.g. the colour index).
    public var biasLabels: [Int32]?
    /// Optional soft labels, count × classCount floats, row-major.
    public var softLabels: [Float]?
    /// Where the data came from: source files, their digests, the tool, the selection applied.
    public var provenance: [String: String]
    /// `sha256:<hex>` of the tensor content (see `computeContentDigest`); nil until computed.
    public var contentDigest: String?

    public init(name: String, images: ImageData, geometry: ImageGeometry, labels: [Int32], classNames: [String],
                mean: [Float], std: [Float], groups: [Int32]? = nil, biasLabels: [Int32]? = nil,
                softLabels: [Float]? = nil, provenance: [String: String] = [:], contentDigest: String? = nil) {
        self.name = name
        self.images = images
        self.geometry = geometry
        self.labels = labels
        self.classNames = classNames
        self.mean = mean
        self.std = std
        self.groups = groups
        self.biasLabels = biasLabels
        self.softLabels = softLabels
        self.provenance = provenance
        self.contentDigest = contentDigest
    }

    public var count: Int { labels.count }
    public var classCount: Int { classNames.count }

    /// Checks every invariant the tools rely on; the first violation is a one-line `badData` error.
    public func validate() throws {
        func fail(_ what: String) -> DataError { DataError.badData("dataset \(name): \(what)") }
        let g = geometry
        guard g.channels >= 1, g.channels <= 64, g.height >= 1, g.width >= 1, g.height <= 65_536, g.width <= 65_536 else {
            throw fail("implausible image geometry \(g)")
        }
        guard classCount >= 1 else { throw fail("no class names") }
        let (expected, overflow) = count.multipliedReportingOverflow(by: g.valuesPerImage)
        guard !overflow, images.elementCount == expected else {
            throw fail("\(images.elementCount) image values, expected \(count) labels × \(g) = \(expected) "
                       + "(label count must equal image count)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            throw fail("label \(labels[bad]) of image \(bad) is outside 0..<\(classCount)")
        }
        guard mean.count == g.channels, std.count == g.channels else {
            throw fail("normalisation has \(mean.count) means and \(std.count) stds for \(g.channels) channels")
        }
        if let bad = std.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
            throw fail("std[\(bad)] = \(std[bad]) must be positive and finite")
        }
        if let bad = mean.firstIndex(where: { !$0.isFinite }) { throw fail("mean[\(bad)] is not finite") }
        for (field, values) in [("group labels", groups), ("bias labels", biasLabels)] {
            guard let values else { continue }
            guard values.count == count else { throw fail("\(values.count) \(field) for \(count) images") }
            if let bad = values.firstIndex(where: { $0 < 0 }) { throw fail("\(field)[\(bad)] = \(values[bad]) is negative") }
        }
        if let soft = softLabels {
            guard soft.count == count * classCount else {
                throw fail("\(soft.count) soft-label values, expected \(count) × \(classCount) classes")
            }
            if let bad = soft.firstIndex(where: { !$0.isFinite }) { throw fail("soft label value \(bad) is not finite") }
        }
        if case .normalized(let values) = images, let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail("image value \(bad) is not finite")
        }
    }

    /// SHA-256 over the tensors (not the metadata), so equal content gives an equal digest whatever the
    /// compression, file names or provenance. Layout hashed, in order:
    /// `dd-dataset-v1\n`, then per tensor a line `NAME DTYPE DIM...\n` followed by its little-endian bytes:
    /// `images u8|f32 N C H W`, `labels i32 N`, then if present `groups i32 N`, `bias i32 N`,
    /// `soft f32 N K`.
    public func computeContentDigest() -> String {
        var hasher = SHA256()
        func line(_ text: String) { hasher.update(Array(text.utf8)) }
        let g = geometry
        line("dd-dataset-v1\n")
        switch images {
        case .u8(let values):
            line("images u8 \(count) \(g.channels) \(g.height) \(g.width)\n")
            hasher.update(values)
        case .normalized(let values):
            line("images f32 \(count) \(g.channels) \(g.height) \(g.width)\n")
            values.withUnsafeBytes { hasher.update($0) }   // little-endian hosts only (x86-64, arm64)
        }
        func ints(_ tag: String, _ values: [Int32]) {
            line("\(tag) i32 \(values.count)\n")
            values.withUnsafeBytes { hasher.update($0) }
        }
        ints("labels", labels)
        if let groups { ints("groups", groups) }
        if let biasLabels { ints("bias", biasLabels) }
        if let softLabels {
            line("soft f32 \(count) \(classCount)\n")
            softLabels.withUnsafeBytes { hasher.update($0) }
        }
        return "sha256:" + hasher.finalizeHex()
    }

    /// Returns the dataset with `contentDigest` set from its current content.
    public func withContentDigest() -> Dataset {
        var copy = self
        copy.contentDigest = computeContentDigest()
        return copy
    }
}
