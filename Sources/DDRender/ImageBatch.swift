/// Images to draw, independent of where they came from: N images in NCHW order with one class label
/// each, optional group labels (e.g. colour groups of a biased dataset), names, and the normalisation
/// constants float images were stored with.
public struct ImageBatch: Sendable {
    public enum Pixels: Sendable {
        /// Raw 8-bit samples, drawn as they are.
        case u8([UInt8])
        /// Normalised samples: drawn as x·std + mean, clamped to [0, 1].
        case f32([Float])

        var count: Int {
            switch self {
            case .u8(let v): return v.count
            case .f32(let v): return v.count
            }
        }
    }

    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let pixels: Pixels
    public let labels: [Int]
    public let classNames: [String]
    public let groups: [Int]?
    public let groupNames: [String]
    /// Per-channel constants (one value is broadcast to every channel); nil means identity.
    public let mean: [Float]?
    public let std: [Float]?

    public init(count: Int, channels: Int, height: Int, width: Int, pixels: Pixels, labels: [Int],
                classNames: [String] = [], groups: [Int]? = nil, groupNames: [String] = [],
                mean: [Float]? = nil, std: [Float]? = nil) throws {
        guard count >= 0, channels >= 1, height >= 1, width >= 1 else {
            throw RenderError.data("image geometry \(count)×\(channels)×\(height)×\(width) is invalid")
        }
        let (perImage, o1) = channels.multipliedReportingOverflow(by: height)
        let (perImage2, o2) = perImage.multipliedReportingOverflow(by: width)
        let (total, o3) = perImage2.multipliedReportingOverflow(by: count)
        guard !o1, !o2, !o3, pixels.count == total else {
            throw RenderError.data("\(pixels.count) samples do not make \(count) images of \(channels)×\(height)×\(width)")
        }
        guard labels.count == count else {
            throw RenderError.data("\(labels.count) labels for \(count) images")
        }
        let classCount = max(classNames.count, (labels.max() ?? -1) + 1)
        if let bad = labels.first(where: { $0 < 0 || (!classNames.isEmpty && $0 >= classNames.count) }) {
            throw RenderError.data("label \(bad) is outside the \(classCount) classes")
        }
        if let groups {
            guard groups.count == count else {
                throw RenderError.data("\(groups.count) group labels for \(count) images")
            }
            if let bad = groups.first(where: { $0 < 0 || (!groupNames.isEmpty && $0 >= groupNames.count) }) {
                throw RenderError.data("group label \(bad) is outside the known groups")
            }
        }
        for (name, constants) in [("mean", mean), ("std", std)] {
            guard let constants else { continue }
            guard constants.count == 1 || constants.count == channels else {
                throw RenderError.data("\(constants.count) \(name) values for \(channels) channels")
            }
            guard constants.allSatisfy({ $0.isFinite }) else {
                throw RenderError.data("normalisation \(name) \(constants) is not finite")
            }
        }
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
        self.groups = groups
        self.groupNames = groupNames
        self.mean = mean
        self.std = std
    }

    /// Number of classes: the names given, or one past the largest label.
    public var classCount: Int { max(classNames.count, (labels.max() ?? -1) + 1) }

    public var groupCount: Int { max(groupNames.count, (groups?.max() ?? -1) + 1) }

    public func className(_ index: Int) -> String {
        index < classNames.count && !classNames[index].isEmpty ? classNames[index] : String(index)
    }

    public func groupName(_ index: Int) -> String {
        index < groupNames.count && !groupNames[index].isEmpty ? groupNames[index] : "group \(index)"
    }

    /// The display value of one normalised sample: x·std + mean clamped to [0, 1], as 8 bits. NaN
    /// draws black and ±∞ the nearest end, so a diverged synthetic image still renders.
    public static func displayByte(_ x: Float, mean: Float, std: Float) -> UInt8 {
        let v = x * std + mean
        if v.isNaN { return 0 }
        if v <= 0 { return 0 }
        if v >= 1 { return 255 }
        return UInt8((v * 255).rounded())
    }

    /// Image `index` as an 8-bit raster (NCHW → interleaved HWC), un-normalised if it is float.
    public func raster(image index: Int, format: PixelFormat) throws -> Raster {
        guard format.channels == channels else {
            throw RenderError.data("cannot draw \(channels)-channel images as \(format)")
        }
        let plane = height * width
        let base = index * channels * plane
        var out = [UInt8](repeating: 0, count: plane * channels)
        switch pixels {
        case .u8(let values):
            for c in 0..<channels {
                for p in 0..<plane { out[p * channels + c] = values[base + c * plane + p] }
            }
        case .f32(let values):
            for c in 0..<channels {
                let m = mean.map { $0.count == 1 ? $0[0] : $0[c] } ?? 0
                let s = std.map { $0.count == 1 ? $0[0] : $0[c] } ?? 1
                for p in 0..<plane {
                    out[p * channels + c] = ImageBatch.displayByte(values[base + c * plane + p], mean: m, std: s)
                }
            }
        }
        return try Raster(width: width, height: height, format: format, samples: out)
    }

    /// Resolves a class list such as "0,3-5,Sneaker" to class indices, in the order given. Names match
    /// exactly first, then case-insensitively, so "T-shirt/top" is a name and not a range.
    public func resolveClasses(_ list: String) throws -> [Int] {
        var result: [Int] = []
        for token in list.split(separator: ",", omittingEmptySubsequences: false) {
            let item = token.trimmingCharacters(in: " ")
            if let exact = classNames.firstIndex(of: item) {
                result.append(exact)
            } else if let folded = classNames.firstIndex(where: { $0.lowercased() == item.lowercased() }) {
                result.append(folded)
            } else if let index = Int(item) {
                guard index >= 0, index < classCount else {
                    throw RenderError.argument("class \(index) is outside 0…\(classCount - 1)")
                }
                result.append(index)
            } else if let dash = item.firstIndex(of: "-"),
                      let low = Int(item[..<dash]), let high = Int(item[item.index(after: dash)...]) {
                guard low >= 0, low <= high, high < classCount else {
                    throw RenderError.argument("class range \(item) is outside 0…\(classCount - 1)")
                }
                result.append(contentsOf: low...high)
            } else {
                let known = (0..<classCount).map(className).joined(separator: ", ")
                throw RenderError.argument("unknown class \"\(item)\"; known: \(known)")
            }
        }
        var seen = Set<Int>()
        return result.filter { seen.insert($0).inserted }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var slice = Substring(self)
        while slice.first == set { slice.removeFirst() }
        while slice.last == set { slice.removeLast() }
        return String(slice)
    }
}
