import ArgumentParser
import DDCLI
import DDData
import DDFormat
import Foundation

extension Split: ExpressibleByArgument {}

struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dd-fetch",
        abstract: "Fetch a real dataset, verify it and write it as a dd tensor stream.",
        discussion: """
        Datasets: \(DatasetRegistry.all.map { ([$0.name] + $0.aliases).joined(separator: "/") }.joined(separator: ", ")).

        Original files are looked for in --from DIR (or $DD_DATA) laid out as DIR/NAME/<original file names> (gzip or decompressed), then /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist), then $XDG_CACHE_HOME/dd/NAME, then downloaded with curl into that cache (not with --offline). The SHA-256 of the decompressed content must match the built-in table unless --no-verify (kmnist and cifar10 have no trusted digests and need it).

        The stream holds u8 N×C×H×W images, i32 labels, class names, the normalisation constants, provenance and a content digest (docs/datasets.md).

        Examples:
          dd-fetch mnist -o mnist.ddt
          dd-fetch fashion-mnist --split test | dd-render -o grid.png
          dd-fetch mnist --classes 0,1 --per-class 100 --seed 3 -o m01.ddt
          dd-fetch cifar10 --from /data/mirror --no-verify -o cifar10.ddt
        """)

    @Argument(help: "Dataset name (e.g. mnist, fashion-mnist, kmnist, cifar10).")
    var name: String

    @Option(help: "Which split: train or test.")
    var split: Split = .train

    @Option(help: "Keep only these classes (comma-separated indices or names); they are relabelled 0..<K in the order given.")
    var classes: String?

    @Option(name: .customLong("per-class"), help: "Keep N images per class, drawn at random with --seed.")
    var perClass: Int?

    @Flag(help: "With --per-class: take the first N of each class in file order instead of a random draw.")
    var first = false

    @Option(help: "Mirror directory holding NAME/<original files> (default: $DD_DATA).")
    var from: String?

    @Flag(name: .customLong("no-verify"), help: "Accept content whose SHA-256 differs from (or is missing in) the built-in table.")
    var noVerify = false

    @Flag(help: "Never download: use only the mirror, system directories and cache.")
    var offline = false

    @Option(help: "zlib level for the stream payloads, 0 (store) to 9.")
    var level: Int = 1

    @Option(name: .shortAndLong, help: "Output path (default: stdout; never a terminal).")
    var output: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (0...9).contains(level) else { throw ValidationError("--level must be 0…9, got \(level)") }
        if let perClass, perClass < 1 { throw ValidationError("--per-class must be at least 1, got \(perClass)") }
        if first && perClass == nil { throw ValidationError("--first needs --per-class") }
    }

    func run() throws {
        let log = Log(tool: "dd-fetch", quiet: common.quiet)
        Signals.install(.cleanupAndExit)
        Tool.run(log) {
            let out = try OutputFile(output)   // refuses a terminal before any slow work
            var request = FetchRequest(name: name, split: split, perClass: perClass, firstPerClass: first,
                                       seed: common.seed, options: .standard(from: from, verify: !noVerify))
            request.options.allowDownload = !offline
            if let classes { request.classes = try FetchRequest.parseClassList(classes) }
            var dataset = try request.run()
            dataset.provenance["tool"] = "dd-fetch"
            dataset.provenance["command"] = CommandLine.arguments.joined(separator: " ")
            try dataset.write(to: out, options: WriterOptions(level: level, threads: common.resolvedThreads))
            try out.commit()
            let g = dataset.geometry
            log.info("wrote \(dataset.count) images (\(dataset.name) \(split.rawValue), \(g), \(dataset.classCount) classes) to \(out.displayName)")
        }
    }
}

Fetch.runAsTool()
