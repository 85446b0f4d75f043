import DDTestSupport
import DDAugment
import DDAutograd
import DDTensor
import Foundation
import Testing

/// Exact pixel checks on tiny hand-made images, identities, and the Siamese rule.
@Suite struct DSATransformTests {
    /// 1×1×H×W image with pixels 1, 2, 3, … in row-major order.
    static func counting(_ h: Int, _ w: Int) -> Tensor {
        Tensor(shape: [1, 1, h, w], doubles: (0..<(h * w)).map { Double($0 + 1) })
    }

    @Test func flipMirrorsColumnsOnlyWhereDrawn() {
        let two = Tensor.concat([Self.counting(2, 3), Self.counting(2, 3)], axis: 0)
        let out = DSATransform.flip([true, false]).apply(to: two).doubles
        #expect(out == [3, 2, 1, 6, 5, 4, 1, 2, 3, 4, 5, 6])
    }

    @Test func cropTranslatesWithZeroFill() {
        // output(i, j) = input(i + 1, j − 1): the content moves up one row and right one column.
        let out = DSATransform.crop(rows: [1], columns: [-1]).apply(to: Self.counting(3, 3)).doubles
        #expect(out == [0, 4, 5, 0, 7, 8, 0, 0, 0])
        // Shifts of the whole side leave nothing.
        let gone = DSATransform.crop(rows: [3], columns: [0]).apply(to: Self.counting(3, 3)).doubles
        #expect(gone.allSatisfy { $0 == 0 })
    }

