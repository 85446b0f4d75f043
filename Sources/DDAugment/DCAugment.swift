import DDAutograd
import DDTensor
import Foundation

/// DC's augmentation for training evaluation networks (reference/protocols.md §3.2, `get_daparam` /
/// `augment`): one operation drawn uniformly per image from the strategy. Unlike DSA it is not
/// differentiable and never touches a distillation graph; DC evaluates MNIST sets with `crop_scale_rotate`.
public enum DCAugmentOp: String, CaseIterable, Sendable, Equatable, Codable {
    case crop, scale, rotate, noise
}

/// An ordered list of DC operations, parsed from the reference's underscore-joined strings.
public struct DCAugmentStrategy: Sendable, Equatable, Codable, CustomStringConvertible {
    public let ops: [DCAugmentOp]

    public init(ops: [DCAugmentOp]) { self.ops = ops }

    /// Parses `crop_scale_rotate`, any subset of crop/scale/rotate/noise, or `none`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty || trimmed.lowercased() == "none" { ops = []; return }
        var parsed: [DCAugmentOp] = []
        for token in trimmed.split(separator: "_", omittingEmptySubsequences: false) {
            guard let op = DCAugmentOp(rawValue: String(token)) else {
                let known = DCAugmentOp.allCases.map(\.rawValue).joined(separator: ", ")
                throw DCAugmentError("unknown DC augmentation '\(token)' in '\(trimmed)'; known: \(known); or 'none'")
            }
            if parsed.contains(op) { throw DCAugmentError("DC augmentation '\(op.rawValue)' appears twice in '\(trimmed)'") }
            parsed.append(op)
        }
        ops = parsed
    }

    public static let none = DCAugmentStrategy(ops: [])
    public static let cropScaleRotate = DCAugmentStrategy(ops: [.crop, .scale, .rotate])

    /// `get_daparam`: MNIST itself gets crop_scale_rotate, every other dataset none (a split after "/" is
    /// ignored; unlike DSA's rule, derived digit datasets are not MNIST).
    public static func defaultStrategy(forDataset name: String) -> DCAugmentStrategy {
        let base = name.lowercased().split(separator: "/", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return base.filter { $0.isLetter || $0.isNumber } == "mnist" ? .cropScaleRotate : .none
    }

    public var isNone: Bool { ops.isEmpty }
    public var description: String { isNone ? "none" : ops.map(\.rawValue).joined(separator: "_") }
}

public struct DCAugmentError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `get_daparam`'s magnitudes.
public struct DCAugmentConstants: Sendable, Equatable, Codable {
    /// Crop pads this many pixels on every side and shifts by 0…2·pad.
    public var cropPad: Int
    /// Scale factors uniform in [1 − scale, 1 + scale), independently for height and width.
    public var scale: Double
    /// Integer angles in [−rotate, rotate).
    public var rotate: Int
    /// Standard deviation of the additive Gaussian noise.
    public var noise: Double

    public static let reference = DCAugmentConstants(cropPad: 4, scale: 0.2, rotate: 45, noise: 0.001)

    public init(cropPad: Int, scale: Double, rotate: Int, noise: Double) {
        self.cropPad = cropPad; self.scale = scale; self.rotate = rotate; self.noise = noise
    }
}

