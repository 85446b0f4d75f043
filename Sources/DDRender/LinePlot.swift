import Foundation

/// Axis ticks: 1-2-5 steps on a linear axis, 1-2-5 values per decade on a log axis.
public enum PlotTicks {
    /// Ticks covering [low, high] with about `target` intervals; the first and last tick bound the data.
    public static func linear(_ low: Double, _ high: Double, target: Int = 6) -> [Double] {
        var (lo, hi) = (low, high)
        if hi - lo < 1e-12 * max(1, abs(lo)) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let rough = (hi - lo) / Double(target)
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough * 0.999 } ?? 10 * magnitude
        let first = floor(lo / step + 1e-9), last = ceil(hi / step - 1e-9)
        return stride(from: first, through: last, by: 1).map { ($0 * step * 1e12).rounded() / 1e12 }
    }

    /// 1-2-5 ticks per decade (only powers of ten when that would be more than 12), from the largest one
    /// at or below `low` to the smallest at or above `high`; both must be positive.
    public static func logarithmic(_ low: Double, _ high: Double) -> [Double] {
        let firstDecade = Int(floor(log10(low) + 1e-9)), lastDecade = Int(ceil(log10(high) - 1e-9))
        func candidates(_ mantissas: [Double]) -> [Double] {
            var all: [Double] = []
            for d in (firstDecade - 1)...(lastDecade + 1) {
                for m in mantissas { all.append(Double("\(Int(m))e\(d)")!) }
            }
            var lowIndex = all.lastIndex { $0 <= low * (1 + 1e-9) } ?? 0
            var highIndex = all.firstIndex { $0 >= high * (1 - 1e-9) } ?? all.count - 1
            if lowIndex >= highIndex { lowIndex = max(0, lowIndex - 1); highIndex = min(all.count - 1, highIndex + 1) }
            return Array(all[lowIndex...highIndex])
        }
        let dense = candidates([1, 2, 5])
        return dense.count <= 12 ? dense : candidates([1])
    }

    /// Tick text: enough decimals for the step, no float noise (0.30000000000000004 prints as 0.3).
    public static func label(_ value: Double, step: Double) -> String {
        if step > 0, step.isFinite, step < 1e6 {
            let decimals = max(0, min(10, Int(-floor(log10(step) + 1e-9))))
            return String(format: "%.\(decimals)f", value)
        }
        return String(format: "%g", value)
    }
}

/// Where the plot area sits and how data maps onto it; public so tests can find a point's pixel.
public struct PlotLayout: Sendable {
    public var width: Int, height: Int
    public var left: Int, top: Int, right: Int, bottom: Int
    public var xTicks: [Double], yTicks: [Double]
    public var logX: Bool
    public var textScale: Int
    public var legendX: Int

    public func px(_ x: Double) -> Int {
        let (lo, hi) = (xTicks.first!, xTicks.last!)
        let t = logX ? (log10(x) - log10(lo)) / (log10(hi) - log10(lo)) : (x - lo) / (hi - lo)
        return left + Int((t * Double(right - left)).rounded())
    }

    public func py(_ y: Double) -> Int {
        let (lo, hi) = (yTicks.first!, yTicks.last!)
        return bottom - Int(((y - lo) / (hi - lo) * Double(bottom - top)).rounded())
    }
}

/// Line plots of `PlotSeries`: axes with numeric ticks, axis titles, legend right of the plot, one
/// colour per series, error bars where points carry them.
public enum LinePlot {
    /// Tableau 10: distinct on screen and in print; series beyond ten reuse them in order.
    public static let palette: [Color] = [
        Color(r: 31, g: 119, b: 180), Color(r: 255, g: 127, b: 14), Color(r: 44, g: 160, b: 44),
        Color(r: 214, g: 39, b: 40), Color(r: 148, g: 103, b: 189), Color(r: 140, g: 86, b: 75),
        Color(r: 227, g: 119, b: 194), Color(r: 127, g: 127, b: 127), Color(r: 188, g: 189, b: 34),
        Color(r: 23, g: 190, b: 207),
    ]
    static let grid = Color(gray: 228)
    static let maxLegendCharacters = 28

    public static func layout(_ series: [PlotSeries], spec: PlotSpec) throws -> PlotLayout {
        try spec.validate()
        let points = series.flatMap(\.points)
        guard !points.isEmpty else { throw RenderError.data("nothing to plot") }
        if spec.logX, let bad = points.first(where: { !($0.x > 0) }) {
            throw RenderError.data("--log-x needs positive x values, got \(bad.x)")
        }
        let xs = points.map(\.x)
        let ys = points.flatMap { p in [p.y - (p.error ?? 0), p.y + (p.error ?? 0)] }
        let xTicks = spec.logX ? PlotTicks.logarithmic(xs.min()!, xs.max()!) : PlotTicks.linear(xs.min()!, xs.max()!)
        let yTicks = PlotTicks.linear(ys.min()!, ys.max()!)
        let t = spec.width >= 480 && spec.height >= 320 ? 2 : 1
        let line = BitmapFont.lineHeight * t, pad = 4 * t
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        let yLabelWidth = yTicks.map { BitmapFont.width(of: PlotTicks.label($0, step: yStep), scale: t) }.max() ?? 0
        let names = series.map { BitmapFont.fitted($0.name, maxCharacters: maxLegendCharacters) }
        let legendWidth = (names.map { BitmapFont.width(of: $0, scale: t) }.max() ?? 0) + 14 * t + 2 * pad
        let top = pad + (spec.title == nil ? 0 : line + pad) + line + pad   // title, then the y-axis title
        let left = pad + yLabelWidth + 3 * t + pad
        let bottom = spec.height - (pad + line + pad + line + 3 * t + pad)
        let right = spec.width - legendWidth - pad
        guard right - left >= 40, bottom - top >= 40 else {
            throw RenderError.argument("plot size \(spec.width)×\(spec.height) leaves no room for the axes and legend")
        }
        return PlotLayout(width: spec.width, height: spec.height, left: left, top: top, right: right, bottom: bottom,
                          xTicks: xTicks, yTicks: yTicks, logX: spec.logX, textScale: t, legendX: right + 2 * pad)
    }

