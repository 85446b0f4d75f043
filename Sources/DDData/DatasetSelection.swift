/// SplitMix64: a tiny, fully specified generator, so seeded selections are identical on every platform
/// and Swift version (the standard library's shuffle algorithm is not specified).
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound without modulo bias (Lemire's multiply-and-reject).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0)
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Fisher–Yates shuffle.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, next(below: i + 1))
        }
    }
}

extension Dataset {
    /// Image indices of each class, ascending.
    public func indicesByClass() -> [[Int]] {
        var result = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() where label >= 0 && Int(label) < classCount {
            result[Int(label)].append(index)
        }
        return result
    }

    /// The images at `indices`, in that order, with every per-image field carried along.
    public func subset(indices: [Int]) throws -> Dataset {
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            throw DataError.usage("dataset \(name): index \(bad) outside 0..<\(count)")
        }
        var copy = self
        let per = geometry.valuesPerImage
        switch images {
        case .u8(let values): copy.images = .u8(Self.gather(values, indices, per))
        case .normalized(let values): copy.images = .normalized(Self.gather(values, indices, per))
        }
        copy.labels = indices.map { labels[$0] }
        copy.groups = groups.map { g in indices.map { g[$0] } }
        copy.biasLabels = biasLabels.map { b in indices.map { b[$0] } }
        copy.softLabels = softLabels.map { Self.gather($0, indices, classCount) }
        copy.contentDigest = nil
        return copy
    }

    /// Only the listed classes, relabelled 0..<classes.count in the order given (class names follow), so
    /// downstream tools see a dense K-class problem; the original class ids go into provenance.
    public func subset(classes: [Int]) throws -> Dataset {
        guard !classes.isEmpty else { throw DataError.usage("dataset \(name): empty class list") }
        if let bad = classes.first(where: { $0 < 0 || $0 >= classCount }) {
            throw DataError.usage("dataset \(name): class \(bad) outside 0..<\(classCount)")
        }
        guard Set(classes).count == classes.count else {
            throw DataError.usage("dataset \(name): class list \(classes) repeats a class")
        }
        var newLabel = [Int32](repeating: -1, count: classCount)
        for (position, cls) in classes.enumerated() { newLabel[cls] = Int32(position) }
        let kept = labels.indices.filter { newLabel[Int(labels[$0])] >= 0 }
        var result = try subset(indices: kept)
        result.labels = result.labels.map { newLabel[Int($0)] }
        result.classNames = classes.map { classNames[$0] }
        if let soft = result.softLabels {
            // Soft labels keep only the selected columns, in the new class order.
            var narrowed: [Float] = []
            narrowed.reserveCapacity(result.count * classes.count)
            for row in 0..<result.count { for cls in classes { narrowed.append(soft[row * classCount + cls]) } }
            result.softLabels = narrowed
        }
        result.provenance["classes"] = classes.map(String.init).joined(separator: ",")
        return result
    }

    /// The first `perClass` images of every class (in file order), grouped by class.
    public func firstPerClass(_ perClass: Int) throws -> Dataset {
        try perClassSelection(perClass) { $0 }
    }

    /// `perClass` distinct images per class drawn uniformly with `seed` (a random permutation of each
    /// class's indices, first `perClass`, as the DC code's `get_images` does), grouped by class with
    /// indices ascending within a class. The same seed always gives the same selection.
    public func randomPerClass(_ perClass: Int, seed: UInt64) throws -> Dataset {
        var generator = SplitMix64(seed: seed)
        return try perClassSelection(perClass) { indices in
            var shuffled = indices
            generator.shuffle(&shuffled)
            return shuffled
        }
    }

    private func perClassSelection(_ perClass: Int, order: ([Int]) -> [Int]) throws -> Dataset {
        guard perClass >= 1 else { throw DataError.usage("dataset \(name): per-class count must be at least 1, got \(perClass)") }
        var chosen: [Int] = []
        for (cls, indices) in indicesByClass().enumerated() {
            guard indices.count >= perClass else {
                throw DataError.usage("dataset \(name): class \(cls) (\(classNames[cls])) has \(indices.count) images, "
                                      + "fewer than the \(perClass) asked per class")
            }
            chosen += order(indices).prefix(perClass).sorted()
        }
        return try subset(indices: chosen)
    }

    /// Images as floats in [0,1] (u8 / 255, or normalised values mapped back with mean/std and clamped).
    public func unnormalizedImages() -> [Float] {
        switch images {
        case .u8(let values):
            return values.map { Float($0) / 255 }
        case .normalized(let values):
            return mapPerChannel(values) { value, c in min(max(value * std[c] + mean[c], 0), 1) }
        }
    }

    /// Images in the normalised space, (x/255 − mean)/std per channel.
    public func normalizedImages() -> [Float] {
        switch images {
        case .normalized(let values):
            return values
        case .u8(let values):
            return mapPerChannel(values) { value, c in (Float(value) / 255 - mean[c]) / std[c] }
        }
    }

    /// The same pixels normalised with other constants, `mean`/`std` (unclamped: a synthetic image may lie
    /// outside [0,1] in pixel space).
    public func normalizedImages(mean target: [Float], std targetStd: [Float]) -> [Float] {
        guard target != mean || targetStd != std else { return normalizedImages() }
        switch images {
        case .u8(let values):
            return mapPerChannel(values) { value, c in (Float(value) / 255 - target[c]) / targetStd[c] }
        case .normalized(let values):
            return mapPerChannel(values) { value, c in (value * std[c] + mean[c] - target[c]) / targetStd[c] }
        }
    }

    /// `transform(value, channel)` of every pixel of the N×C×H×W images (inlined: it runs over whole datasets).
    @inline(__always) private func mapPerChannel<T>(_ values: [T], _ transform: (T, Int) -> Float) -> [Float] {
        let plane = geometry.height * geometry.width
        let channels = geometry.channels
        var out = [Float](repeating: 0, count: values.count)
        for i in values.indices { out[i] = transform(values[i], (i / plane) % channels) }
        return out
    }

    static func gather<T>(_ values: [T], _ indices: [Int], _ width: Int) -> [T] {
        var out: [T] = []
        out.reserveCapacity(indices.count * width)
        for index in indices { out += values[(index * width)..<((index + 1) * width)] }
        return out
    }
}