public enum DCAugment {
    /// Augments images [N, C, H, W] (normalised space): per image one op of `strategy`, drawn uniformly.
    /// Crop pads with the batch's per-channel means and rotate fills with the mean of those means, both
    /// computed once per call as in the reference. The result carries no gradient.
    public static func augment(_ images: Tensor, strategy: DCAugmentStrategy,
                               constants: DCAugmentConstants = .reference, rng: inout RandomGenerator) -> Tensor {
        if strategy.isNone { return images }
        precondition(images.rank == 4, "DC augmentation needs N×C×H×W images, got shape \(images.shape)")
        let n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3]
        var x = images.array.doubles
        let plane = h * w, sample = c * plane
        var channelMeans = [Double](repeating: 0, count: c)
        for s in 0..<n { for ch in 0..<c { for p in 0..<plane { channelMeans[ch] += x[s * sample + ch * plane + p] } } }
        for ch in 0..<c { channelMeans[ch] /= Double(max(n * plane, 1)) }
        let rotateFill = channelMeans.reduce(0, +) / Double(max(c, 1))
        // Replaces every channel plane of sample s by transform(plane, channel).
        func eachPlane(of s: Int, _ transform: ([Double], Int) -> [Double]) {
            for ch in 0..<c {
                let base = s * sample + ch * plane
                x.replaceSubrange(base..<(base + plane), with: transform(Array(x[base..<(base + plane)]), ch))
            }
        }
        for s in 0..<n {
            switch strategy.ops[rng.int(below: strategy.ops.count)] {
            case .crop:
                let span = 2 * constants.cropPad
                let r = rng.int(below: span), col = rng.int(below: span)
                eachPlane(of: s) { cropped($0, height: h, width: w, pad: constants.cropPad, rowOffset: r, columnOffset: col,
                                           fill: channelMeans[$1]) }
            case .scale:
                let sh = Int(rng.uniform(1 - constants.scale, 1 + constants.scale) * Double(h))
                let sw = Int(rng.uniform(1 - constants.scale, 1 + constants.scale) * Double(h))
                eachPlane(of: s) { plane, _ in scaled(plane, height: h, width: w, toHeight: max(sh, 1), toWidth: max(sw, 1)) }
            case .rotate:
                let degrees = Double(rng.int(below: 2 * constants.rotate) - constants.rotate)
                eachPlane(of: s) { plane, _ in rotated(plane, height: h, width: w, degrees: degrees, fill: rotateFill) }
            case .noise:
                for i in (s * sample)..<((s + 1) * sample) { x[i] += constants.noise * rng.normal() }
            }
        }
        return Tensor(NDArray(shape: images.shape, doubles: x).converted(to: images.dtype))
    }

    /// Pads `pad` pixels of `fill` on every side, then takes the H×W window at (rowOffset, columnOffset):
    /// out(i, j) = in(i + rowOffset − pad, j + columnOffset − pad).
    static func cropped(_ image: [Double], height h: Int, width w: Int, pad: Int, rowOffset: Int, columnOffset: Int,
                        fill: Double) -> [Double] {
        var out = [Double](repeating: fill, count: h * w)
        for i in 0..<h {
            let si = i + rowOffset - pad
            guard si >= 0, si < h else { continue }
            for j in 0..<w {
                let sj = j + columnOffset - pad
                if sj >= 0, sj < w { out[i * w + j] = image[si * w + sj] }
            }
        }
        return out
    }

    /// Nearest-neighbour resize to toHeight×toWidth (source index floor(dst · in / out)), pasted centred on a
    /// zero canvas of side max(toHeight, toWidth, H, W), then the centred H×W crop.
    static func scaled(_ image: [Double], height h: Int, width w: Int, toHeight sh: Int, toWidth sw: Int) -> [Double] {
        let side = max(sh, sw, h, w)
        let pasteRow = (side - sh) / 2, pasteColumn = (side - sw) / 2
        let cropRow = (side - h) / 2, cropColumn = (side - w) / 2
        var out = [Double](repeating: 0, count: h * w)
        for i in 0..<h {
            let ri = i + cropRow - pasteRow  // row in the resized image
            guard ri >= 0, ri < sh else { continue }
            let si = min(Int(Double(ri) * Double(h) / Double(sh)), h - 1)
            for j in 0..<w {
                let rj = j + cropColumn - pasteColumn
                guard rj >= 0, rj < sw else { continue }
                out[i * w + j] = image[si * w + min(Int(Double(rj) * Double(w) / Double(sw)), w - 1)]
            }
        }
        return out
    }

    /// scipy.ndimage.rotate(reshape = true, order 3, mode 'constant', cval = fill) followed by the centred
    /// H×W crop: the output plane is the rotated bounding box, sampled through a cubic B-spline whose
    /// coefficients come from a mirror-boundary prefilter; points outside the input get `fill`.
    static func rotated(_ image: [Double], height h: Int, width w: Int, degrees: Double, fill: Double) -> [Double] {
        let angle = degrees * .pi / 180, cosA = cos(angle), sinA = sin(angle)
        // Bounding box of the rotated corners (0,0), (0,W), (H,0), (H,W), rounded as scipy does.
        let ys = [0, 0, Double(h), Double(h)], xs = [0, Double(w), 0, Double(w)]
        let by = zip(ys, xs).map { cosA * $0 + sinA * $1 }, bx = zip(ys, xs).map { -sinA * $0 + cosA * $1 }
        let outH = Int(by.max()! - by.min()! + 0.5), outW = Int(bx.max()! - bx.min()! + 0.5)
        let outCenterY = Double(outH - 1) / 2, outCenterX = Double(outW - 1) / 2
        let inCenterY = Double(h - 1) / 2, inCenterX = Double(w - 1) / 2
        let cropRow = (outH - h) / 2, cropColumn = (outW - w) / 2
        let coefficients = BSpline.coefficients(image, height: h, width: w)
        let tolerance = 1e-9  // cos 90° is not exactly 0: edge pixels land a hair outside
        var out = [Double](repeating: fill, count: h * w)
        for i in 0..<h {
            let dy = Double(i + cropRow) - outCenterY
            for j in 0..<w {
                let dx = Double(j + cropColumn) - outCenterX
                let y = cosA * dy + sinA * dx + inCenterY, x = -sinA * dy + cosA * dx + inCenterX
                guard y >= -tolerance, y <= Double(h - 1) + tolerance, x >= -tolerance, x <= Double(w - 1) + tolerance
                else { continue }
                out[i * w + j] = BSpline.value(coefficients, height: h, width: w, y: y, x: x)
            }
        }
        return out
    }
}

