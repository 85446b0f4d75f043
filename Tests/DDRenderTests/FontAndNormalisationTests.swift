import Testing
@testable import DDRender

@Suite struct FontTests {
    static let printable = (0x21...0x7E).map { Character(Unicode.Scalar(UInt8($0))) }

    @Test func everyPrintableGlyphHasInkAndDiffersFromEveryOther() {
        var seen: [[UInt8]: Character] = [:]
        for c in Self.printable {
            let rows = BitmapFont.rows(of: c)
            #expect(rows.count == 8)
            #expect(rows.contains { $0 != 0 }, "glyph \(c) is empty")
            #expect(rows.allSatisfy { $0 < 32 }, "glyph \(c) is wider than 5 columns")
            if let other = seen[rows] { Issue.record("glyphs \(other) and \(c) are identical") }
            seen[rows] = c
        }
        #expect(BitmapFont.rows(of: " ").allSatisfy { $0 == 0 })
    }

    @Test func letterAMatchesItsDrawing() {
        let drawing = [" ### ", "#   #", "#   #", "#   #", "#####", "#   #", "#   #", "     "]
        for (row, line) in drawing.enumerated() {
            for (column, mark) in line.enumerated() {
                #expect(BitmapFont.isInked("A", column: column, row: row) == (mark == "#"), "A at \(column),\(row)")
            }
        }
    }

    @Test func onlyDescendersReachBelowTheBaseline() {
        let below = Self.printable.filter { BitmapFont.rows(of: $0)[7] != 0 }
        #expect(Set(below) == Set(",;gjpqy"))
        // "g" drawn as a reader expects: a bowl on rows 2–5, its tail on rows 6–7.
        let drawing = ["     ", "     ", " ####", "#   #", "#   #", " ####", "    #", " ### "]
        for (row, line) in drawing.enumerated() {
            for (column, mark) in line.enumerated() {
                #expect(BitmapFont.isInked("g", column: column, row: row) == (mark == "#"), "g at \(column),\(row)")
            }
        }
    }

    @Test func charactersOutsideASCIIDrawAsAQuestionMark() {
        #expect(BitmapFont.rows(of: "é") == BitmapFont.rows(of: "?"))
        #expect(BitmapFont.rows(of: "\u{7F}") == BitmapFont.rows(of: "?"))
        #expect(BitmapFont.rows(of: "\n") == BitmapFont.rows(of: "?"))
    }

    @Test func drawnTextCoversExactlyItsMeasuredBox() throws {
        var raster = try Raster(width: 40, height: 20, format: .gray)
        raster.draw(text: "H1", x: 3, y: 2, scale: 2)
        var minX = Int.max, maxX = -1, minY = Int.max, maxY = -1
        for y in 0..<20 { for x in 0..<40 where raster.pixel(x: x, y: y) == [0] {
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
        } }
        // "H" fills columns 0 and 4 of every row; "1" ends with the bottom bar spanning columns 1–3.
        #expect(minX == 3 && maxX == 3 + 6 * 2 + 3 * 2 + 1)
        #expect(minY == 2 && maxY == 2 + 14 - 1)
        #expect(BitmapFont.width(of: "H1", scale: 2) == 22)
    }

    @Test func longLabelsAreShortenedWithAMark() {
        #expect(BitmapFont.fitted("Ankle boot", maxCharacters: 16) == "Ankle boot")
        #expect(BitmapFont.fitted("Ankle boot", maxCharacters: 6) == "Ankl..")
        #expect(BitmapFont.fitted("Ankle boot", maxCharacters: 2) == "An")
    }
}

@Suite struct NormalisationTests {
    @Test func knownValuesUnNormalise() {
        // MNIST constants: 0 → 0.1307 → 33.3 → 33; 1 → 0.4388 → 111.9 → 112.
        #expect(ImageBatch.displayByte(0, mean: 0.1307, std: 0.3081) == 33)
        #expect(ImageBatch.displayByte(1, mean: 0.1307, std: 0.3081) == 112)
        #expect(ImageBatch.displayByte(2.9, mean: 0.1307, std: 0.3081) == 255)   // 1.024 clamps
        #expect(ImageBatch.displayByte(-0.5, mean: 0.1307, std: 0.3081) == 0)    // −0.023 clamps
        #expect(ImageBatch.displayByte(.nan, mean: 0.5, std: 0.5) == 0)
        #expect(ImageBatch.displayByte(.infinity, mean: 0.5, std: 0.5) == 255)
        #expect(ImageBatch.displayByte(-.infinity, mean: 0.5, std: 0.5) == 0)
    }

    @Test func floatImagesUseTheirPerChannelConstants() throws {
        // CIFAR-10 constants at x = 0: 0.4914·255 = 125.3, 0.4822·255 = 123.0, 0.4465·255 = 113.9.
        let batch = try ImageBatch(count: 1, channels: 3, height: 1, width: 2, pixels: .f32([0, 10, 0, -10, 0, 0]),
                                   labels: [0], mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])
        let raster = try batch.raster(image: 0, format: .rgb)
        #expect(raster.samples == [125, 123, 114, 255, 0, 114])
    }

    @Test func oneConstantIsBroadcastAndMissingConstantsMeanIdentity() throws {
        let broadcast = try ImageBatch(count: 1, channels: 3, height: 1, width: 1, pixels: .f32([-1, 0, 1]),
                                       labels: [0], mean: [0.5], std: [0.5])
        #expect(try broadcast.raster(image: 0, format: .rgb).samples == [0, 128, 255])
        let identity = try ImageBatch(count: 1, channels: 1, height: 1, width: 3, pixels: .f32([0.2, 1.5, -3]), labels: [0])
        #expect(try identity.raster(image: 0, format: .gray).samples == [51, 255, 0])
    }

    @Test func u8ImagesAreDrawnAsTheyAre() throws {
        let batch = try ImageBatch(count: 2, channels: 1, height: 1, width: 2, pixels: .u8([0, 7, 200, 255]),
                                   labels: [0, 0], mean: [0.1307], std: [0.3081])
        #expect(try batch.raster(image: 1, format: .gray).samples == [200, 255])
    }

    @Test func inconsistentBatchesAreRejected() {
        func make(_ pixels: ImageBatch.Pixels, labels: [Int] = [0], names: [String] = [], groups: [Int]? = nil,
                  mean: [Float]? = nil, std: [Float]? = nil) throws {
            _ = try ImageBatch(count: 1, channels: 1, height: 2, width: 2, pixels: pixels, labels: labels,
                               classNames: names, groups: groups, mean: mean, std: std)
        }
        let four = ImageBatch.Pixels.u8([1, 2, 3, 4])
        #expect(throws: RenderError.self) { try make(.u8([1, 2, 3])) }
        #expect(throws: RenderError.self) { try make(four, labels: [0, 1]) }
        #expect(throws: RenderError.self) { try make(four, labels: [-1]) }
        #expect(throws: RenderError.self) { try make(four, labels: [2], names: ["a", "b"]) }
        #expect(throws: RenderError.self) { try make(four, groups: [0, 0]) }
        #expect(throws: RenderError.self) { try make(.f32([0, 0, 0, 0]), mean: [0, 0]) }
        #expect(throws: RenderError.self) { try make(.f32([0, 0, 0, 0]), std: [.nan]) }
        #expect(throws: RenderError.self) {
            _ = try ImageBatch(count: Int.max / 2, channels: 4, height: 2, width: 2, pixels: four, labels: [])
        }
    }
}
