import DDTensor

/// Image side lengths a draw is made for (crop shifts and cutout sizes depend on them).
public struct DSAGeometry: Sendable, Equatable, Codable {
    public let height: Int
    public let width: Int

    public init(height: Int, width: Int) {
        self.height = height; self.width = width
    }
}

/// Who shares one set of numbers.
/// - `siamese`: one value per parameter, applied identically to every image of any batch (the real batch and
///   the synthetic batch of a class, whose sizes differ).
/// - `perSample(n)`: independent values for each of the n images (training networks); only a batch of
///   exactly n images can take it.
public enum DSASampling: Sendable, Equatable, Codable {
    case siamese
    case perSample(Int)
}

/// One differentiable transform with its drawn numbers: each array holds one value (Siamese) or one per
/// sample. Applying it never draws randomness, so a kept value replays the exact same augmentation.
public enum DSATransform: Sendable, Equatable, Codable {
    /// x + shift.
    case brightness(shift: [Double])
    /// (x − m)·factor + m with m the per-pixel mean over channels (identity for one channel).
    case saturation(factor: [Double])
    /// (x − m)·factor + m with m the per-sample mean over C, H, W.
    case contrast(factor: [Double])
    /// Integer translation: output(i, j) = input(i + rows, j + columns), 0 outside the image.
    case crop(rows: [Int], columns: [Int])
    /// Zeroes rows centreRow − height/2 ..< centreRow − height/2 + height and the same for columns,
    /// clipped to the image (height/2 rounds down).
    case cutout(centreRows: [Int], centreColumns: [Int], height: Int, width: Int)
    /// Horizontal mirror (along W) where true.
    case flip([Bool])
    /// Affine θ = [[x, 0, 0], [0, y, 0]], bilinear sampling with zero fill (x > 1 shrinks the content).
    case scale(x: [Double], y: [Double])
    /// Affine θ = [[cos a, −sin a, 0], [sin a, cos a, 0]] about the centre, bilinear, zero fill.
    case rotate(radians: [Double])

    /// How many values each array of this transform holds.
    public var valueCount: Int {
        switch self {
        case let .brightness(v), let .saturation(v), let .contrast(v), let .rotate(v): return v.count
        case let .crop(rows, _): return rows.count
        case let .cutout(rows, _, _, _): return rows.count
        case let .flip(v): return v.count
        case let .scale(x, _): return x.count
        }
    }

    /// True when every parameter array has the same length and every number is in the range a draw can
    /// produce for `geometry` (loosely: a decoded value from disk must not be able to trap or overflow).
    func isValid(for geometry: DSAGeometry) -> Bool {
        let (h, w) = (geometry.height, geometry.width)
        func finite(_ v: [Double]) -> Bool { v.allSatisfy(\.isFinite) }
        switch self {
        case let .brightness(v), let .saturation(v), let .contrast(v), let .rotate(v): return finite(v)
        case let .crop(rows, columns):
            return rows.count == columns.count && rows.allSatisfy { (-h...h).contains($0) }
                && columns.allSatisfy { (-w...w).contains($0) }
        case let .cutout(rows, columns, height, width):
            return rows.count == columns.count && (0...h).contains(height) && (0...w).contains(width)
                && rows.allSatisfy { (0...h).contains($0) } && columns.allSatisfy { (0...w).contains($0) }
        case .flip: return true
        case let .scale(x, y): return x.count == y.count && finite(x) && finite(y)
        }
    }
}

/// A parameter draw: which families were chosen and the numbers of every transform, as a plain value
/// (Equatable, Codable) that can be kept and applied again (TESLA's second pass).
public struct DSAParams: Sendable, Equatable, Codable {
    /// The families drawn, in application order (one in mode 'S', all in mode 'M', none for `none`).
    public let families: [DSAFamily]
    /// The transforms applied in order (color expands to brightness, saturation, contrast).
    public let transforms: [DSATransform]
    public let sampling: DSASampling
    public let geometry: DSAGeometry

    /// Builds a draw from explicit values (fixed-parameter tests, replays from disk). Each transform must
    /// hold 1 value per parameter for `.siamese` and n for `.perSample(n)`.
    public init(families: [DSAFamily], transforms: [DSATransform], sampling: DSASampling, geometry: DSAGeometry) {
        self.families = families; self.transforms = transforms; self.sampling = sampling; self.geometry = geometry
    }

    /// Whether the value is applicable: array lengths matching `sampling`, numbers in range, positive geometry.
    public var isValid: Bool {
        let expected: Int
        switch sampling {
        case .siamese: expected = 1
        case let .perSample(n): expected = n
        }
        return geometry.height > 0 && geometry.width > 0 && expected > 0
            && transforms.allSatisfy { $0.isValid(for: geometry) && $0.valueCount == expected }
    }