/// Cubic B-spline interpolation on a mirror-extended grid (whole-sample symmetry: index −k is k).
enum BSpline {
    static let pole = sqrt(3.0) - 2

    /// Interpolation coefficients: the separable prefilter along rows, then columns.
    static func coefficients(_ image: [Double], height h: Int, width w: Int) -> [Double] {
        var c = image
        var line = [Double](repeating: 0, count: max(h, w))
        for i in 0..<h {
            for j in 0..<w { line[j] = c[i * w + j] }
            prefilter(&line, count: w)
            for j in 0..<w { c[i * w + j] = line[j] }
        }
        for j in 0..<w {
            for i in 0..<h { line[i] = c[i * w + j] }
            prefilter(&line, count: h)
            for i in 0..<h { c[i * w + j] = line[i] }
        }
        return c
    }

    /// In-place recursive prefilter of the first `n` values (gain 6, causal then anti-causal pass).
    static func prefilter(_ s: inout [Double], count n: Int) {
        guard n > 1 else { return }
        let z = pole
        for k in 0..<n { s[k] *= 6 }
        // Causal initialisation: the mirrored sum, truncated where z^k is below double precision.
        var sum = 0.0, zk = 1.0
        for k in 0..<(2 * n - 2) {
            let m = k < n ? k : 2 * (n - 1) - k
            sum += zk * s[m]; zk *= z
            if abs(zk) < 1e-17 { break }
        }
        s[0] = abs(zk) < 1e-17 ? sum : sum / (1 - pow(z, Double(2 * n - 2)))
        for k in 1..<n { s[k] += z * s[k - 1] }
        s[n - 1] = z / (z * z - 1) * (s[n - 1] + z * s[n - 2])
        for k in stride(from: n - 2, through: 0, by: -1) { s[k] = z * (s[k + 1] - s[k]) }
    }

    static func mirror(_ k: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var m = k % period
        if m < 0 { m += period }
        return m < n ? m : period - m
    }

    static func weights(_ t: Double) -> (Double, Double, Double, Double) {
        let t2 = t * t, t3 = t2 * t
        return ((1 - t) * (1 - t) * (1 - t) / 6, (3 * t3 - 6 * t2 + 4) / 6, (-3 * t3 + 3 * t2 + 3 * t + 1) / 6, t3 / 6)
    }

    static func value(_ c: [Double], height h: Int, width w: Int, y: Double, x: Double) -> Double {
        let fy = floor(y), fx = floor(x)
        let wy = weights(y - fy), wx = weights(x - fx)
        let iy = Int(fy) - 1, ix = Int(fx) - 1
        func row(_ a: Int) -> Double {
            let r = mirror(iy + a, h) * w
            return wx.0 * c[r + mirror(ix, w)] + wx.1 * c[r + mirror(ix + 1, w)] + wx.2 * c[r + mirror(ix + 2, w)]
                + wx.3 * c[r + mirror(ix + 3, w)]
        }
        return wy.0 * row(0) + wy.1 * row(1) + wy.2 * row(2) + wy.3 * row(3)
    }
}
