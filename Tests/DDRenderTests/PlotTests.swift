import DDFormat
import Foundation
import Testing
@testable import DDRender

@Suite struct PlotTests {
    static let lines = """
    {"type":"network","accuracy":0.2,"tags":{"method":"dm","ratio":0.05}}
    {"type":"summary","accuracy":{"mean":0.25,"std":0.02},"tags":{"method":"dm","ratio":0.05}}
    {"type":"summary","accuracy":{"mean":0.40,"std":0.03},"tags":{"method":"dm","ratio":0.1}}

    {"type":"summary","accuracy":{"mean":0.15,"std":0.01},"tags":{"method":"dm","ratio":0.005}}
    {"type":"summary","accuracy":{"mean":0.91,"std":0.05},"tags":{"method":"group","ratio":0.05}}
    {"type":"summary","accuracy":{"mean":0.85,"std":0.04},"tags":{"method":"group","ratio":0.005}}
    """

    func spec() -> PlotSpec {
        var s = PlotSpec(x: "ratio", y: "accuracy")
        s.series = "tags.method"
        s.logX = true
        s.yScale = 100
        return s
    }

    @Test func readsDDEvalSummariesIntoSortedSeries() throws {
        let series = try PlotData.load([("r.jsonl", Array(Self.lines.utf8))], spec: spec())
        #expect(series.map(\.name) == ["dm", "group"])
        #expect(series[0].points.map(\.x) == [0.005, 0.05, 0.1])
        #expect(series[0].points.map(\.y) == [15, 25, 40])   // the network line is left out, ×100
        #expect(series[0].points.map { $0.error! } == [1, 2, 3])
        var networks = spec()
        networks.filters = [.init(field: "type", value: "network")]
        let only = try PlotData.load([("r.jsonl", Array(Self.lines.utf8))], spec: networks)
        #expect(only == [PlotSeries(name: "dm", points: [PlotPoint(x: 0.05, y: 20)])])
    }

    @Test func repeatedXIsAveragedWithItsSpread() throws {
        let text = "{\"x\":1,\"y\":2}\n{\"x\":1,\"y\":4}\n{\"x\":2,\"y\":\"5\"}\n{\"x\":3,\"y\":null}\n"
        let series = try PlotData.load([("a", Array(text.utf8))], spec: PlotSpec(x: "x", y: "y"))
        #expect(series == [PlotSeries(name: "y", points: [PlotPoint(x: 1, y: 3, error: 1), PlotPoint(x: 2, y: 5)])])
    }

    @Test func badLinesAreOneLineDataErrors() {
        let cases: [(String, PlotSpec, String)] = [
            ("{\"x\":1,\"y\":2}\n{\"x\":2,\"y\":\n", PlotSpec(x: "x", y: "y"), "f.jsonl: line 2: invalid JSON"),
            ("{\"x\":\"dm\",\"y\":2}\n", PlotSpec(x: "x", y: "y"), "line 1: x field x is \"dm\", not a number"),
            ("{\"x\":1,\"z\":2}\n", PlotSpec(x: "x", y: "y"), "no line of f.jsonl has a numeric x and y"),
            ("{\"x\":0,\"y\":2}\n", { var s = PlotSpec(x: "x", y: "y"); s.logX = true; return s }(), "positive x"),
        ]
        for (text, spec, fragment) in cases {
            do {
                let series = try PlotData.load([("f.jsonl", Array(text.utf8))], spec: spec)
                _ = try LinePlot.render(series, spec: spec)
                Issue.record("no error for \(fragment)")
            } catch let error as RenderError {
                #expect(error.kind == .invalidData && error.message.contains(fragment) && !error.message.contains("\n"), "\(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func ticksAreRoundAndCoverTheData() {
        #expect(PlotTicks.linear(0.15, 0.43).map { PlotTicks.label($0, step: 0.05) }
                == ["0.15", "0.20", "0.25", "0.30", "0.35", "0.40", "0.45"])
        #expect(PlotTicks.linear(15, 95) == [0, 20, 40, 60, 80, 100])   // 80/6 ≈ 13 → step 20
        #expect(PlotTicks.logarithmic(0.005, 0.1) == [0.005, 0.01, 0.02, 0.05, 0.1])
        #expect(PlotTicks.logarithmic(0.003, 0.07) == [0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
        #expect(PlotTicks.logarithmic(1, 1e9) == (0...9).map { pow(10, Double($0)) })
        #expect(PlotTicks.linear(3, 3).count >= 2)
    }

    @Test func thePNGShowsEachSeriesInItsColourWhereTheDataSays() throws {
        let spec = spec()
        let series = try PlotData.load([("r.jsonl", Array(Self.lines.utf8))], spec: spec)
        let layout = try LinePlot.layout(series, spec: spec)
        let png = try PNGEncoder.encode(try LinePlot.render(series, spec: spec))
        if PythonPNG.pngcheckPath != nil {
            let (status, report) = try PythonPNG.pngcheck(png)
            #expect(status == 0 && report.contains("720 x 480"), "\(report)")
        }
        let decoded = try PythonPNG.decode(png)
        #expect(decoded.width == 720 && decoded.height == 480 && decoded.colorType == 2)
        let samples = decoded.samples
        func pixel(_ x: Int, _ y: Int) -> Color {
            let i = (y * decoded.width + x) * 3
            return Color(r: samples[i], g: samples[i + 1], b: samples[i + 2])
        }
        for (i, s) in series.enumerated() {
            let color = LinePlot.palette[i]
            for p in s.points {
                #expect(pixel(layout.px(p.x), layout.py(p.y)) == color, "\(s.name) at \(p.x)")
                // The error bar's cap, above the marker.
                #expect(pixel(layout.px(p.x), layout.py(p.y + p.error!)) == color, "\(s.name) error bar at \(p.x)")
            }
            // Halfway along the first segment (in pixels) the line carries the series colour.
            let (a, b) = (s.points[0], s.points[1])
            #expect(pixel((layout.px(a.x) + layout.px(b.x)) / 2, (layout.py(a.y) + layout.py(b.y)) / 2) == color)
        }
        // Nothing drawn where there is no data, e.g. between the lines at the right edge.
        #expect(pixel(layout.right - 3, layout.py(65)) != LinePlot.palette[0])
        #expect(pixel(layout.right - 3, layout.py(65)) != LinePlot.palette[1])
        // Ticks span the data: log x from 0.005 to 0.1, y from 10 % to 100 %.
        #expect(layout.xTicks.first == 0.005 && layout.xTicks.last == 0.1)
        #expect(layout.yTicks.first! <= 14 && layout.yTicks.last! >= 96)
    }
}
