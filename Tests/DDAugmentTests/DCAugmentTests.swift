import DDAutograd
import DDTensor
import Foundation
import Testing
@testable import DDAugment

@Suite struct DCAugmentTests {
    static func ramp(_ h: Int, _ w: Int) -> [Double] { (0..<(h * w)).map { Double($0 / w) * 0.3 - Double($0 % w) * 0.1 + 1 } }

    @Test func strategiesParseAndFollowTheDataset() throws {
        #expect(try DCAugmentStrategy(parsing: "crop_scale_rotate") == .cropScaleRotate)
        #expect(try DCAugmentStrategy(parsing: "None").isNone)
        #expect(throws: DCAugmentError.self) { try DCAugmentStrategy(parsing: "crop_flip") }
        #expect(throws: DCAugmentError.self) { try DCAugmentStrategy(parsing: "crop_crop") }
        #expect(DCAugmentStrategy.defaultStrategy(forDataset: "MNIST/train") == .cropScaleRotate)
        #expect(DCAugmentStrategy.defaultStrategy(forDataset: "fashion-mnist").isNone)
        #expect(DCAugmentStrategy.defaultStrategy(forDataset: "mnist-color-digit").isNone)
    }

    /// out(i, j) = in(i + r − pad, j + c − pad), the padding filled with the given mean.
    @Test func cropShiftsAndPadsWithTheFill() {
        let image = Self.ramp(6, 5)
        let out = DCAugment.cropped(image, height: 6, width: 5, pad: 2, rowOffset: 3, columnOffset: 0, fill: -7)
        for i in 0..<6 {
            for j in 0..<5 {
                let si = i + 1, sj = j - 2
                let expected = (si < 6 && sj >= 0) ? image[si * 5 + sj] : -7
                #expect(out[i * 5 + j] == expected)
            }
        }
    }

    @Test func scaleOneIsTheIdentityAndLargerScalesMagnify() {
        let image = Self.ramp(8, 8)
        #expect(DCAugment.scaled(image, height: 8, width: 8, toHeight: 8, toWidth: 8) == image)
        // 16×16 nearest-neighbour upscale, centre crop rows/cols 4…11 → source pixels 2…5.
        let big = DCAugment.scaled(image, height: 8, width: 8, toHeight: 16, toWidth: 16)
        #expect(big[0] == image[2 * 8 + 2] && big[1] == image[2 * 8 + 2] && big[2] == image[2 * 8 + 3])
        // Shrinking pastes onto a zero canvas: the border is 0.
        let small = DCAugment.scaled(image, height: 8, width: 8, toHeight: 6, toWidth: 6)
        #expect(small[0] == 0 && small[9] == image[0])
    }

    /// The cubic B-spline interpolates: angle 0 returns the image, 90° is an exact quarter turn.
    @Test func rotationInterpolatesTheSamples() {
        let h = 7, image = (0..<(h * h)).map { _ in Double.random(in: -1...1) }
        let same = DCAugment.rotated(image, height: h, width: h, degrees: 0, fill: 5)
        for k in 0..<(h * h) { #expect(abs(same[k] - image[k]) < 1e-12) }
        let quarter = DCAugment.rotated(image, height: h, width: h, degrees: 90, fill: 5)
        for i in 0..<h { for j in 0..<h { #expect(abs(quarter[i * h + j] - image[j * h + (h - 1 - i)]) < 1e-12) } }
    }

    /// Cubic splines reproduce a linear function away from the mirrored border; corners rotated in from
    /// outside the input get the fill.
    @Test func rotationOfARampIsTheRotatedRamp() {
        let h = 28, image = Self.ramp(h, h), angle = 30.0 * .pi / 180
        let out = DCAugment.rotated(image, height: h, width: h, degrees: 30, fill: -9)
        let centre = Double(h - 1) / 2
        var interior = 0
        for i in 0..<h {
            for j in 0..<h {
                let dy = Double(i) - centre, dx = Double(j) - centre
                let y = cos(angle) * dy + sin(angle) * dx + centre, x = -sin(angle) * dy + cos(angle) * dx + centre
                if y < 0 || x < 0 || y > Double(h - 1) || x > Double(h - 1) {
                    #expect(out[i * h + j] == -9)
                } else if min(y, x) > 8, max(y, x) < Double(h - 9) {
                    #expect(abs(out[i * h + j] - (y * 0.3 - x * 0.1 + 1)) < 1e-3)
                    interior += 1
                }
            }
        }
        #expect(interior > 50 && out[0] == -9)
    }

    @Test func augmentIsSeededAndKeepsShapeAndDType() {
        var source = RandomGenerator(seed: 3)
        let images = Tensor(NDArray.normal([6, 2, 10, 10], rng: &source))
        var a = RandomGenerator(seed: 11), b = RandomGenerator(seed: 11), c = RandomGenerator(seed: 12)
        let x = DCAugment.augment(images, strategy: .cropScaleRotate, rng: &a)
        let y = DCAugment.augment(images, strategy: .cropScaleRotate, rng: &b)
        let z = DCAugment.augment(images, strategy: .cropScaleRotate, rng: &c)
        #expect(x.shape == images.shape && x.dtype == images.dtype)
        #expect(x.scalars == y.scalars && x.scalars != z.scalars && x.scalars != images.scalars)
        var n = RandomGenerator(seed: 1)
        let noisy = DCAugment.augment(images, strategy: DCAugmentStrategy(ops: [.noise]), rng: &n)
        let diffs = zip(noisy.doubles, images.doubles).map { $0 - $1 }
        let std = sqrt(diffs.map { $0 * $0 }.reduce(0, +) / Double(diffs.count))
        #expect(std > 0.0008 && std < 0.0012)
        var none = RandomGenerator(seed: 1)
        #expect(DCAugment.augment(images, strategy: .none, rng: &none).scalars == images.scalars)
    }
}

/// DC's rotate against scipy.ndimage.rotate itself (golden/dc_rotate.py, output committed as dc_rotate.txt).
@Test func rotationMatchesScipy() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("golden/dc_rotate.txt")
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    let h = 11, w = 13
    let image = (0..<(h * w)).map { k -> Double in
        let i = k / w, j = k % w
        return sin(0.7 * Double(i) + 0.3 * Double(j)) + 0.1 * Double((7 * i + 3 * j) % 5)
    }
    #expect(lines.count == 6)
    for line in lines {
        let fields = line.split(separator: " ").map { Double(String($0)) }
        let angle = try #require(fields.first ?? nil), expected = fields.dropFirst().compactMap { $0 }
        #expect(expected.count == h * w)
        let out = DCAugment.rotated(image, height: h, width: w, degrees: angle, fill: 0.25)
        let worst = zip(out, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-9, "rotate \(angle)°: max |Δ| \(worst)")
    }
}
