import DDData
import DDTensor
import Foundation

/// What `BiasedDataset.make` does: the colouring, its palette and strength, the split and the seed.
public struct BiasOptions: Sendable, Equatable {
    public var kind: ColoringKind
    public var palette: BiasPalette = .lff
    /// Fraction of each class's samples NOT in the class's own colour (seed 000's bias_ratio; LfF's
    /// "skewed ratio"). 0.9 with ten colours = colours uniform per class; 1 = conflicting only.
    public var conflictingRatio = 0.05
    /// Standard deviation of the per-image colour jitter; LfF severity 4 (its script's choice) is 0.005.
    public var jitter = 0.005
    public var split = BiasSplit.all
    public var seed: UInt64 = 0

    public init(kind: ColoringKind) { self.kind = kind }

    public func validate() throws {
        guard conflictingRatio >= 0, conflictingRatio <= 1 else {
            throw DataError.usage("bias ratio \(conflictingRatio) is outside [0, 1] (the fraction of bias-conflicting samples)")
        }
        guard jitter >= 0, jitter <= 1 else { throw DataError.usage("jitter \(jitter) is outside [0, 1]") }
    }
}

/// Builds biased datasets from grayscale ones (docs/bias.md).
///
/// Conventions shared with dd-distill and dd-eval: `bias_labels` holds the attribute value b (the colour
/// index), b == label means bias-aligned; `groups` = label · A + b, A = the palette size (10: 100 groups).
public enum BiasedDataset {
    /// The coloured dataset: RGB u8 images, labels and class names kept, bias labels, groups, normalisation
    /// constants for the colour-uniform version of the source, and provenance saying how it was made.
    public static func make(from source: Dataset, options: BiasOptions) throws -> Dataset {
        try options.validate()
        guard case .u8(let grey) = source.images else {
            throw DataError.badData("\(options.kind.rawValue) needs u8 pixel images (a stream as dd-fetch writes), "
                                    + "got normalised f32 images")
        }
        guard source.geometry.channels == 1 else {
            throw DataError.badData("\(options.kind.rawValue) needs grayscale (1-channel) images, got \(source.geometry) "
                                    + "(already coloured?)")
        }
        guard source.count > 0 else { throw DataError.badData("the input holds no images") }
        let colors = options.palette.colors
        let a = colors.count
        guard source.classCount <= a else {
            throw DataError.badData("\(source.classCount) classes but the \(options.palette.rawValue) palette has \(a) "
                                    + "colours (one bias-aligned colour per class)")
        }
        let kept = BiasAssignment.splitIndices(count: source.count, split: options.split, seed: options.seed)
        guard !kept.isEmpty else { throw DataError.badData("the \(options.split.rawValue) split of \(source.count) images is empty") }
        let labels = kept.map { source.labels[$0] }
        let values = BiasAssignment.assign(labels: labels, classCount: source.classCount, attributeCount: a,
                                           conflictingRatio: options.conflictingRatio, seed: options.seed)
        let plane = source.geometry.height * source.geometry.width
        let rgb = colorize(grey, plane: plane, kept: kept, values: values, colors: colors, options: options)
        let (mean, std) = normalization(grey: grey, sourceMean: source.mean, sourceStd: source.std, colors: colors,
                                        options: options)
        let sourceDigest = source.contentDigest ?? source.computeContentDigest()
        var provenance: [String: String] = [:]
        for (key, value) in source.provenance { provenance["source.\(key)"] = value }
        provenance["dataset"] = source.provenance["dataset"] ?? source.name
        provenance["source_name"] = source.name
        provenance["source_digest"] = sourceDigest
        provenance["bias.kind"] = options.kind.rawValue
        provenance["bias.palette"] = options.palette.rawValue
        provenance["bias.ratio"] = String(options.conflictingRatio)
        provenance["bias.jitter"] = String(options.jitter)
        provenance["bias.split"] = options.split.rawValue
        provenance["bias.seed"] = String(options.seed)
        provenance["bias.attributes"] = String(a)
        provenance["bias.groups"] = "label*\(a)+bias_label"
        provenance["normalization"] = options.kind == .colorDigit
            ? "colour-uniform moments from the source's mean/std and the palette"
            : "colour-uniform moments of the source pixels"
        let name = "\(source.name)-\(options.kind.rawValue)" + (options.split == .all ? "" : "/\(options.split.rawValue)")
        let result = Dataset(name: name, images: .u8(rgb),
                             geometry: ImageGeometry(channels: 3, height: source.geometry.height, width: source.geometry.width),
                             labels: labels, classNames: source.classNames, mean: mean, std: std,
                             groups: zip(labels, values).map { $0 * Int32(a) + $1 }, biasLabels: values,
                             provenance: provenance)
        try result.validate()
        return result.withContentDigest()
    }

    /// Grey values at or above this are the object under `color-background`; below it a pixel is blended
    /// towards the colour in proportion (d/ramp of grey, the rest colour).
    public static let backgroundRamp = 32

