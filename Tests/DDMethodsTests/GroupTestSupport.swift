import DDData
import Foundation
import Testing
@testable import DDMethods

/// A small Colored-MNIST built from real MNIST t10k digits: the digit takes one of LfF's ten mean colours
/// (reference protocols.md §4.1, no jitter), the background stays black. Groups follow the shared
/// convention groups = class·10 + colour, bias_labels = colour (colour == class ⇒ bias-aligned).
enum ColoredDigits {
    static let palette: [[Float]] = [
        [0.9837, 0.3125, 0.1686], [0.9905, 0.9156, 0.3515], [0.6730, 0.4611, 0.5798], [0.7833, 0.8316, 0.6013],
        [0.0880, 0.7780, 0.9818], [0.3214, 0.9611, 0.4464], [0.0246, 0.2357, 0.7587], [0.5552, 0.1016, 0.7618],
        [0.2077, 0.3929, 0.0187], [0.8337, 0.2024, 0.2669],
    ]

    /// `perClass` digits of each of `classes` (relabelled 0..<K); in class k the last `conflicting` images
    /// take the colours k+1, …, k+`otherColours` (mod 10) in turn, the others colour k.
    static func make(classes: [Int], perClass: Int, conflicting: Int, otherColours: Int = 9, offset: Int = 0) throws -> Dataset {
        let gray = try DistillTestData.subset(classes: classes, perClass: perClass, offset: offset)
        let colours = gray.labels.enumerated().map { i, label -> Int in
            let k = Int(label), position = i % perClass
            let j = position - (perClass - conflicting)
            return j < 0 ? k : (k + 1 + j % otherColours) % 10
        }
        return colour(gray, colours)
    }

    /// The grayscale digits coloured per image; groups and bias labels by the shared convention.
    static func colour(_ gray: Dataset, _ colours: [Int]) -> Dataset {
        guard case .u8(let pixels) = gray.images else { fatalError("MNIST is u8") }
        let area = gray.geometry.height * gray.geometry.width
        var rgb = [UInt8](repeating: 0, count: gray.count * 3 * area)
        for i in 0..<gray.count {
            for ch in 0..<3 {
                let scale = palette[colours[i]][ch]
                for p in 0..<area {
                    rgb[(i * 3 + ch) * area + p] = UInt8((Float(pixels[i * area + p]) * scale).rounded())
                }
            }
        }
        return Dataset(name: "cmnist-test", images: .u8(rgb),
                       geometry: ImageGeometry(channels: 3, height: gray.geometry.height, width: gray.geometry.width),
                       labels: gray.labels, classNames: gray.classNames, mean: [0.1, 0.1, 0.1], std: [0.3, 0.3, 0.3],
                       groups: zip(gray.labels, colours).map { Int32($0) * 10 + Int32($1) },
                       biasLabels: colours.map(Int32.init)).withContentDigest()
    }

    /// The palette index whose direction in RGB is nearest that of the image's digit: per channel the
    /// median (the background, black for real digits, grey for images distilled from noise) is subtracted,
    /// then the brightest tenth of the pixels by channel sum (digits cover about a fifth) is averaged.
    /// Images are in the normalised space of `make`.
    static func nearestColour(_ image: ArraySlice<Float>, area: Int) -> Int {
        let base = image.startIndex
        let pixels = (0..<3).map { ch -> [Float] in
            let channel = (0..<area).map { image[base + ch * area + $0] * 0.3 + 0.1 }
            let background = channel.sorted()[area / 2]
            return channel.map { max(0, $0 - background) }
        }
        let brightness = (0..<area).map { p in pixels[0][p] + pixels[1][p] + pixels[2][p] }
        let threshold = brightness.sorted()[area * 9 / 10]
        let chosen = (0..<area).filter { brightness[$0] >= threshold }
        var mean: [Float] = [0, 0, 0]
        for ch in 0..<3 {
            for p in chosen { mean[ch] += pixels[ch][p] }
            mean[ch] /= Float(chosen.count)
        }
        // Compare chromaticity (colour direction), not intensity: digit strokes are not uniformly bright.
        func direction(_ v: [Float]) -> [Float] {
            let norm = max(1e-6, (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).squareRoot())
            return v.map { $0 / norm }
        }
        let m = direction(mean)
        func similarity(_ k: Int) -> Float {
            let p = direction(palette[k])
            return m[0] * p[0] + m[1] * p[1] + m[2] * p[2]
        }
        return palette.indices.max { similarity($0) < similarity($1) }!
    }
}