    private enum CodingKeys: String, CodingKey { case families, transforms, sampling, geometry }

    /// Decoding validates, so a replayed draw read from a file cannot trap `DSA.apply`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(families: try container.decode([DSAFamily].self, forKey: .families),
                  transforms: try container.decode([DSATransform].self, forKey: .transforms),
                  sampling: try container.decode(DSASampling.self, forKey: .sampling),
                  geometry: try container.decode(DSAGeometry.self, forKey: .geometry))
        guard isValid else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "inconsistent or out-of-range DSA parameters"))
        }
    }
}

/// Drawing and applying DSA transforms.
public enum DSA {
    /// Draws the parameters of one augmentation call from `rng`.
    /// - mode 'S' picks one family of `strategy` uniformly; 'M' draws every family in order.
    /// - `batch: .siamese` draws one value per parameter (shared by every image of any batch);
    ///   `.perSample(n)` draws n independent values per parameter.
    /// The stream consumed is fixed by (strategy, batch, mode, geometry), so equal seeds give equal draws.
    public static func draw(strategy: DSAStrategy, batch: DSASampling, geometry: DSAGeometry,
                            mode: DSAMode = .single, constants: DSAConstants = .reference,
                            rng: inout RandomGenerator) -> DSAParams {
        precondition(geometry.height > 0 && geometry.width > 0, "DSA geometry needs positive sides, got \(geometry)")
        precondition((0...1).contains(constants.cropPadRatio) && (0...1).contains(constants.cutoutRatio)
                     && constants.scaleRatio >= 1, "DSA constants out of range: \(constants)")
        let n: Int
        switch batch {
        case .siamese: n = 1
        case let .perSample(count):
            precondition(count > 0, "DSA per-sample draw needs a positive batch size, got \(count)")
            n = count
        }
        var families: [DSAFamily] = []
        if !strategy.isNone {
            switch mode {
            case .single: families = [strategy.families[rng.int(below: strategy.families.count)]]
            case .multiple: families = strategy.families
            }
        }
        var transforms: [DSATransform] = []
        for family in families {
            transforms += drawFamily(family, count: n, geometry: geometry, constants: constants, rng: &rng)
        }
        return DSAParams(families: families, transforms: transforms, sampling: batch, geometry: geometry)
    }

    static func drawFamily(_ family: DSAFamily, count n: Int, geometry: DSAGeometry, constants c: DSAConstants,
                           rng: inout RandomGenerator) -> [DSATransform] {
        func uniforms() -> [Double] { (0..<n).map { _ in rng.uniform() } }
        func integers(from low: Int, through high: Int) -> [Int] {
            (0..<n).map { _ in low + rng.int(below: high - low + 1) }
        }
        switch family {
        case .color:
            let shift = uniforms().map { ($0 - 0.5) * c.brightness }
            let saturation = uniforms().map { $0 * c.saturation }
            let contrast = uniforms().map { $0 + c.contrast }
            return [.brightness(shift: shift), .saturation(factor: saturation), .contrast(factor: contrast)]
        case .crop:
            let maxRow = DSAConstants.pixels(geometry.height, c.cropPadRatio)
            let maxColumn = DSAConstants.pixels(geometry.width, c.cropPadRatio)
            let rows = integers(from: -maxRow, through: maxRow)
            let columns = integers(from: -maxColumn, through: maxColumn)
            return [.crop(rows: rows, columns: columns)]
        case .cutout:
            let h = DSAConstants.pixels(geometry.height, c.cutoutRatio)
            let w = DSAConstants.pixels(geometry.width, c.cutoutRatio)
            // Centres in 0...H for an even side (the square may hang half outside), 0..<H for an odd one.
            let rows = integers(from: 0, through: geometry.height - h % 2)
            let columns = integers(from: 0, through: geometry.width - w % 2)
            return [.cutout(centreRows: rows, centreColumns: columns, height: h, width: w)]
        case .flip:
            return [.flip(uniforms().map { $0 < c.flipProbability })]
        case .scale:
            let low = 1 / c.scaleRatio, span = c.scaleRatio - 1 / c.scaleRatio
            let x = uniforms().map { low + span * $0 }
            let y = uniforms().map { low + span * $0 }
            return [.scale(x: x, y: y)]
        case .rotate:
            let maxRadians = c.rotateDegrees / 180 * Double.pi
            return [.rotate(radians: uniforms().map { ($0 - 0.5) * 2 * maxRadians })]
        }
    }
}
