import ArgumentParser
import DDBias
import DDCLI
import DDData
import DDFormat
import Foundation

extension ColoringKind: ExpressibleByArgument {}
extension BiasPalette: ExpressibleByArgument {}
extension BiasSplit: ExpressibleByArgument {}

/// dd-bias: argument parsing only; the transformations live in DDBias.
struct BiasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dd-bias",
        abstract: "Make a biased dataset (Colored MNIST and kin) or attach group labels to a dataset stream.",
        discussion: """
        --kind reads a grayscale u8 stream and writes an RGB one with labels, bias_labels (the colour index b; \
        b == label means bias-aligned) and groups (label·10 + b: 100 groups). color-digit multiplies the strokes \
        by the colour (LfF's Colored MNIST: ten colours, one jitter vector N(0, σ²) per image); color-background \
        paints the background and keeps the object (grey ≥ 32) as it is (for Fashion-MNIST).

        --bias-ratio R is the fraction of each class NOT in its own colour (0.05 ⇒ 95 % aligned, the rest spread \
        evenly over the other nine colours; exact counts by LfF's rounding rule, which samples by --seed). \
        R = 0.9 makes colours uniform per class: use it (or --conflicting-only, R = 1) on the test split for the \
        unbiased test set. --split train|val keeps the founding document's 45,000 / 5,000 images of MNIST's \
        60,000 (3/4 and 1/12 of any input; the same --seed gives disjoint train and val at every ratio).

        --groups-from FILE attaches one group label per image to any stream (grey or RGB, no colouring): a \
        text file with one integer per line, or a tensor stream with a `groups` record (or, for a plain \
        tensor stream, its only 1-D integer record). See docs/bias.md.

        Examples:
          dd-fetch mnist | dd-bias --kind color-digit --bias-ratio 0.05 \\
            --split train -o train.ddt
          dd-fetch mnist | dd-bias --kind color-digit --split val -o val.ddt
          dd-fetch mnist --split test | dd-bias --kind color-digit \\
            --bias-ratio 0.9 -o test-unbiased.ddt
          dd-fetch mnist --split test | dd-bias --kind color-digit \\
            --conflicting-only -o test-conflicting.ddt
          dd-fetch fashion-mnist | dd-bias --kind color-background -o bg.ddt
          dd-bias data.ddt --groups-from groups.txt -o data-groups.ddt
        """)

    @Argument(help: "Input dataset stream; - or nothing for stdin.")
    var input: String?

    @Option(name: .shortAndLong, help: "Output stream path (default: stdout; never a terminal).")
    var output: String?

    @Option(help: ArgumentHelp("What to colour: the digit strokes or the background.", valueName: "KIND"))
    var kind: ColoringKind?

    @Option(name: .customLong("bias-ratio"),
            help: ArgumentHelp("Fraction of bias-conflicting samples per class, 0…1 (default 0.05; 0.9 = uniform colours, the unbiased test set).",
                               valueName: "R"))
    var biasRatio: Double?

    @Flag(name: .customLong("conflicting-only"), help: "Every image in a colour other than its class's (= --bias-ratio 1).")
    var conflictingOnly = false

    @Option(help: ArgumentHelp("Colour set: LfF's ten colours or ReBias/FairDD's.", valueName: "NAME"))
    var palette: BiasPalette = .lff

    @Option(help: ArgumentHelp("Standard deviation of the per-image colour jitter (LfF severity 4).", valueName: "S"))
    var jitter: Double = 0.005

    @Option(help: ArgumentHelp("Images to keep (train = 3/4, val = 1/12 of the input, drawn by --seed).",
                               valueName: "SPLIT"))
    var split: BiasSplit = .all

    @Option(name: .customLong("groups-from"), help: ArgumentHelp("Attach these group labels instead of colouring.", valueName: "FILE"))
    var groupsFrom: String?

    @Option(help: "zlib level for the stream payloads, 0 (store) to 9.")
    var level: Int = 1

    @OptionGroup var common: CommonOptions

    /// A groups file is read whole; this bounds it (a 100-million-line text file).
    static let maxGroupsFileBytes = 1 << 30

    func validate() throws {
        guard (0...9).contains(level) else { throw ValidationError("--level must be 0…9, got \(level)") }
        if kind == nil && groupsFrom == nil {
            throw ValidationError("give --kind (\(ColoringKind.validNames)) to colour, or --groups-from FILE to attach groups")
        }
        if kind != nil && groupsFrom != nil {
            throw ValidationError("--kind and --groups-from exclude each other (colouring makes its own groups)")
        }
        if groupsFrom == "-" && (input == nil || input == "-") {
            throw ValidationError("stdin (-) can be read only once: give the input or the groups file as a path")
        }
        if kind == nil && (biasRatio != nil || conflictingOnly) {
            throw ValidationError("--bias-ratio and --conflicting-only need --kind")
        }
        if let r = biasRatio, !(r >= 0 && r <= 1) {
            throw ValidationError("--bias-ratio must be in [0, 1] (the fraction of bias-conflicting samples), got \(r)")
        }
        if conflictingOnly, let r = biasRatio, r != 1 {
            throw ValidationError("--conflicting-only means --bias-ratio 1, got --bias-ratio \(r)")
        }
        guard jitter >= 0 && jitter <= 1 else { throw ValidationError("--jitter must be in [0, 1], got \(jitter)") }
    }

    func run() throws {
        let log = Log(tool: "dd-bias", quiet: common.quiet)
        Signals.install(.cleanupAndExit)
        Tool.run(log) {
            let out = try OutputFile(output)   // refuses a terminal before any reading
            let source = try InputFile(input)
            let started = Date()
            let dataset = try inFile(source.displayName) { try Dataset.read(from: StreamReader(fileDescriptor: source.fd)) }
            guard dataset.count > 0 else { throw ToolError.data("\(source.displayName): the input holds no images") }
            var result: Dataset
            if let kind {
                var options = BiasOptions(kind: kind)
                options.conflictingRatio = conflictingOnly ? 1 : biasRatio ?? 0.05
                options.palette = palette
                options.jitter = jitter
                options.split = split
                options.seed = common.seed
                result = try inFile(source.displayName) { try BiasedDataset.make(from: dataset, options: options) }
            } else {
                let file = try InputFile(groupsFrom)
                let bytes = try file.readAll(limit: Self.maxGroupsFileBytes)
                let groups = try GroupLabels.parse(bytes, name: file.displayName)
                result = try GroupLabels.attach(groups, to: dataset, file: file.displayName)
                result = try BiasedDataset.select(result, split: split, seed: common.seed)
            }
            result.provenance["tool"] = "dd-bias"
            result.provenance["command"] = CommandLine.arguments.joined(separator: " ")
            try result.write(to: out, options: WriterOptions(level: level, threads: common.resolvedThreads))
            try out.commit()
            let what = kind.map { "\($0.rawValue), bias ratio \(conflictingOnly ? 1 : biasRatio ?? 0.05)" } ?? "groups attached"
            log.info(String(format: "wrote %d images (%@, %@) to %@ in %.2fs", result.count, result.geometry.description,
                            what, out.displayName, Date().timeIntervalSince(started)))
        }
    }
}

BiasCommand.runAsTool()
