import Foundation
import Testing
@testable import DDRender

/// A raster of smooth gradients plus noise, so every filter type has something to predict.
func sampleRaster(width: Int, height: Int, format: PixelFormat, seed: UInt64) throws -> Raster {
    var rng = SplitMix64(state: seed)
    var samples = [UInt8]()
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<format.channels {
                let smooth = (x * 7 + y * 3 + c * 50) & 0xFF
                samples.append(UInt8(truncatingIfNeeded: smooth + Int(rng.next() % 9)))
            }
        }
    }
    return try Raster(width: width, height: height, format: format, samples: samples)
}

@Suite struct PNGTests {
    @Test(arguments: [PNGFilterStrategy.fixed(.none), .fixed(.sub), .fixed(.up), .fixed(.average),
                      .fixed(.paeth), .adaptive])
    func everyFilterDecodesToTheSameSamples(strategy: PNGFilterStrategy) throws {
        let raster = try sampleRaster(width: 13, height: 9, format: .rgb, seed: 1)
        let decoded = try PythonPNG.decode(try PNGEncoder.encode(raster, filter: strategy))
        #expect(decoded.width == 13 && decoded.height == 9)
        #expect(decoded.colorType == 2 && decoded.bitDepth == 8)
        #expect(decoded.samples == raster.samples)
        if case .fixed(let f) = strategy {
            #expect(decoded.filters == [Int](repeating: Int(f.rawValue), count: 9))
        }
    }

    @Test func adaptiveFilteringPicksMoreThanOneFilterOnMixedContent() throws {
        // Row 0 has nothing above (Sub wins on a ramp); later rows repeat the one above (Up wins).
        var samples = [UInt8]()
        for _ in 0..<6 { for x in 0..<32 { samples.append(UInt8(x * 8)) } }
        let raster = try Raster(width: 32, height: 6, format: .gray, samples: samples)
        let decoded = try PythonPNG.decode(try PNGEncoder.encode(raster))
        #expect(decoded.samples == samples)
        #expect(decoded.filters[0] == Int(PNGFilter.sub.rawValue))
        #expect(decoded.filters[1...].allSatisfy { $0 == Int(PNGFilter.up.rawValue) })
    }

    @Test(arguments: [PixelFormat.gray, .rgb, .rgba])
    func colourTypesRoundTrip(format: PixelFormat) throws {
        let raster = try sampleRaster(width: 7, height: 5, format: format, seed: UInt64(format.rawValue))
        let decoded = try PythonPNG.decode(try PNGEncoder.encode(raster))
        #expect(decoded.colorType == [1: 0, 3: 2, 4: 6][format.rawValue])
        #expect(decoded.samples == raster.samples)
    }

    @Test func singlePixelImage() throws {
        let raster = try Raster(width: 1, height: 1, format: .gray, samples: [173])
        let decoded = try PythonPNG.decode(try PNGEncoder.encode(raster))
        #expect(decoded.width == 1 && decoded.height == 1 && decoded.samples == [173])
        #expect(decoded.chunks == ["IHDR", "IDAT", "IEND"])
    }

    @Test func textChunksCarryProvenance() throws {
        let raster = try Raster(width: 2, height: 2, format: .gray, background: .black)
        let png = try PNGEncoder.encode(raster, text: [("Software", "dd-render"),
                                                       ("Comment", "dd-render syn.ddt -o syn.png"),
                                                       ("Title", "Überblick → classes")])
        let decoded = try PythonPNG.decode(png)
        #expect(decoded.chunks == ["IHDR", "tEXt", "tEXt", "iTXt", "IDAT", "IEND"])
        #expect(decoded.texts == ["Software": "dd-render", "Comment": "dd-render syn.ddt -o syn.png",
                                  "Title": "Überblick → classes"])
        #expect(decoded.samples == [0, 0, 0, 0])
    }

    @Test func longImageDataIsSplitOverSeveralIDATChunks() throws {
        let raster = try sampleRaster(width: 40, height: 30, format: .rgb, seed: 7)
        let png = try PNGEncoder.encode(raster, text: [], level: 9, filter: .adaptive, maxIDATBytes: 100)
        let decoded = try PythonPNG.decode(png)
        #expect(decoded.chunks.filter { $0 == "IDAT" }.count > 3)
        #expect(decoded.samples == raster.samples)
    }

    @Test func compressionLevelsAllDecode() throws {
        let raster = try sampleRaster(width: 24, height: 24, format: .gray, seed: 3)
        let stored = try PNGEncoder.encode(raster, level: 0)
        let best = try PNGEncoder.encode(raster, level: 9)
        #expect(best.count < stored.count)
        #expect(try PythonPNG.decode(stored).samples == raster.samples)
        #expect(try PythonPNG.decode(best).samples == raster.samples)
    }

    @Test func theIndependentDecoderNoticesAFlippedBit() throws {
        // Guards the guard: a decoder that never fails would make every round-trip test vacuous.
        var png = try PNGEncoder.encode(try sampleRaster(width: 8, height: 8, format: .gray, seed: 5))
        png[png.count - 20] ^= 0x10
        #expect(throws: DecodeFailure.self) { try PythonPNG.decode(png) }
    }

    @Test(.enabled(if: PythonPNG.pngcheckPath != nil, "pngcheck is not installed"))
    func pngcheckAcceptsEncoderOutput() throws {
        for format in [PixelFormat.gray, .rgb, .rgba] {
            let raster = try sampleRaster(width: 31, height: 17, format: format, seed: 11)
            let (status, report) = try PythonPNG.pngcheck(
                try PNGEncoder.encode(raster, text: [("Software", "dd-render")]))
            #expect(status == 0, "\(report)")
            #expect(report.contains("31 x 17"), "\(report)")
        }
    }

    @Test func rejectsBadKeywordsAndLevels() throws {
        let raster = try Raster(width: 1, height: 1, format: .gray)
        #expect(throws: RenderError.self) { try PNGEncoder.encode(raster, text: [("", "x")]) }
        #expect(throws: RenderError.self) { try PNGEncoder.encode(raster, text: [(" lead", "x")]) }
        #expect(throws: RenderError.self) { try PNGEncoder.encode(raster, text: [(String(repeating: "k", count: 80), "x")]) }
        #expect(throws: RenderError.self) { try PNGEncoder.encode(raster, level: 10) }
    }

    @Test func paethPredictorFollowsTheSpecTieBreaks() {
        // PNG §9.4: prefer a, then b, then c on ties.
        #expect(PNGEncoder.paethPredictor(10, 10, 10) == 10)
        #expect(PNGEncoder.paethPredictor(50, 100, 50) == 100)   // p=100: pb=0
        #expect(PNGEncoder.paethPredictor(100, 50, 50) == 100)   // p=100: pa=0
        #expect(PNGEncoder.paethPredictor(20, 30, 40) == 20)     // p=10: pa=10 pb=20 pc=30
        #expect(PNGEncoder.paethPredictor(0, 255, 128) == 128)   // p=127: pa=127 pb=128 pc=1
    }
}
