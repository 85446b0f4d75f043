import ArgumentParser
import DDCLI
import DDRender

/// The `--plot` mode of dd-render: line plots from JSON lines (dd-eval --json).
struct PlotOptions: ParsableArguments {
    @Flag(help: "Draw a line plot from JSON-lines inputs (e.g. dd-eval --json) instead of an image grid.")
    var plot = false

    @Option(name: [.customShort("x"), .customLong("x-field")], help: ArgumentHelp(
        "--plot: x field, a dotted path (tags.ratio); paths not found at the top level are looked up under tags.",
        valueName: "FIELD"))
    var xField: String?

    @Option(name: [.customShort("y"), .customLong("y-field")], help: ArgumentHelp(
        "--plot: y field, e.g. accuracy (a {mean, std} value plots its mean with std error bars) or groups.worst_group.",
        valueName: "FIELD"))
    var yField: String?

    @Option(name: .customLong("err"), help: ArgumentHelp("--plot: error-bar half-height field (default: the std beside y's mean).",
                                                         valueName: "FIELD"))
    var errorField: String?

    @Option(help: ArgumentHelp("--plot: field naming each line, e.g. tags.method (default: one line per input file).",
                               valueName: "FIELD"))
    var series: String?

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "--plot: keep lines whose FIELD equals VALUE (repeatable). dd-eval files use only their summary lines unless type is given.",
        valueName: "FIELD=VALUE"))
    var filters: [String] = []

    @Flag(help: "--plot: y and error bars ×100 (fractions as percent).")
    var percent = false

    @Flag(name: .customLong("log-x"), help: "--plot: logarithmic x axis (x must be positive).")
    var logX = false

    @Option(name: .customLong("x-label"), help: "--plot: x-axis title (default: the x field).")
    var xLabel: String?

    @Option(name: .customLong("y-label"), help: "--plot: y-axis title (default: the y field).")
    var yLabel: String?

    @Option(help: ArgumentHelp("--plot: image size in pixels.", valueName: "WxH"))
    var size = "720x480"

    /// Checked before any input is read; errors are usage errors.
    func spec(title: String?) throws -> PlotSpec {
        guard let xField, let yField else { throw ValidationError("--plot needs -x FIELD and -y FIELD") }
        var spec = PlotSpec(x: xField, y: yField)
        spec.error = errorField
        spec.series = series
        spec.yScale = percent ? 100 : 1
        spec.logX = logX
        spec.title = title
        spec.xLabel = xLabel
        spec.yLabel = yLabel ?? (percent ? "\(yField) (%)" : nil)
        for item in filters {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--where needs FIELD=VALUE, got \"\(item)\"")
            }
            spec.filters.append(.init(field: String(item[..<equals]), value: String(item[item.index(after: equals)...])))
        }
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else {
            throw ValidationError("--size needs WIDTHxHEIGHT, e.g. 720x480, got \"\(size)\"")
        }
        spec.width = w
        spec.height = h
        do { try spec.validate() } catch let error as RenderError { throw ValidationError(error.message) }
        return spec
    }

    /// Whether any plot-only option was given without --plot.
    var usedWithoutPlot: Bool {
        !plot && (xField != nil || yField != nil || errorField != nil || series != nil || !filters.isEmpty || percent || logX
                  || xLabel != nil || yLabel != nil || size != "720x480")
    }
}

extension RenderCommand {
    /// JSON-lines files are read whole; this bounds each one.
    static let maxPlotInput = 256 << 20

    func runPlot(log: Log) throws {
        let spec = try plotOptions.spec(title: title)
        let output = try OutputFile(output, binary: true)
        var files: [(name: String, bytes: [UInt8])] = []
        for name in inputs.isEmpty ? ["-"] : inputs {
            let input = try InputFile(name)
            files.append((input.displayName, try input.readAll(limit: Self.maxPlotInput)))
        }
        let series = try PlotData.load(files, spec: spec)
        let image = try LinePlot.render(series, spec: spec)
        let command = (["dd-render"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        try output.write(try PNGEncoder.encode(image, text: [("Software", "dd-render"), ("Comment", command)]))
        try output.commit()
        log.info("wrote a \(image.width)×\(image.height) plot of \(series.count) series "
                 + "(\(series.map(\.points.count).reduce(0, +)) points) to \(output.displayName)")
    }
}
