import ArgumentParser
import DDAugment
import DDCLI
import DDData
import DDEval
import DDFormat
import DDKernels
import DDNN
import DDTrain
import Foundation

extension EvalAugmentation: ExpressibleByArgument {}
enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable { case reference, constant }
enum BaselineChoice: String, ExpressibleByArgument, CaseIterable { case random }
extension OptimizerKind: ExpressibleByArgument {}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dd-eval",
        abstract: "Train fresh networks on a dataset stream and report their test accuracy (the standard protocol).",
        discussion: """
        TRAIN is any dataset or synthetic-set stream (path, or stdin when absent or -). TEST is a test-split stream \
        path or a dataset name fetched as dd-fetch does (--test mnist; --from DIR or $DD_DATA).

        Default protocol (reference/protocols.md §3.1): 5 networks per architecture with seeds derived from --seed, \
        SGD lr 0.01 momentum 0.9 weight decay 5e-4, batch 256, epochs 0…E (E+1 passes) with lr ×0.1 and the optimiser \
        rebuilt after epoch E//2+1 (502 + 499 epochs for E = 1000), E = 1000 with DSA (default) or 300 with --aug none; images normalised with the \
        stream's own mean/std. --aug dc is DC's own protocol (§3.2): one of crop / scale / rotate per image on MNIST \
        (E = 1000), no augmentation and E = 300 elsewhere. --lr-from-set uses the learned step size the set carries (metadata `syn_lr`). Soft \
        labels are used when the stream has them (--hard-labels forces argmax).

        Architectures: \(NetworkSpec.validNames)

        Examples:
          dd-eval syn.ddt --test mnist
          dd-eval syn.ddt --test mnist --arch convnet,lenet,resnet18 --json results.jsonl
          dd-eval dc-syn.ddt --test mnist --aug dc
          dd-eval syn.ddt --test cmnist-test.ddt --json bias.jsonl --tag method=dm --tag ratio=0.05
          dd-fetch mnist --per-class 10 | dd-eval --test mnist --nets 5
          dd-eval syn.ddt --test mnist --baseline random --baseline-source mnist --full-accuracy 0.9945
          dd-fetch mnist | dd-eval --test mnist --aug none --epochs 9 --nets 1
          dd-eval syn.ddt --test mnist --shard 0/2 --threads 1 --json r.jsonl &   # one shard per core, one file
          dd-eval syn.ddt --test mnist --shard 1/2 --threads 1 --json r.jsonl
        """)

    @Argument(help: "Training stream (dataset or synthetic); - or nothing for stdin.")
    var train: String?

    @Option(help: "Test-split stream path, or a dataset name fetched like dd-fetch (test split).")
    var test: String

    @Option(help: "Comma-separated architectures (e.g. convnet,lenet,resnet18-bn).")
    var arch: String = "convnet"

    @Option(help: "Networks per architecture.")
    var nets: Int = 5

    @Option(help: ArgumentHelp("Train only networks k ≡ i (mod n) of the --nets (e.g. one shard per core or per job-array task); network k's seed depends only on --seed and k, so the shards' --json network lines together are those of one full run.", valueName: "i/n"))
    var shard: String?

    @Option(help: ArgumentHelp("Train only these 0-based networks of the --nets (e.g. 3,4: finish a run another process began).", valueName: "k,..."))
    var index: String?

    @Option(help: "The reference's epoch count E: trains epochs 0…E (E+1 passes). Default 1000 with DSA, 300 without.")
    var epochs: Int?

    @Option(help: "Training augmentation: dsa, dc (DC's own protocol: crop_scale_rotate on MNIST, none elsewhere) or none.")
    var aug: EvalAugmentation = .dsa

    @Option(name: .customLong("dc-strategy"), help: "With --aug dc: ops from crop, scale, rotate, noise joined by '_' (default: by dataset).")
    var dcStrategy: String?

    @Option(name: .customLong("dsa-strategy"), help: "DSA families (default: by dataset, no flip for digits).")
    var dsaStrategy: String?

    @Option(name: .customLong("dsa-mode"), help: "DSA mode: S (one family per batch) or M (all families).")
    var dsaMode: String = "S"

    @Option(help: "Optimiser: sgd or adam.")
    var optimizer: OptimizerKind = .sgd

    @Option(help: "Learning rate (default 0.01).")
    var lr: Double?

    @Flag(name: .customLong("lr-from-set"), help: "Use the learned step size the training stream carries (metadata syn_lr).")
    var lrFromSet = false

    @Option(help: "SGD momentum.")
    var momentum: Double = 0.9

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay on every parameter.")
    var weightDecay: Double = 5e-4

    @Option(help: "Training batch size.")
    var batch: Int = 256

    @Option(help: "lr schedule: reference (×0.1 after epoch E//2+1, optimiser rebuilt) or constant.")
    var schedule: ScheduleChoice = .reference

    @Option(help: "Sampling of each epoch: none (a fresh permutation, the protocol) or groups (each draw a uniform (class, group) cell of TRAIN's group labels, then a uniform member: group-balanced resampling).")
    var balance: BalanceChoice = .none

    @Flag(name: .customLong("hard-labels"), help: "Train on argmax labels even when the stream has soft labels.")
    var hardLabels = false

    @Option(help: "Soft-label temperature.")
    var temperature: Double = 1

    @Option(name: .customLong("eval-batch"), help: "Test batch size.")
    var evalBatch: Int = 256

    @Option(help: "Also evaluate a baseline under the same recipe: random (a random real subset of the same IPC).")
    var baseline: BaselineChoice?

    @Option(name: .customLong("baseline-source"), help: "Real training stream or dataset name the random subset is drawn from (default: the test set's dataset, train split).")
    var baselineSource: String?

    @Option(name: .customLong("full-accuracy"), help: "Full-data accuracy (fraction or percent) for DD-Ranking's HLR.")
    var fullAccuracy: Double?

    @Option(help: "Append JSON lines (one per network, one summary per architecture) to this file.")
    var json: String?

    @Option(help: ArgumentHelp("Tag every JSON line with KEY=VALUE (repeatable; numbers stay numbers), e.g. --tag method=dm --tag ratio=0.05.",
                               valueName: "KEY=VALUE"))
    var tag: [String] = []

    @Flag(name: .customLong("report-stdout"), help: "Print the report table on stdout instead of stderr.")
    var reportStdout = false

    @Option(help: "Dataset mirror for --test/--baseline-source names (default: $DD_DATA).")
    var from: String?

    @Flag(name: .customLong("no-verify"), help: "Accept fetched files whose SHA-256 is not in the table.")
    var noVerify = false

    @Flag(help: "Never download datasets named by --test/--baseline-source.")
    var offline = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard nets >= 1 else { throw ValidationError("--nets must be at least 1, got \(nets)") }
        if let epochs, epochs < 0 { throw ValidationError("--epochs must be ≥ 0, got \(epochs)") }
        guard batch >= 1, evalBatch >= 1 else { throw ValidationError("--batch and --eval-batch must be at least 1") }
        if lrFromSet && lr != nil { throw ValidationError("--lr and --lr-from-set exclude each other") }
        if baselineSource != nil && baseline == nil { throw ValidationError("--baseline-source needs --baseline random") }
        guard DSAMode(rawValue: dsaMode.uppercased()) != nil else { throw ValidationError("--dsa-mode must be S or M, got \(dsaMode)") }
        if shard != nil && index != nil { throw ValidationError("--shard and --index exclude each other") }
        if let f = fullAccuracy, !(f >= 0 && f <= 100) { throw ValidationError("--full-accuracy must be a fraction or a percent") }
        if let bad = tag.first(where: { EvalReportContext.parseTag($0) == nil }) {
            throw ValidationError("--tag needs KEY=VALUE with a non-empty key, got \"\(bad)\"")
        }
    }

    func run() throws {
        let log = Log(tool: "dd-eval", quiet: common.quiet)
        Signals.install(.setFlag)
        Tool.run(log) {
            let threads = common.threads ?? ProcessInfo.processInfo.activeProcessorCount
            Threads.set(threads)
            let specs = try arch.split(separator: ",").map { name in
                do { return try NetworkSpec(parsing: String(name).trimmingCharacters(in: .whitespaces)) }
                catch { throw ToolError.usage("--arch: \(error)") }
            }
            guard !specs.isEmpty else { throw ToolError.usage("--arch: no architecture given") }
            let (train, trainMeta) = try readStream(train ?? "-", kinds: [.dataset, .synthetic])
            let test = try loadTest(test, split: .test)
            var configuration: EvalConfiguration
            do {
                let (recipe, lrSource) = try recipeOptions().recipe(for: train, metadata: trainMeta)
                configuration = EvalConfiguration(architectures: specs, networks: nets, baseSeed: common.seed, recipe: recipe,
                                                  evaluationBatch: evalBatch, learningRateSource: lrSource)
                configuration.selection = try networkSelection()
                try EvalSession.validate(train: train, test: test, configuration: configuration)
            } catch let error as EvalInputError {
                throw ToolError(error.message, exit: error.isUsage ? .usage : .dataError)
            }
            if baseline == .random {
                let source = baselineSource ?? test.provenance["dataset"] ?? test.name
                configuration.randomBaselineSource = try loadTest(source, split: .train)
                configuration.fullDataAccuracy = fullAccuracy.map { $0 > 1 ? $0 / 100 : $0 }
            }
            let recipe = configuration.recipe, lrSource = configuration.learningRateSource
            let soft = train.softLabels != nil && !hardLabels
            var context = EvalReportContext(train: train, test: test, configuration: configuration, softLabels: soft, threads: threads)
            for item in tag { if let (key, value) = EvalReportContext.parseTag(item) { context.tags[key] = value } }
            let jsonFile = try json.map(openAppend)
            log.info("\(specs.count) architecture(s) × \(nets) network(s): \(recipe.summary); lr from \(lrSource)")
            Tool.adviseOnBLAS(log)
            let started = Date()
            var epochStart = Date()
            let summaries: [ArchitectureSummary]
            do {
                summaries = try EvalSession.run(
                    train: train, test: test, hardLabels: hardLabels, configuration: configuration,
                    progress: { p in
                        if p.epoch == 0 { epochStart = Date() }
                        let elapsed = Date().timeIntervalSince(epochStart)
                        let eta = p.epoch > 0 ? elapsed / Double(p.epoch) * Double(p.epochs - p.epoch) : 0
                        let loss = p.loss.isFinite ? String(format: "  loss %.4f", p.loss) : ""
                        log.progress("\(p.architecture) \(p.subject == .train ? "" : "baseline ")network \(p.network)/\(p.networks)"
                                     + "  epoch \(p.epoch)/\(p.epochs)\(loss)  ETA \(formatDuration(eta))")
                    },
                    networkFinished: { outcome in
                        log.endProgress()
                        log.info(String(format: "%@ %@network %d/%d (seed %llu): accuracy %.2f%%, loss %.4f, %.1fs",
                                        outcome.architecture, outcome.subject == .train ? "" : "baseline ", outcome.index + 1,
                                        nets, outcome.seed, outcome.result.accuracy * 100, outcome.result.loss, outcome.trainSeconds))
                        try jsonFile?.append(EvalReport.networkLine(outcome, context: context))
                    },
                    shouldStop: { Signals.interrupted })
            } catch TrainingError.cancelled(let epoch) {
                log.endProgress()
                throw ToolError("interrupted by a signal in epoch \(epoch); finished networks were reported above"
                                + (json.map { " and in \($0)" } ?? ""), exit: .tempFail)
            } catch let error as EvalInputError {
                throw ToolError(error.message, exit: error.isUsage ? .usage : .dataError)
            } catch let error as TrainingError {
                throw ToolError(error.description, exit: .dataError)
            }
            log.endProgress()
            let rankings = RankingScores.from(summaries, fullData: configuration.fullDataAccuracy)
            for s in summaries {
                try jsonFile?.append(EvalReport.summaryLine(s, ranking: s.subject == .train ? rankings[s.architecture] : nil,
                                                            context: context))
            }
            let table = EvalReport.table(summaries, rankings: rankings, context: context,
                                         totalSeconds: Date().timeIntervalSince(started))
            if reportStdout { print(table, terminator: "") } else { Terminal.writeStderr(table) }
        }
    }

    /// Reads a dataset-like stream, returning it with its begin metadata.
    private func readStream(_ path: String, kinds: [StreamKind]) throws -> (Dataset, JSONValue?) {
        let input = try InputFile(path == "-" ? nil : path)
        return try inFile(input.displayName) {
            let reader = StreamReader(fileDescriptor: input.fd)
            let header = try reader.readStreamHeader()
            guard kinds.contains(header.kind) else {
                throw FormatError.unexpectedKind(found: header.kind.rawValue, expected: kinds.map(\.rawValue))
            }
            let dataset = try Dataset.read(from: reader)
            return (dataset, reader.streamHeader?.metadata)
        }
    }

    /// A stream (`-` or a file), or a registry dataset name fetched like dd-fetch (a directory of that name does
    /// not shadow it: `DatasetArgument.isStreamPath`).
    private func loadTest(_ name: String, split: Split) throws -> Dataset {
        if DatasetArgument.isStreamPath(name) {
            return try readStream(name, kinds: [.dataset]).0
        }
        guard (try? DatasetRegistry.spec(named: name)) != nil else {
            throw ToolError.noInput("\(name): no such file, and not a dataset name (\(DatasetRegistry.all.map(\.name).joined(separator: ", ")))")
        }
        var options = FetchOptions.standard(from: from, verify: !noVerify)
        options.allowDownload = !offline
        return try FetchRequest(name: name, split: split, options: options).run()
    }

    private func networkSelection() throws -> NetworkSelection {
        if let shard { return try NetworkSelection.parseShard(shard) }
        if let index { return try NetworkSelection.parseIndices(index) }
        return .all
    }

    private func recipeOptions() -> RecipeOptions {
        var o = RecipeOptions()
        o.referenceEpochs = epochs
        o.augment = aug
        o.dsaStrategy = dsaStrategy
        o.dcStrategy = dcStrategy
        o.dsaMode = DSAMode(rawValue: dsaMode.uppercased()) ?? .single
        o.optimizer = optimizer
        o.learningRate = lr
        o.learningRateFromSet = lrFromSet
        o.momentum = momentum
        o.weightDecay = weightDecay
        o.batchSize = batch
        o.referenceSchedule = schedule == .reference
        o.hardLabels = hardLabels
        o.temperature = temperature
        o.balanceGroups = balance == .groups
        return o
    }

    private func openAppend(_ path: String) throws -> JSONLinesFile { try JSONLinesFile(path) }
}

/// An append-only JSON-lines file; each line is written with one write(2) so concurrent runs interleave
/// whole lines.
final class JSONLinesFile {
    let path: String
    let fd: Int32
    init(_ path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolError("\(path): cannot open for appending: \(String(cString: strerror(errno)))", exit: .cantCreate) }
    }
    deinit { close(fd) }
    func append(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw ToolError.io("\(path): write failed: \(String(cString: strerror(errno)))") }
    }
}


EvalCommand.runAsTool()
