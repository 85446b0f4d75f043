import Testing
@testable import DDRender

/// A u8 batch whose image i is filled with `value(i)`, so any pixel tells which image was drawn there.
func constantBatch(labels: [Int], channels: Int = 1, height: Int = 2, width: Int = 3, classNames: [String] = [],
                   groups: [Int]? = nil, groupNames: [String] = []) throws -> ImageBatch {
    let plane = channels * height * width
    let pixels = labels.indices.flatMap { [UInt8](repeating: constantValue($0), count: plane) }
    return try ImageBatch(count: labels.count, channels: channels, height: height, width: width,
                          pixels: .u8(pixels), labels: labels, classNames: classNames,
                          groups: groups, groupNames: groupNames)
}

func constantValue(_ image: Int) -> UInt8 { UInt8(truncatingIfNeeded: 20 + 25 * image) }

func options(_ configure: (inout GridOptions) -> Void) -> GridOptions {
    var o = GridOptions()
    configure(&o)
    return o
}

@Suite struct GridTests {
    static let fashionNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    @Test func fashionMNISTGridSizeMatchesAHandComputation() throws {
        let labels = (0..<120).map { $0 % 10 }
        let batch = try constantBatch(labels: labels, height: 28, width: 28, classNames: Self.fashionNames)
        let plan = try GridPlan(batch: batch, options: options { $0.scale = 2 })
        // Cells 56 px; font scale 56/24 = 2; longest label "T-shirt/top" = 11 glyphs:
        // label column (11·6 − 1)·2 + 2·(2·2) = 138; width 1+138+10·56+9·1+1 = 709; height 1+10·56+9+1 = 571.
        #expect(plan.geometry.width == 709)
        #expect(plan.geometry.height == 571)
        #expect(plan.rows.map(\.label) == Self.fashionNames)
        #expect(plan.rows[3].images == [3, 13, 23, 33, 43, 53, 63, 73, 83, 93])
        let png = try PNGEncoder.encode(try GridRenderer.render(batch, plan: plan, options: options { $0.scale = 2 }))
        let decoded = try PythonPNG.decode(png)
        #expect(decoded.width == 709 && decoded.height == 571 && decoded.colorType == 0)
    }

    @Test(arguments: [(1, 0, false), (2, 1, false), (3, 2, true), (1, 1, true)])
    func geometryFollowsTheLayoutFormula(scale: Int, gutter: Int, labels: Bool) throws {
        let batch = try constantBatch(labels: [0, 1, 1, 2, 2, 2], height: 5, width: 4, classNames: ["a", "bb", "ccc"])
        let o = options { $0.scale = scale; $0.gutter = gutter; $0.labels = labels; $0.fontScale = 1 }
        let g = try GridPlan(batch: batch, options: o).geometry
        let labelWidth = labels ? (3 * 6 - 1) + 2 * 2 : 0
        let rowHeight = labels ? max(5 * scale, 8) : 5 * scale
        #expect(g.rows == 3 && g.columns == 3)
        #expect(g.width == 2 * gutter + labelWidth + 3 * 4 * scale + 2 * gutter)
        #expect(g.height == 2 * gutter + 3 * rowHeight + 2 * gutter)
        let raster = try GridRenderer.render(batch, options: o)
        #expect(raster.width == g.width && raster.height == g.height)
    }

    @Test func everyPixelLandsInTheRightCell() throws {
        // Classes: 0 → images 1, 4 (6, 7 dropped by --per-class 2); 1 → 0, 2 (3 dropped); 2 → 5.
        let batch = try constantBatch(labels: [1, 0, 1, 1, 0, 2, 0, 0])
        let o = options { $0.perRow = 2; $0.scale = 2; $0.gutter = 2; $0.labels = false }
        let decoded = try PythonPNG.decode(try PNGEncoder.encode(try GridRenderer.render(batch, options: o)))
        #expect(decoded.width == 18 && decoded.height == 20)
        let cells: [[Int?]] = [[1, 4], [0, 2], [5, nil]]
        var expected = [UInt8](repeating: 255, count: 18 * 20)
        for (r, row) in cells.enumerated() {
            for (c, image) in row.enumerated() {
                for y in 0..<4 { for x in 0..<6 {
                    expected[(2 + r * 6 + y) * 18 + 2 + c * 8 + x] = image.map(constantValue) ?? 208
                } }
            }
        }
        #expect(decoded.samples == expected)
    }

