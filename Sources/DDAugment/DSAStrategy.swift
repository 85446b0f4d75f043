/// Differentiable Siamese Augmentation (Zhao & Bilen 2021): strategy strings, families and constants.
/// Constants and definitions follow the reference `ParamDiffAug` / `DiffAugment`
/// (shared/reference/protocols.md §2).

/// A family of transforms that a strategy string names; `color` stands for brightness, then saturation,
/// then contrast, each with its own random factor.
public enum DSAFamily: String, CaseIterable, Sendable, Equatable, Codable {
    case color, crop, cutout, flip, scale, rotate
}

/// How many families one call applies: 'S' draws one family uniformly per call (the reference default),
/// 'M' applies every family of the strategy in order.
public enum DSAMode: String, Sendable, Equatable, Codable {
    case single = "S"
    case multiple = "M"
}

/// A clear error for strategy strings that do not parse.
public enum DSAStrategyError: Error, Equatable, CustomStringConvertible {
    case empty
    case unknownFamily(String, strategy: String)
    case duplicateFamily(String, strategy: String)

    public var description: String {
        let known = DSAFamily.allCases.map(\.rawValue).joined(separator: ", ")
        switch self {
        case .empty:
            return "empty DSA strategy: join families with '_' (e.g. color_crop_cutout_flip_scale_rotate) or use 'none'"
        case let .unknownFamily(name, strategy):
            return "unknown DSA family '\(name)' in strategy '\(strategy)'; known families: \(known); or 'none'"
        case let .duplicateFamily(name, strategy):
            return "DSA family '\(name)' appears twice in strategy '\(strategy)'"
        }
    }
}

/// An ordered list of families, parsed from the reference's underscore-joined strings.
public struct DSAStrategy: Sendable, Equatable, Codable, CustomStringConvertible {
    public let families: [DSAFamily]

    public init(families: [DSAFamily]) { self.families = families }

    /// Parses `color_crop_cutout_flip_scale_rotate`, any subset or order of those names (e.g. the no-flip
    /// form `color_crop_cutout_scale_rotate`), or `none` (any case: no augmentation). Duplicates are
    /// rejected because in mode 'S' they would silently double a family's probability.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty { throw DSAStrategyError.empty }
        if trimmed.lowercased() == "none" { families = []; return }
        var parsed: [DSAFamily] = []
        for token in trimmed.split(separator: "_", omittingEmptySubsequences: false) {
            guard let family = DSAFamily(rawValue: String(token)) else {
                throw DSAStrategyError.unknownFamily(String(token), strategy: trimmed)
            }
            if parsed.contains(family) { throw DSAStrategyError.duplicateFamily(family.rawValue, strategy: trimmed) }
            parsed.append(family)
        }
        families = parsed
    }

    public static let none = DSAStrategy(families: [])
    /// CIFAR-10/100 and FashionMNIST in the DSA readme; the `main_DM.py` default.
    public static let full = DSAStrategy(families: [.color, .crop, .cutout, .flip, .scale, .rotate])
    /// MNIST and SVHN: "flip augmentation is not good for digit datasets".
    public static let noFlip = DSAStrategy(families: [.color, .crop, .cutout, .scale, .rotate])

    /// The reference's per-dataset choice: digit datasets drop flip, everything else keeps it.
    /// Names match case-insensitively, ignoring everything but letters and digits ("Fashion-MNIST" is
    /// "fashionmnist"); colored-MNIST variants are digits too, so they follow MNIST. A split after "/" and
    /// dd-bias's "-color-digit" / "-color-background" suffix are dropped first, so "mnist-color-digit/train"
    /// is MNIST.
    public static func defaultStrategy(forDataset name: String) -> DSAStrategy {
        var base = name.lowercased().split(separator: "/", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        // DDBias.ColoringKind's raw values: that module sits above this one, so they are spelled here.
        for suffix in ["-color-digit", "-color-background"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
        }
        let key = String(base.filter { $0.isLetter || $0.isNumber })
        let digitDatasets: Set<String> = ["mnist", "svhn", "cmnist", "coloredmnist", "colouredmnist", "colormnist"]
        return digitDatasets.contains(key) ? .noFlip : .full
    }

    public var isNone: Bool { families.isEmpty }

    /// The string form the parser accepts (`none` when empty).
    public var description: String { isNone ? "none" : families.map(\.rawValue).joined(separator: "_") }
}

/// Magnitudes of the random transforms (`ParamDiffAug`); `reference` holds the published values.
public struct DSAConstants: Sendable, Equatable, Codable {
    public var flipProbability: Double
    /// Scale factors are uniform in [1/ratio, ratio), independently per axis.
    public var scaleRatio: Double
    /// Rotation angles are uniform in [−degrees, +degrees).
    public var rotateDegrees: Double
    /// Maximum crop shift = int(size · ratio + 0.5) pixels, per axis.
    public var cropPadRatio: Double
    /// Cutout side = int(size · ratio + 0.5) pixels, per axis.
    public var cutoutRatio: Double
    /// Brightness adds (r − 0.5) · brightness.
    public var brightness: Double
    /// Saturation factor r · saturation.
    public var saturation: Double
    /// Contrast factor r + contrast.
    public var contrast: Double

    public static let reference = DSAConstants(
        flipProbability: 0.5, scaleRatio: 1.2, rotateDegrees: 15, cropPadRatio: 0.125, cutoutRatio: 0.5,
        brightness: 1.0, saturation: 2.0, contrast: 0.5)

    public init(flipProbability: Double, scaleRatio: Double, rotateDegrees: Double, cropPadRatio: Double,
                cutoutRatio: Double, brightness: Double, saturation: Double, contrast: Double) {
        self.flipProbability = flipProbability; self.scaleRatio = scaleRatio; self.rotateDegrees = rotateDegrees
        self.cropPadRatio = cropPadRatio; self.cutoutRatio = cutoutRatio
        self.brightness = brightness; self.saturation = saturation; self.contrast = contrast
    }

    /// int(size · ratio + 0.5): the reference's rounding of a fraction of an image side.
    static func pixels(_ size: Int, _ ratio: Double) -> Int { Int(Double(size) * ratio + 0.5) }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