    @Test func cutoutZeroesAClippedSquareInEveryChannel() {
        let image = Tensor.concat([Self.counting(4, 4), Self.counting(4, 4) * 10], axis: 1)
        // Even side 2 centred at (1, 1): rows 0–1, columns 0–1.
        let inside = DSATransform.cutout(centreRows: [1], centreColumns: [1], height: 2, width: 2).apply(to: image).doubles
        let keep: [Double] = [0, 0, 3, 4, 0, 0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
        #expect(inside == keep + keep.map { $0 * 10 })
        // Centre (4, 0), the largest centre a draw makes for an even side: rows 3–4 and columns −1–0, clipped.
        let edge = DSATransform.cutout(centreRows: [4], centreColumns: [0], height: 2, width: 2).apply(to: Self.counting(4, 4)).doubles
        #expect(edge == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 14, 15, 16])
        // Odd side 3 centred at (0, 2): rows −1…1 → 0–1, columns 1–3.
        let odd = DSATransform.cutout(centreRows: [0], centreColumns: [2], height: 3, width: 3).apply(to: Self.counting(4, 4)).doubles
        #expect(odd == [1, 0, 0, 0, 5, 0, 0, 0, 9, 10, 11, 12, 13, 14, 15, 16])
    }

    @Test(arguments: [DType.float64, DType.float32])
    func unitScaleAndZeroRotationAreIdentities(dtype: DType) {
        let images = Tensor(randomTensor([2, 3, 7, 5], seed: 3).array.converted(to: dtype))
        // With align_corners = true the identity grid lands exactly on pixel centres.
        let tolerance = dtype == .float64 ? 1e-12 : 1e-6
        for transform in [DSATransform.scale(x: [1, 1], y: [1, 1]), .rotate(radians: [0]), .saturation(factor: [1]),
                          .contrast(factor: [1]), .brightness(shift: [0]), .crop(rows: [0], columns: [0])] {
            let out = transform.apply(to: images)
            #expect(maxRelativeError(out.doubles, images.doubles) <= tolerance, "\(transform)")
        }
    }

    @Test func rotationTurnsAboutTheCentreInTheReferenceDirection() {
        // θ = [[cos a, −sin a], [sin a, cos a]] at a = 90°: output (x, y) reads input (−y, x), i.e. output
        // pixel (i, j) of a k×k image reads input (j, k−1−i): a quarter turn that keeps the centre pixel.
        let image = Self.counting(3, 3)
        let out = DSATransform.rotate(radians: [Double.pi / 2]).apply(to: image).doubles
        let expected: [Double] = [3, 6, 9, 2, 5, 8, 1, 4, 7]
        #expect(maxRelativeError(out, expected) < 1e-12)
    }

    @Test func scaleAboveOneShrinksContentWithZeroFill() {
        // x-scale 2 on a 1×5 row: output column j reads input at 2·(j − 2) + 2 (pixel units, centre fixed).
        let row = Tensor(shape: [1, 1, 1, 5], doubles: [1, 2, 3, 4, 5])
        let out = DSATransform.scale(x: [2], y: [1]).apply(to: row).doubles
        #expect(maxRelativeError(out, [0, 1, 3, 5, 0]) < 1e-12)
    }

    @Test func saturationIsTheIdentityForOneChannel() {
        let gray = randomTensor([3, 1, 4, 4], seed: 4)
        #expect(DSATransform.saturation(factor: [0.2, 1.9, 0]).apply(to: gray).doubles == gray.doubles)
        // With three channels a factor of 0 gives every channel the per-pixel channel mean.
        let colour = randomTensor([1, 3, 2, 2], seed: 5)
        let out = DSATransform.saturation(factor: [0]).apply(to: colour).doubles
        let v = colour.doubles
        for p in 0..<4 {
            let mean = (v[p] + v[4 + p] + v[8 + p]) / 3
            for c in 0..<3 { #expect(Swift.abs(out[c * 4 + p] - mean) < 1e-12) }
        }
    }

    @Test func contrastKeepsEachSampleMeanAndBrightnessShiftsIt() {
        let images = randomTensor([2, 3, 4, 4], seed: 6)
        let means = { (t: Tensor) in t.mean(axes: [1, 2, 3]).doubles }
        let contrasted = DSATransform.contrast(factor: [1.4, 0.6]).apply(to: images)
        #expect(maxRelativeError(means(contrasted), means(images)) < 1e-12)
        let brightened = DSATransform.brightness(shift: [0.25, -0.5]).apply(to: images)
        #expect(maxRelativeError(means(brightened), zip(means(images), [0.25, -0.5]).map { $0 + $1 }) < 1e-12)
    }

    /// The Siamese rule: one draw gives every image the identical transform, whatever the batch size.
    /// Image A alone-ish (batch [A, B]) and A repeated 5 times must come out identical image by image.
    @Test(arguments: DSAFamily.allCases)
    func siameseDrawTransformsEveryImageAlike(family: DSAFamily) {
        let a = randomTensor([1, 3, 28, 28], seed: 7), b = randomTensor([1, 3, 28, 28], seed: 8)
        let geometry = DSAGeometry(height: 28, width: 28)
        var rng = RandomGenerator(seed: 100 + UInt64(DSAFamily.allCases.firstIndex(of: family) ?? 0))
        // Several draws, so flip is seen both flipped and not.
        for _ in 0..<4 {
            let params = DSA.draw(strategy: DSAStrategy(families: [family]), batch: .siamese, geometry: geometry, rng: &rng)
            let small = DSA.apply(params, to: Tensor.concat([a, b], axis: 0))
            let large = DSA.apply(params, to: Tensor.concat(Array(repeating: a, count: 5), axis: 0))
            let reference = small.sliced(axis: 0, 0..<1).doubles
            for k in 0..<5 { #expect(large.sliced(axis: 0, k..<(k + 1)).doubles == reference) }
        }
    }

    /// Per-sample draws give different images different transforms: A repeated comes out varied.
    @Test func perSampleDrawTransformsImagesIndependently() {
        let a = randomTensor([1, 1, 28, 28], seed: 9)
        var rng = RandomGenerator(seed: 10)
        let params = DSA.draw(strategy: .noFlip, batch: .perSample(4), geometry: DSAGeometry(height: 28, width: 28),
                              mode: .multiple, rng: &rng)
        let out = DSA.apply(params, to: Tensor.concat(Array(repeating: a, count: 4), axis: 0))
        let images = (0..<4).map { out.sliced(axis: 0, $0..<($0 + 1)).doubles }
        for i in 0..<4 { for j in (i + 1)..<4 { #expect(images[i] != images[j]) } }
    }
}