    @Test func upscalingIsNearestNeighbour() throws {
        let batch = try ImageBatch(count: 1, channels: 1, height: 2, width: 2, pixels: .u8([10, 20, 30, 40]), labels: [0])
        let raster = try GridRenderer.render(batch, options: options { $0.scale = 3; $0.gutter = 0; $0.labels = false })
        let expected: [UInt8] = [10, 10, 10, 20, 20, 20] + [10, 10, 10, 20, 20, 20] + [10, 10, 10, 20, 20, 20]
            + [30, 30, 30, 40, 40, 40] + [30, 30, 30, 40, 40, 40] + [30, 30, 30, 40, 40, 40]
        #expect(try PythonPNG.decode(try PNGEncoder.encode(raster)).samples == expected)
    }

    @Test func threeChannelImagesBecomeRGBWithPlanesInterleaved() throws {
        // NCHW: red plane [1, 2], green [3, 4], blue [5, 6].
        let batch = try ImageBatch(count: 1, channels: 3, height: 1, width: 2, pixels: .u8([1, 2, 3, 4, 5, 6]), labels: [0])
        let raster = try GridRenderer.render(batch, options: options { $0.labels = false })
        let decoded = try PythonPNG.decode(try PNGEncoder.encode(raster))
        #expect(decoded.colorType == 2 && decoded.width == 4 && decoded.height == 3)
        let white: [UInt8] = [255, 255, 255]
        #expect(decoded.samples == white + white + white + white
                + white + [1, 3, 5] + [2, 4, 6] + white
                + white + white + white + white)
    }

    @Test func singlePixelSingleClassWithALabelTallerThanTheImage() throws {
        let batch = try ImageBatch(count: 1, channels: 1, height: 1, width: 1, pixels: .u8([99]), labels: [0], classNames: ["x"])
        let raster = try GridRenderer.render(batch)
        // Font scale 1; label column (6 − 1) + 4 = 9; row raised to the 8-px text; image at y = 1 + (8 − 1) / 2.
        #expect(raster.width == 1 + 9 + 1 + 1 && raster.height == 1 + 8 + 1)
        #expect(raster.pixel(x: 10, y: 4) == [99])
        // "x" at (3, 1): its third row is #...# → ink at columns 3 and 7 of canvas row 3, not between.
        #expect(raster.pixel(x: 3, y: 3) == [0] && raster.pixel(x: 7, y: 3) == [0])
        #expect(raster.pixel(x: 5, y: 3) == [255])
        #expect(try PythonPNG.decode(try PNGEncoder.encode(raster)).samples == raster.samples)
    }

    @Test func groupLabelsMakeTheRows() throws {
        let batch = try constantBatch(labels: [0, 1, 0, 1], groups: [1, 1, 0, 0], groupNames: ["red", "green"])
        let plan = try GridPlan(batch: batch, options: GridOptions())
        #expect(plan.rows == [.init(label: "red", images: [2, 3]), .init(label: "green", images: [0, 1])])
        let byClass = try GridPlan(batch: batch, options: options { $0.rows = .classes })
        #expect(byClass.rows.map(\.images) == [[0, 2], [1, 3]])
        #expect(throws: RenderError.self) {
            try GridPlan(batch: try constantBatch(labels: [0]), options: options { $0.rows = .groups })
        }
    }

    @Test func classListsResolveNamesIndicesAndRanges() throws {
        let batch = try constantBatch(labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], classNames: Self.fashionNames)
        #expect(try batch.resolveClasses("T-shirt/top,2-4,sneaker,9,3") == [0, 2, 3, 4, 7, 9])
        #expect(throws: RenderError.self) { try batch.resolveClasses("10") }
        #expect(throws: RenderError.self) { try batch.resolveClasses("4-2") }
        do {
            _ = try batch.resolveClasses("Boot")
            Issue.record("an unknown class name was accepted")
        } catch let error as RenderError {
            #expect(error.kind == .invalidArgument)
            #expect(error.message.contains("Ankle boot") && error.message.contains("Boot"))
        }
    }

    @Test func explicitClassesSetTheRowOrderAndShowEmptyRows() throws {
        let batch = try constantBatch(labels: [0, 1, 0, 1], classNames: ["zero", "one", "two"])
        let plan = try GridPlan(batch: batch, options: options { $0.classes = [2, 1] })
        #expect(plan.rows == [.init(label: "two", images: []), .init(label: "one", images: [1, 3])])
        let all = try GridPlan(batch: batch, options: GridOptions())
        #expect(all.rows.map(\.label) == ["zero", "one"])  // class 2 has no images: not drawn unless asked
    }

    @Test func titleGetsItsOwnBandAndIsCutToTheGridWidth() throws {
        let batch = try constantBatch(labels: [0, 0], height: 8, width: 8)
        let plain = try GridPlan(batch: batch, options: options { $0.labels = false })
        let titled = try GridPlan(batch: batch, options: options { $0.labels = false; $0.title = "ok" })
        #expect(titled.geometry.height == plain.geometry.height + 8 + 4)
        #expect(titled.geometry.width == plain.geometry.width)
        let long = try GridPlan(batch: batch, options: options { $0.labels = false; $0.title = String(repeating: "W", count: 50) })
        // 1 + 8 + 1 + 8 + 1 = 19 px wide: room for (19 − 2 − 4 + 1) / 6 = 2 glyphs, too few for "..".
        #expect(long.title == "WW")
        let raster = try GridRenderer.render(batch, options: options { $0.labels = false; $0.title = "ok" })
        let band = (1..<1 + titled.geometry.titleHeight).flatMap { y in
            (0..<raster.width).flatMap { x in raster.pixel(x: x, y: y) }
        }
        #expect(band.contains(0))
    }

    @Test func badOptionsAndUndrawableInputsAreErrors() throws {
        let batch = try constantBatch(labels: [0])
        for bad in [options { $0.scale = 0 }, options { $0.perRow = 0 }, options { $0.gutter = -1 },
                    options { $0.classes = [3] }] {
            #expect(throws: RenderError.self) { try GridRenderer.render(batch, options: bad) }
        }
        let twoChannel = try constantBatch(labels: [0], channels: 2)
        #expect { try GridRenderer.render(twoChannel) } throws: { ($0 as? RenderError)?.kind == .invalidData }
        let empty = try ImageBatch(count: 0, channels: 1, height: 2, width: 2, pixels: .u8([]), labels: [])
        #expect { try GridRenderer.render(empty) } throws: { ($0 as? RenderError)?.kind == .invalidData }
    }

    @Test(.enabled(if: PythonPNG.pngcheckPath != nil, "pngcheck is not installed"))
    func pngcheckAcceptsARenderedGrid() throws {
        let batch = try constantBatch(labels: [0, 1, 2, 0, 1, 2], channels: 3, height: 6, width: 5, classNames: ["r", "g", "b"])
        let png = try PNGEncoder.encode(try GridRenderer.render(batch, options: options { $0.scale = 3; $0.title = "t" }),
                                        text: [("Software", "dd-render")])
        let (status, report) = try PythonPNG.pngcheck(png)
        #expect(status == 0, "\(report)")
        #expect(report.contains("RGB"), "\(report)")
    }
}