    public static func render(_ series: [PlotSeries], spec: PlotSpec) throws -> Raster {
        let l = try layout(series, spec: spec)
        let t = l.textScale, line = BitmapFont.lineHeight * t, pad = 4 * t
        var r = try Raster(width: l.width, height: l.height, format: .rgb, background: .white)
        // Grid lines, ticks and tick labels.
        let xStep = l.xTicks.count > 1 ? l.xTicks[1] - l.xTicks[0] : 1
        let yStep = l.yTicks.count > 1 ? l.yTicks[1] - l.yTicks[0] : 1
        for x in l.xTicks {
            let px = l.px(x)
            r.fill(x: px, y: l.top, width: 1, height: l.bottom - l.top, color: grid)
            r.fill(x: px, y: l.bottom, width: 1, height: 3 * t, color: .black)
            let text = l.logX ? String(format: "%g", x) : PlotTicks.label(x, step: xStep)
            r.draw(text: text, x: px - BitmapFont.width(of: text, scale: t) / 2, y: l.bottom + 3 * t + pad, scale: t)
        }
        for y in l.yTicks {
            let py = l.py(y)
            r.fill(x: l.left, y: py, width: l.right - l.left, height: 1, color: grid)
            r.fill(x: l.left - 3 * t, y: py, width: 3 * t, height: 1, color: .black)
            let text = PlotTicks.label(y, step: yStep)
            r.draw(text: text, x: l.left - 3 * t - pad / 2 - BitmapFont.width(of: text, scale: t), y: py - line / 2 + t, scale: t)
        }
        // Frame.
        r.fill(x: l.left, y: l.top, width: l.right - l.left + 1, height: 1, color: .black)
        r.fill(x: l.left, y: l.bottom, width: l.right - l.left + 1, height: 1, color: .black)
        r.fill(x: l.left, y: l.top, width: 1, height: l.bottom - l.top + 1, color: .black)
        r.fill(x: l.right, y: l.top, width: 1, height: l.bottom - l.top + 1, color: .black)
        // Titles: plot title on top, y title above the y axis, x title centred below the tick labels.
        var textY = pad
        if let title = spec.title {
            r.draw(text: title, x: max(pad, (l.left + l.right - BitmapFont.width(of: title, scale: t)) / 2), y: textY, scale: t)
            textY += line + pad
        }
        let yTitle = spec.yLabel ?? (spec.yScale == 1 ? spec.y : "\(spec.y) x\(String(format: "%g", spec.yScale))")
        r.draw(text: yTitle, x: pad, y: textY, scale: t)
        let xTitle = (spec.xLabel ?? spec.x) + (spec.logX && spec.xLabel == nil ? " (log scale)" : "")
        r.draw(text: xTitle, x: (l.left + l.right - BitmapFont.width(of: xTitle, scale: t)) / 2,
               y: l.bottom + 3 * t + pad + line + pad, scale: t)
        // Series: error bars, then lines, then markers on top.
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            for p in s.points {
                guard let e = p.error, e > 0 else { continue }
                let (px, hi, lo) = (l.px(p.x), l.py(p.y + e), l.py(p.y - e))
                r.fill(x: px, y: hi, width: 1, height: lo - hi + 1, color: color)
                r.fill(x: px - 2 * t, y: hi, width: 4 * t + 1, height: 1, color: color)
                r.fill(x: px - 2 * t, y: lo, width: 4 * t + 1, height: 1, color: color)
            }
            for (a, b) in zip(s.points, s.points.dropFirst()) {
                r.drawLine(from: (l.px(a.x), l.py(a.y)), to: (l.px(b.x), l.py(b.y)), thickness: t, color: color)
            }
            for p in s.points {
                r.fill(x: l.px(p.x) - 2 * t, y: l.py(p.y) - 2 * t, width: 4 * t + 1, height: 4 * t + 1, color: color)
            }
        }
        // Legend: a short line with a marker, then the name.
        for (i, s) in series.enumerated() {
            let color = palette[i % palette.count]
            let y = l.top + pad + i * (line + pad)
            r.drawLine(from: (l.legendX, y + line / 2), to: (l.legendX + 10 * t, y + line / 2), thickness: t, color: color)
            r.fill(x: l.legendX + 5 * t - 2 * t, y: y + line / 2 - 2 * t, width: 4 * t + 1, height: 4 * t + 1, color: color)
            r.draw(text: BitmapFont.fitted(s.name, maxCharacters: maxLegendCharacters), x: l.legendX + 14 * t, y: y, scale: t)
        }
        return r
    }
}

extension Raster {
    /// A straight line (Bresenham), each step a `thickness`-wide square; clipped to the raster.
    public mutating func drawLine(from a: (Int, Int), to b: (Int, Int), thickness: Int = 1, color: Color) {
        var (x, y) = a
        let dx = abs(b.0 - x), dy = -abs(b.1 - y)
        let sx = x < b.0 ? 1 : -1, sy = y < b.1 ? 1 : -1
        var error = dx + dy
        let half = (thickness - 1) / 2
        while true {
            fill(x: x - half, y: y - half, width: thickness, height: thickness, color: color)
            if x == b.0 && y == b.1 { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }
}