    /// Per image: one jitter vector n ~ N(0, σ²I₃) shared by all its pixels, colour = clamp(μ_b + n, 0, 1);
    /// a 256-entry table per channel then maps grey values to output bytes.
    static func colorize(_ grey: [UInt8], plane: Int, kept: [Int], values: [Int32], colors: [[Double]],
                         options: BiasOptions) -> [UInt8] {
        var rng = RandomGenerator(seed: BiasAssignment.derivedSeed(options.seed, stream: 3))
        var out = [UInt8](repeating: 0, count: kept.count * 3 * plane)
        var table = [UInt8](repeating: 0, count: 3 * 256)
        out.withUnsafeMutableBufferPointer { target in
            grey.withUnsafeBufferPointer { source in
                for (k, index) in kept.enumerated() {
                    let mu = colors[Int(values[k])]
                    for ch in 0..<3 {
                        let jitter = options.jitter > 0 ? options.jitter * rng.normal() : 0
                        let color = min(max(mu[ch] + jitter, 0), 1)
                        for d in 0..<256 {
                            switch options.kind {
                            case .colorDigit: table[ch * 256 + d] = UInt8((Double(d) * color).rounded())
                            case .colorBackground:
                                // Faint pixels fade into the colour, so scanner noise around the object
                                // does not show as dark specks; the object itself is kept exactly.
                                let a = min(Double(d) / Double(backgroundRamp), 1)
                                table[ch * 256 + d] = UInt8((a * Double(d) + (1 - a) * 255 * color).rounded())
                            }
                        }
                    }
                    let from = index * plane, to = k * 3 * plane
                    for ch in 0..<3 {
                        for p in 0..<plane { target[to + ch * plane + p] = table[ch * 256 + Int(source[from + p])] }
                    }
                }
            }
        }
        return out
    }

    /// Per-channel mean and std of the colour-uniform version of the source, so every ratio, split and the
    /// test set of one source share the same constants (dd-eval normalises each stream with its own).
    /// color-digit: x_ch = c_ch · x with c independent of x, so E = E[c]·E[x] and E[x_ch²] = E[c²]·E[x²],
    /// from the source stream's constants. color-background: the same moments for the blend of each grey
    /// value with the colour, weighted by the source's grey-value histogram.
    static func normalization(grey: [UInt8], sourceMean: [Float], sourceStd: [Float], colors: [[Double]],
                              options: BiasOptions) -> (mean: [Float], std: [Float]) {
        let a = Double(colors.count), s2 = options.jitter * options.jitter
        let colorMean = (0..<3).map { ch in colors.reduce(0) { $0 + $1[ch] } / a }
        let colorSquare = (0..<3).map { ch in colors.reduce(0) { $0 + $1[ch] * $1[ch] } / a + s2 }
        var mean: [Double] = [], square: [Double] = []
        switch options.kind {
        case .colorDigit:
            let m = Double(sourceMean.first ?? 0), s = Double(sourceStd.first ?? 0)
            mean = colorMean.map { $0 * m }
            square = colorSquare.map { $0 * (s * s + m * m) }
        case .colorBackground:
            var histogram = [Int](repeating: 0, count: 256)
            for d in grey { histogram[Int(d)] += 1 }
            let total = Double(grey.count)
            mean = [0, 0, 0]; square = [0, 0, 0]
            for d in 0..<256 where histogram[d] > 0 {
                // x = a·g + (1 − a)·c with g = d/255: E[x] and E[x²] over the palette's c.
                let a = min(Double(d) / Double(backgroundRamp), 1), g = Double(d) / 255, w = Double(histogram[d]) / total
                for ch in 0..<3 {
                    mean[ch] += w * (a * g + (1 - a) * colorMean[ch])
                    square[ch] += w * (a * a * g * g + 2 * a * (1 - a) * g * colorMean[ch] + (1 - a) * (1 - a) * colorSquare[ch])
                }
            }
        }
        let std = zip(mean, square).map { max($1 - $0 * $0, 1e-12).squareRoot() }
        // Four decimals, like the published constants: readable metadata, same value on every platform.
        func round4(_ x: Double) -> Float { Float((x * 10_000).rounded() / 10_000) }
        return (mean.map(round4), std.map { max(round4($0), 1e-4) })
    }
}

extension BiasedDataset {
    /// The part of any dataset that `split` keeps (the same images `make` colours for that split and seed).
    public static func select(_ dataset: Dataset, split: BiasSplit, seed: UInt64) throws -> Dataset {
        guard split != .all else { return dataset }
        let kept = BiasAssignment.splitIndices(count: dataset.count, split: split, seed: seed)
        guard !kept.isEmpty else { throw DataError.badData("the \(split.rawValue) split of \(dataset.count) images is empty") }
        var result = try dataset.subset(indices: kept)
        result.name = dataset.name + "/" + split.rawValue
        result.provenance["bias.split"] = split.rawValue
        result.provenance["bias.seed"] = String(seed)
        return result.withContentDigest()
    }
}
