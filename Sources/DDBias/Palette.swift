/// The colour sets a bias attribute is drawn from. Colour k is the bias-aligned colour of class k, so
/// the attribute index b of a sample is "its colour" and b == label means bias-aligned (docs/bias.md).
public enum BiasPalette: String, CaseIterable, Sendable {
    /// LfF's ten mean colours (`alinlab/LfF data/resource/colors.th`, reference/protocols.md §4.1).
    case lff
    /// ReBias / FairDD's fixed colour map (reference/protocols.md §4.2), 0–255 values over 255.
    case rebias

    /// RGB in [0, 1], one row per attribute value.
    public var colors: [[Double]] {
        switch self {
        case .lff:
            return [
                [0.9837, 0.3125, 0.1686], [0.9905, 0.9156, 0.3515], [0.6730, 0.4611, 0.5798],
                [0.7833, 0.8316, 0.6013], [0.0880, 0.7780, 0.9818], [0.3214, 0.9611, 0.4464],
                [0.0246, 0.2357, 0.7587], [0.5552, 0.1016, 0.7618], [0.2077, 0.3929, 0.0187],
                [0.8337, 0.2024, 0.2669],
            ]
        case .rebias:
            let bytes: [[Double]] = [
                [255, 0, 0], [255, 128, 0], [255, 255, 0], [255, 255, 128], [0, 255, 0],
                [0, 255, 255], [0, 0, 255], [128, 0, 255], [255, 0, 255], [255, 255, 255],
            ]
            return bytes.map { $0.map { $0 / 255 } }
        }
    }

    /// Number of attribute values A; groups are class·A + b.
    public var count: Int { colors.count }

    public static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Where the colour goes.
public enum ColoringKind: String, CaseIterable, Sendable {
    /// Digit strokes: channel = clamp(colour + jitter) × pixel intensity; the background stays black
    /// (LfF's Colored MNIST).
    case colorDigit = "color-digit"
    /// Background: pixels of intensity 0 take the colour, pixels of intensity ≥ 32 (the object) keep their
    /// grey value, faint ones in between are blended (background-coloured Fashion-MNIST).
    case colorBackground = "color-background"

    public static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Which part of the input to keep: the founding document's split draws 45,000 training and 5,000
/// validation images from MNIST's 60,000 (seed 000; reference/protocols.md §4.3).
public enum BiasSplit: String, CaseIterable, Sendable {
    case all, train, val

    public static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
