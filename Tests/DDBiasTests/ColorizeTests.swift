import DDData
import DDFormat
import Foundation
import Testing
@testable import DDBias

@Suite struct ColorizeTests {
    func rgb(_ d: Dataset) -> [UInt8] {
        guard case .u8(let v) = d.images else { return [] }
        return v
    }

    @Test func digitPixelsAreIntensityTimesTheAssignedColourAndGroupsAreClassTimesTenPlusColour() throws {
        let source = greyDataset()
        var options = BiasOptions(kind: .colorDigit)
        options.conflictingRatio = 0.1
        options.jitter = 0
        let out = try BiasedDataset.make(from: source, options: options)
        #expect(out.geometry == ImageGeometry(channels: 3, height: 4, width: 4) && out.count == source.count)
        #expect(out.labels == source.labels && out.classNames == source.classNames)
        let bias = try #require(out.biasLabels), groups = try #require(out.groups)
        #expect(groups == zip(out.labels, bias).map { $0 * 10 + $1 })
        // 20 per class at r = 0.1: exactly 18 aligned per class.
        for c in 0..<10 { #expect(zip(out.labels, bias).filter { $0.0 == c && $0.1 == c }.count == 18) }
        guard case .u8(let grey) = source.images else { return }
        let pixels = rgb(out), lff = BiasPalette.lff.colors
        for i in 0..<out.count {
            let color = lff[Int(bias[i])]
            for ch in 0..<3 {
                for p in 0..<16 {
                    let expected = UInt8((Double(grey[i * 16 + p]) * color[ch]).rounded())
                    #expect(pixels[(i * 3 + ch) * 16 + p] == expected)
                }
            }
        }
        // A full-intensity stroke pixel of an aligned image is the class colour itself.
        let aligned = try #require((0..<out.count).first { out.labels[$0] == 4 && bias[$0] == 4 })
        #expect((0..<3).map { pixels[(aligned * 3 + $0) * 16 + 1] } == [22, 198, 250])
        #expect(out.provenance["bias.ratio"] == "0.1" && out.provenance["bias.palette"] == "lff")
        #expect(out.provenance["source_digest"] == source.computeContentDigest() && out.provenance["dataset"] == "mnist")
    }

    @Test func jitterIsOneSmallVectorPerImage() throws {
        var options = BiasOptions(kind: .colorDigit)
        options.jitter = 0.005
        let out = try BiasedDataset.make(from: greyDataset(), options: options)
        let pixels = rgb(out), bias = try #require(out.biasLabels), lff = BiasPalette.lff.colors
        var moved = 0
        for i in 0..<out.count {
            for ch in 0..<3 {
                let v = Int(pixels[(i * 3 + ch) * 16 + 1])       // the 255 pixel
                let mean = 255 * lff[Int(bias[i])][ch]
                #expect(abs(Double(v) - mean) <= 255 * 0.005 * 5 + 1)
                if abs(Double(v) - mean.rounded()) >= 1 { moved += 1 }
            }
        }
        #expect(moved > 0, "no jitter visible at all")
    }

    @Test func backgroundColouringLeavesTheObject() throws {
        let source = greyDataset(classes: 3, perClass: 10)
        var options = BiasOptions(kind: .colorBackground)
        options.palette = .rebias
        options.jitter = 0
        options.conflictingRatio = 0.9
        let out = try BiasedDataset.make(from: source, options: options)
        guard case .u8(let grey) = source.images else { return }
        let pixels = rgb(out), bias = try #require(out.biasLabels), colors = BiasPalette.rebias.colors
        for i in 0..<out.count {
            for p in 0..<16 {
                let d = grey[i * 16 + p]
                let got = (0..<3).map { pixels[(i * 3 + $0) * 16 + p] }
                let color = colors[Int(bias[i])]
                if d == 0 {
                    #expect(got == color.map { UInt8(($0 * 255).rounded()) })
                } else if d >= 32 {
                    #expect(got == [d, d, d])
                } else {
                    let a = Double(d) / 32
                    #expect(got == color.map { UInt8((a * Double(d) + (1 - a) * 255 * $0).rounded()) })
                }
            }
        }
    }

    @Test func sameSeedSameBytesAndAnotherSeedDiffers() throws {
        let source = greyDataset()
        var options = BiasOptions(kind: .colorDigit)
        options.seed = 11
        let a = try streamBytes(BiasedDataset.make(from: source, options: options))
        let b = try streamBytes(BiasedDataset.make(from: source, options: options))
        options.seed = 12
        let c = try streamBytes(BiasedDataset.make(from: source, options: options))
        #expect(a == b)
        #expect(a != c)
    }

    @Test(arguments: [ColoringKind.colorDigit, .colorBackground])
    func normalisationIsTheColourUniformMoments(kind: ColoringKind) throws {
        // At r = 0.9 colours are uniform, so the pixels' own moments approach the analytic constants.
        let source = greyDataset(perClass: 100)
        guard case .u8(let grey) = source.images else { return }
        let m = grey.reduce(0.0) { $0 + Double($1) / 255 } / Double(grey.count)
        let s = (grey.reduce(0.0) { $0 + pow(Double($1) / 255 - m, 2) } / Double(grey.count)).squareRoot()
        var exact = source
        exact.mean = [Float(m)]; exact.std = [Float(s)]
        var options = BiasOptions(kind: kind)
        options.conflictingRatio = 0.9
        let out = try BiasedDataset.make(from: exact, options: options)
        let pixels = rgb(out)
        for ch in 0..<3 {
            var values: [Double] = []
            for i in 0..<out.count { for p in 0..<16 { values.append(Double(pixels[(i * 3 + ch) * 16 + p]) / 255) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            #expect(abs(mean - Double(out.mean[ch])) < 0.003, "channel \(ch) mean \(mean) vs \(out.mean[ch])")
            #expect(abs(std - Double(out.std[ch])) < 0.003, "channel \(ch) std \(std) vs \(out.std[ch])")
        }
    }

    @Test func badInputsAreOneLineDataErrors() throws {
        var rgbInput = greyDataset()
        rgbInput = try BiasedDataset.make(from: rgbInput, options: BiasOptions(kind: .colorDigit))
        let cases: [(String, () throws -> Void, DataError.Kind, String)] = [
            ("rgb input", { _ = try BiasedDataset.make(from: rgbInput, options: BiasOptions(kind: .colorDigit)) }, .badData, "grayscale"),
            ("eleven classes", { _ = try BiasedDataset.make(from: greyDataset(classes: 11, perClass: 2), options: BiasOptions(kind: .colorDigit)) },
             .badData, "11 classes"),
            ("f32 input", {
                var f = greyDataset(); f.images = .normalized([Float](repeating: 0, count: f.count * 16))
                _ = try BiasedDataset.make(from: f, options: BiasOptions(kind: .colorBackground))
            }, .badData, "needs u8"),
            ("ratio", {
                var o = BiasOptions(kind: .colorDigit); o.conflictingRatio = 1.5
                _ = try BiasedDataset.make(from: greyDataset(), options: o)
            }, .usage, "outside [0, 1]"),
        ]
        for (what, body, kind, fragment) in cases {
            do {
                try body()
                Issue.record("\(what): no error")
            } catch let error as DataError {
                #expect(error.kind == kind && error.message.contains(fragment) && !error.message.contains("\n"), "\(what): \(error)")
            }
        }
    }
}
