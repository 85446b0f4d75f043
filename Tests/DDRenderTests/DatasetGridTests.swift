import DDData
import Testing
@testable import DDRender

@Suite struct DatasetGridTests {
    @Test func normalisedDatasetsAreDrawnWithTheirOwnConstants() throws {
        // Two 1×2 MNIST-style images stored normalised: (v − 0.1307) / 0.3081 for v = 0, 1, 0.5, 0.2.
        let values: [Float] = [0, 1, 0.5, 0.2].map { ($0 - 0.1307) / 0.3081 }
        let dataset = Dataset(name: "syn", images: .normalized(values),
                              geometry: ImageGeometry(channels: 1, height: 1, width: 2), labels: [1, 0],
                              classNames: ["zero", "one"], mean: [0.1307], std: [0.3081])
        try dataset.validate()
        var o = GridOptions()
        o.labels = false
        o.gutter = 1
        let png = try GridRenderer.png(dataset, options: o, text: [("Software", "dd-render")])
        let decoded = try PythonPNG.decode(png)
        #expect(decoded.texts["Software"] == "dd-render")
        #expect(decoded.width == 4 && decoded.height == 5)
        // Row 0 is class "zero" (image 1: 0.5 → 128, 0.2 → 51); row 1 is class "one" (image 0: 0, 255).
        #expect(decoded.samples == [255, 255, 255, 255,
                                    255, 128, 51, 255,
                                    255, 255, 255, 255,
                                    255, 0, 255, 255,
                                    255, 255, 255, 255])
    }

    @Test func u8DatasetsKeepTheirBytesAndGroupsBecomeRows() throws {
        let dataset = Dataset(name: "cmnist", images: .u8([10, 20, 30, 40, 50, 60]),
                              geometry: ImageGeometry(channels: 3, height: 1, width: 1), labels: [0, 0],
                              classNames: ["zero"], mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], groups: [1, 0])
        let batch = try ImageBatch(dataset: dataset)
        #expect(try batch.raster(image: 1, format: .rgb).samples == [40, 50, 60])
        let plan = try GridPlan(batch: batch, options: GridOptions())
        #expect(plan.rows == [.init(label: "group 0", images: [1]), .init(label: "group 1", images: [0])])
    }

    @Test func panelsSitSideBySideWithTopsAligned() throws {
        let tall = try Raster(width: 2, height: 3, format: .gray, background: .black)
        let short = try Raster(width: 1, height: 1, format: .gray, background: Color(gray: 9))
        let joined = try GridRenderer.sideBySide([tall, short], gutter: 2)
        #expect(joined.width == 5 && joined.height == 3)
        #expect(joined.samples == [0, 0, 255, 255, 9,
                                   0, 0, 255, 255, 255,
                                   0, 0, 255, 255, 255])
        let rgb = try Raster(width: 1, height: 1, format: .rgb)
        #expect(throws: RenderError.self) { try GridRenderer.sideBySide([tall, rgb]) }
        #expect(throws: RenderError.self) { try GridRenderer.sideBySide([]) }
    }

    @Test func severalDatasetsBecomeTitledPanelsAndErrorsNameTheirPanel() throws {
        let small = Dataset(name: "a", images: .u8([1, 2]), geometry: ImageGeometry(channels: 1, height: 1, width: 1),
                            labels: [0, 1], classNames: ["x", "y"], mean: [0], std: [1])
        var o = GridOptions()
        o.labels = false
        let single = try GridRenderer.render([("one.ddt", small)], options: o)
        let pair = try GridRenderer.render([("one.ddt", small), ("two.ddt", small)], options: o)
        let titled = try GridPlan(batch: try ImageBatch(dataset: small), options: { var t = o; t.title = "x"; return t }())
        // Each panel gains a title band; panels are 4 px apart.
        #expect(single.height == 5 && pair.height == titled.geometry.height)
        #expect(pair.width == 2 * titled.geometry.width + 4)
        do {
            _ = try GridRenderer.render([("one.ddt", small), ("two.ddt", small)], options: o, classList: "z")
            Issue.record("an unknown class was accepted")
        } catch let error as RenderError {
            #expect(error.message.hasPrefix("one.ddt: unknown class \"z\""))
        }
    }
}
