import DDFormat
import Foundation

/// What to plot from JSON lines: field paths are dotted (`accuracy.mean`, `groups.worst_group.mean`); a
/// path not found at the top level is also looked up under `tags` (what `dd-eval --tag` writes).
public struct PlotSpec: Sendable, Equatable {
    public var x: String
    public var y: String
    /// Half-height of each error bar; nil uses the `std` beside a `{mean, std}` y value, if any.
    public var error: String?
    /// Field whose value names each line; nil makes one line per input file.
    public var series: String?
    /// Keep only lines whose field (dotted path) has this value (its JSON text, or the string itself).
    public var filters: [Filter] = []
    /// Multiplies y and error bars (100 turns fractions into percent).
    public var yScale = 1.0
    public var logX = false
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var width = 720
    public var height = 480

    public struct Filter: Sendable, Equatable {
        public var field: String
        public var value: String
        public init(field: String, value: String) { self.field = field; self.value = value }
    }

    public init(x: String, y: String) { self.x = x; self.y = y }

    public func validate() throws {
        guard !x.isEmpty, !y.isEmpty else { throw RenderError.argument("-x and -y need field names") }
        guard (160...8000).contains(width), (120...8000).contains(height) else {
            throw RenderError.argument("plot size \(width)×\(height) is outside 160×120…8000×8000")
        }
        guard yScale.isFinite, yScale != 0 else { throw RenderError.argument("y scale must be finite and non-zero") }
    }
}

public struct PlotPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var error: Double?
    public init(x: Double, y: Double, error: Double? = nil) { self.x = x; self.y = y; self.error = error }
}

/// One line of the plot: points sorted by x, one per distinct x.
public struct PlotSeries: Sendable, Equatable {
    public var name: String
    public var points: [PlotPoint]
    public init(name: String, points: [PlotPoint]) { self.name = name; self.points = points }
}

public enum PlotData {
    /// Longest accepted line; dd-eval's lines are a few kilobytes.
    public static let maxLineBytes = 1 << 22

    /// Reads the JSON lines of every file into series. Lines without a numeric x or y are skipped (a
    /// `network` line has no `accuracy.mean`); files holding dd-eval `summary` lines use only those unless a
    /// filter names `type`. Several points of one series at one x become their mean, with their population
    /// std as the error bar.
    public static func load(_ files: [(name: String, bytes: [UInt8])], spec: PlotSpec) throws -> [PlotSeries] {
        var records: [(file: String, line: Int, value: JSONValue)] = []
        for file in files {
            var number = 0
            for raw in file.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                number += 1
                guard raw.contains(where: { $0 != 32 && $0 != 9 && $0 != 13 }) else { continue }
                guard raw.count <= maxLineBytes else {
                    throw RenderError.data("\(file.name): line \(number) is longer than \(maxLineBytes) bytes")
                }
                do {
                    records.append((file.name, number, try JSONValue.parse(Array(raw))))
                } catch {
                    throw RenderError.data("\(file.name): line \(number): invalid JSON (\(oneLine(error)))")
                }
            }
        }
        var filters = spec.filters
        if !filters.contains(where: { $0.field == "type" }),
           records.contains(where: { $0.value["type"]?.stringValue == "summary" }) {
            filters.append(.init(field: "type", value: "summary"))
        }
        var grouped: [String: [Double: [PlotPoint]]] = [:]
        var order: [String] = []
        for record in records {
            let v = record.value
            guard filters.allSatisfy({ field($0.field, in: v).map(text) == $0.value }) else { continue }
            guard let xValue = field(spec.x, in: v), let yValue = field(spec.y, in: v) else { continue }
            func location() -> String { "\(record.file): line \(record.line)" }
            guard let x = number(xValue) else {
                throw RenderError.data("\(location()): x field \(spec.x) is \(xValue.serialized()), not a number")
            }
            guard let (y, yStd) = numberOrMean(yValue) else { continue }   // null: a failed run, nothing to draw
            var error = yStd
            if let path = spec.error {
                error = field(path, in: v).flatMap(numberOrMean).map(\.value)
            }
            let name: String
            if let path = spec.series {
                name = field(path, in: v).map(text) ?? "(no \(path))"
            } else {
                name = files.count > 1 ? record.file : spec.y
            }
            if grouped[name] == nil { order.append(name) }
            grouped[name, default: [:]][x, default: []].append(
                PlotPoint(x: x, y: y * spec.yScale, error: error.map { abs($0 * spec.yScale) }))
        }
        guard !order.isEmpty else {
            throw RenderError.data("no line of \(files.map(\.name).joined(separator: ", ")) has a numeric \(spec.x) and \(spec.y)"
                                   + (filters.isEmpty ? "" : " (with \(filters.map { "\($0.field)=\($0.value)" }.joined(separator: ", ")))"))
        }
        return order.map { name in
            let points = grouped[name]!.sorted { $0.key < $1.key }.map { x, points -> PlotPoint in
                guard points.count > 1 else { return points[0] }
                let ys = points.map(\.y)
                let mean = ys.reduce(0, +) / Double(ys.count)
                let std = (ys.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ys.count)).squareRoot()
                return PlotPoint(x: x, y: mean, error: std)
            }
            return PlotSeries(name: name, points: points)
        }
    }

    /// The value at a dotted path, falling back to `tags.<path>`.
    public static func field(_ path: String, in value: JSONValue) -> JSONValue? {
        func walk(_ v: JSONValue, _ parts: [Substring]) -> JSONValue? {
            var current = v
            for part in parts {
                guard let next = current[String(part)] else { return nil }
                current = next
            }
            return current
        }
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        return walk(value, parts) ?? value["tags"].flatMap { walk($0, parts) }
    }

    /// A number, or a string that reads as one (tags written by hand).
    static func number(_ v: JSONValue) -> Double? {
        if let x = v.doubleValue, x.isFinite { return x }
        if let s = v.stringValue, let x = Double(s), x.isFinite { return x }
        return nil
    }

    /// A number, or a `{mean, std}` object's mean with its std.
    static func numberOrMean(_ v: JSONValue) -> (value: Double, std: Double?)? {
        if let x = number(v) { return (x, nil) }
        if let mean = v["mean"].flatMap(number) { return (mean, v["std"].flatMap(number)) }
        return nil
    }

    /// How a value names a series or matches a filter: strings as themselves, numbers in %g form.
    static func text(_ v: JSONValue) -> String {
        if let s = v.stringValue { return s }
        if let x = v.doubleValue { return String(format: "%g", x) }
        return v.serialized()
    }

    static func oneLine(_ error: Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
