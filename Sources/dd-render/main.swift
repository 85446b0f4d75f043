import ArgumentParser
import DDCLI
import DDData
import DDFormat
import DDRender
import Foundation

/// dd-render: argument parsing only; drawing lives in DDRender, file handling in DDCLI.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dd-render",
        abstract: "Draw a dataset or synthetic-set stream as a PNG grid (one row per class), or a line plot of JSON lines.",
        discussion: """
        Float images are un-normalised with the stream's own mean and std (x·std + mean, clamped to \
        [0, 1]); u8 images are drawn as stored. 1-channel images give a grayscale PNG, 3-channel an RGB \
        one. Rows are classes, or groups when the stream carries group labels (see --rows). Several \
        inputs are drawn side by side, each titled with its name (e.g. snapshots of a synthetic set).

        Examples:
          dd-fetch fashion-mnist | dd-render --per-class 10 --scale 2 -o grid.png
          dd-render syn.ddt --classes 0-4,Sneaker --no-labels -o syn.png
          dd-render syn.ddt --npz syn.npz          (export for numpy, no PNG)
          dd-render step100.ddt step1000.ddt --scale 3 -o evolution.png

        Line plots (--plot): the inputs are JSON-lines files, e.g. what dd-eval --json writes (with --tag \
        KEY=VALUE to record a method or a bias ratio). One line per --series value (or per file), x ascending, \
        error bars from a {mean, std} y value or --err; repeated x values in a series are averaged.
          dd-render --plot bias.jsonl -x tags.ratio -y accuracy --series tags.method \\
            --log-x --percent --title "CMNIST, IPC 10" -o plot.png
          dd-render --plot a.jsonl b.jsonl -x tags.ipc -y groups.worst_group -o w.png
        """)

    @Argument(help: ArgumentHelp("Input streams: paths, or - for stdin (the default).", valueName: "INPUT"))
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("PNG output path; - or none means stdout (never a terminal).",
                                                    valueName: "OUT.png"))
    var output: String?

    @Option(name: .customLong("per-class"), help: "Images per row: the first N of each class in stream order.")
    var perClass = 10

    @Option(help: "Integer upscaling of every image (nearest neighbour), 1…64.")
    var scale = 1

    @Flag(inversion: .prefixedNo, help: "Draw class (or group) names left of each row.")
    var labels = true

    @Option(help: ArgumentHelp("Classes to draw, in row order: indices, ranges and names, e.g. 0,3-5,Sneaker.",
                               valueName: "LIST"))
    var classes: String?

    enum Rows: String, ExpressibleByArgument, CaseIterable { case auto, `class`, group }

    @Option(help: "One row per class or per group; auto uses groups when the stream has group labels.")
    var rows = Rows.auto

    @Option(help: "Title drawn above the grid.")
    var title: String?

    @Option(help: "Pixels between cells, 0…16.")
    var gutter = 1

    @Option(help: ArgumentHelp("Also export the stream as a numpy .npz; without -o, no PNG is drawn.",
                               valueName: "OUT.npz"))
    var npz: String?

    @OptionGroup var plotOptions: PlotOptions

    @OptionGroup var common: CommonOptions

    /// With --npz the whole stream is held in memory once; beyond this it is refused, not swapped.
    static let maxBufferedInput = 8 << 30

    func validate() throws {
        guard inputs.filter({ $0 == "-" }).count <= 1 else {
            throw ValidationError("stdin (-) can be read only once")
        }
        if plotOptions.plot {
            if npz != nil { throw ValidationError("--npz exports a stream; it does not apply to --plot") }
            _ = try plotOptions.spec(title: title)
            return
        }
        if plotOptions.usedWithoutPlot { throw ValidationError("-x, -y, --series and the other plot options need --plot") }
        if npz == "-" { throw ValidationError("--npz needs a file path (it is a zip archive)") }
        if npz != nil && inputs.count > 1 { throw ValidationError("--npz exports one input, got \(inputs.count)") }
        do {
            try gridOptions().validate()
        } catch let error as RenderError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let log = Log(tool: "dd-render", quiet: common.quiet)
        Signals.install(.cleanupAndExit)
        Tool.run(log) {
            if plotOptions.plot { return try runPlot(log: log) }
            let drawPNG = npz == nil || output != nil
            // Open the PNG output first: a terminal on stdout is refused before any reading.
            let pngOutput = drawPNG ? try OutputFile(output, binary: true) : nil
            var panels: [(name: String, dataset: Dataset)] = []
            for name in inputs.isEmpty ? ["-"] : inputs {
                let input = try InputFile(name)
                if let npz {
                    // One read of the input feeds both outputs, so stdin works with --npz too.
                    let bytes = try input.readAll(limit: Self.maxBufferedInput)
                    let file = try OutputFile(npz, binary: true)
                    let records = try inFile(input.displayName) {
                        try NPZWriter.export(StreamReader(bytes: bytes), to: file)
                    }
                    try file.commit()
                    log.info("exported \(records) records of \(input.displayName) to \(npz)")
                    guard drawPNG else { continue }
                    panels.append((input.displayName,
                                   try inFile(input.displayName) { try Dataset.read(from: StreamReader(bytes: bytes)) }))
                } else {
                    panels.append((input.displayName, try inFile(input.displayName) {
                        try Dataset.read(from: StreamReader(fileDescriptor: input.fd))
                    }))
                }
            }
            guard let pngOutput else { return }
            let image = try GridRenderer.render(panels, options: gridOptions(), classList: classes)
            let sources = panels.map { "\($0.name): \($0.dataset.name) \($0.dataset.contentDigest ?? "")" }
            try pngOutput.write(try PNGEncoder.encode(image, text: provenanceText(sources)))
            try pngOutput.commit()
            log.info("wrote \(image.width)×\(image.height) PNG to \(pngOutput.displayName)")
        }
    }

    private func gridOptions() -> GridOptions {
        var o = GridOptions()
        o.perRow = perClass
        o.scale = scale
        o.gutter = gutter
        o.labels = labels
        o.title = title
        switch rows {
        case .auto: o.rows = .auto
        case .class: o.rows = .classes
        case .group: o.rows = .groups
        }
        return o
    }

    /// tEXt chunks that say how the image was made; no timestamp, so equal inputs give equal bytes.
    private func provenanceText(_ sources: [String]) -> [(keyword: String, value: String)] {
        let command = (["dd-render"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        return [("Software", "dd-render"), ("Comment", command), ("Source", sources.joined(separator: "; "))]
    }
}

RenderCommand.runAsTool()
