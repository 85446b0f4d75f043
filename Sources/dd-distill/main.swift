import ArgumentParser
import DDCLI
import DDData
import DDFormat
import DDMethods
import DDNN
import Foundation

extension DistillError: ExitStatusProviding {
    public var exitStatus: SysExit {
        switch kind {
        case .usage: return .usage
        case .badData: return .dataError
        case .noInput: return .noInput
        case .io: return .ioError
        }
    }
}

extension SyntheticInit: ExpressibleByArgument {}
extension ForgettingOrder: ExpressibleByArgument {}

/// dd-distill: argument parsing only; the methods and the loop live in DDMethods.
struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dd-distill",
        abstract: "Distil a dataset stream into a small synthetic set (DC, DSA, DM, MTT, TESLA) or select a coreset baseline.",
        discussion: """
        Methods: \(AnyDistillMethod.allNames.joined(separator: ", ")). Defaults are the published \
        hyper-parameters (DC/DSA: 1000 iterations, lr-img 0.1, momentum 0.5, batch-real 256, get_loops \
        table by IPC; DM: 20000 iterations, lr-img 1, real init, DSA; MTT/TESLA: 5000 iterations, lr-img 1000, \
        --syn-steps 20 --expert-epochs 2 --max-start-epoch 4 --lr-lr 1e-5 --lr-init 0.01, all images per \
        student step, docs/mtt.md). The output is a `synthetic` stream: \
        f32 images in the source's normalised space with its mean/std, labels, and metadata with every \
        hyper-parameter, the seed, the source digest, iterations done, wall time and a loss summary.

        Long runs: --checkpoint PATH --every K writes an atomic snapshot every K iterations and at the end \
        (--time-budget or the last iteration); SIGINT/SIGTERM writes one (to --checkpoint, else OUTPUT.ckpt \
        or ./dd-distill.ckpt) and exits 75 without output; --resume PATH continues to the same images as an \
        uninterrupted run, so budgeted jobs chain (a larger --iterations may extend a finished run). \
        --snapshots PATH appends the set every K iterations (dd-render PATH shows the last; the file is a \
        concatenation of streams). --init-from FILE starts from another set's images (e.g. a herding coreset).

        Examples:
          dd-fetch mnist | dd-distill --method dm --ipc 10 --time-budget 600 -o syn.ddt
          dd-distill mnist.ddt --method dc --ipc 1 --checkpoint dc.ckpt --every 10 -o dc.ddt
          dd-distill mnist.ddt --method dc --ipc 1 --resume dc.ckpt --checkpoint dc.ckpt -o dc.ddt
          dd-distill mnist.ddt --method dc --ipc 10 --time-budget 3000 --checkpoint dc.ckpt -o dc.ddt   # job 1
          dd-distill mnist.ddt --method dc --ipc 10 --time-budget 3000 --resume dc.ckpt --checkpoint dc.ckpt -o dc.ddt
          dd-distill mnist.ddt --method herding --ipc 10 -o herding.ddt
          dd-expert mnist.ddt --experts 5 --epochs 15 --out cache
          dd-distill mnist.ddt --method mtt --experts cache --ipc 10 --syn-steps 20 --time-budget 3600 -o mtt.ddt
          dd-eval mtt.ddt --test mnist-test.ddt --lr-from-set

        Debiased distillation (docs/distill.md): the input needs group labels (dd-bias writes them):
          dd-distill cmnist.ddt --method dm --ipc 10 --match-by group -o dm-group.ddt
          dd-distill cmnist.ddt --method dc --ipc 10 --group-loss sum -o dc-fairdd.ddt
          dd-distill mnist.ddt --method dm --ipc 10 --reweight kde -o dm-kde.ddt
        --match-by group splits each class's IPC images equally over its groups (at least one each; a group \
        never gets more than its real images; the rest round-robin, largest group first); IPC below the \
        number of groups of a class is an error. Every group's real batch is min(--batch-real, its size) \
        images, so small groups are always matched in full. Absent groups are reported on stderr. \
        --reweight kde needs no group labels: it draws real images with probability ∝ 1/density.
        """)

    @Argument(help: ArgumentHelp("Real dataset stream; - or none means stdin.", valueName: "INPUT"))
    var input: String?

    @Option(name: .shortAndLong, help: "Output path (default: stdout; never a terminal).")
    var output: String?

    @Option(help: "Method: \(AnyDistillMethod.allNames.joined(separator: "|")).")
    var method: String

    @Option(help: "Synthetic images per class.")
    var ipc: Int

    @Option(help: "Outer iterations (default: DC/DSA 1000, DM 20000).")
    var iterations: Int?

    @Option(name: .customLong("lr-img"), help: "Synthetic-image SGD learning rate (default: DC/DSA 0.1, DM 1).")
    var lrImg: Double?

    @Option(name: .customLong("momentum-img"), help: "Synthetic-image SGD momentum (default 0.5).")
    var momentumImg: Double?

    @Option(name: .customLong("lr-net"), help: "DC/DSA inner-loop network learning rate (default 0.01).")
    var lrNet: Double?

    @Option(name: .customLong("momentum-net"), help: "DC/DSA inner-loop momentum (default 0, the reference's HEAD; the ICLR version used 0.5).")
    var momentumNet: Double?

    @Option(name: .customLong("batch-real"), help: "Real images per class per matching step (default 256).")
    var batchReal: Int?

    @Option(name: .customLong("batch-train"), help: "DC/DSA batch for training the network on the synthetic set (default 256).")
    var batchTrain: Int?

    @Option(name: .customLong("outer-loop"), help: "DC/DSA image updates per iteration (default: get_loops by IPC).")
    var outerLoop: Int?

    @Option(name: .customLong("inner-loop"), help: "DC/DSA epochs of network training between updates (default: get_loops by IPC).")
    var innerLoop: Int?

    @Option(help: "Synthetic initialisation: real, noise or set (default: DC noise, DSA/DM/MTT real; set = --init-from).")
    var `init`: SyntheticInit?

    @Option(name: .customLong("init-from"), help: ArgumentHelp("Start from this set's images (a coreset, another method's output; same classes and geometry, IPC images per class).", valueName: "PATH"))
    var initFrom: String?

    @Option(help: "Network (default convnet; e.g. convnet-w32, convnet-d2). Coresets use it as the feature extractor.")
    var net: String?

    @Option(name: .customLong("dsa-strategy"), help: "DSA strategy, or none (default: by dataset; MNIST drops flip).")
    var dsaStrategy: String?

    @Option(name: .customLong("match-by"), help: "Unit of matching: class or group ((class, group) pairs from the stream's group labels; default class, or group with --group-loss).")
    var matchBy: String?

    @Option(name: .customLong("group-loss"), help: "With --match-by group: partition (each group its own block of the class's IPC images; default) or sum (FairDD: every group matched to all of the class's images, losses summed).")
    var groupLoss: String?

    @Option(help: "Sample reweighting without group labels: none or kde (inverse kernel density in a trained embedding, per class).")
    var reweight: String = "none"

    @Option(help: ArgumentHelp("Checkpoint path (atomic), written every --every iterations and when the run ends.", valueName: "PATH"))
    var checkpoint: String?

    @Option(help: "Checkpoint and snapshot period in iterations.")
    var every: Int = 50

    @Option(help: ArgumentHelp("Continue from this checkpoint (same method, hyper-parameters and dataset).", valueName: "PATH"))
    var resume: String?

    @Option(help: ArgumentHelp("Append the synthetic set to this stream every --every iterations.", valueName: "PATH"))
    var snapshots: String?

    @Option(name: .customLong("time-budget"), help: "Stop cleanly after this many seconds and write the result.")
    var timeBudget: Double?

    @Option(name: .customLong("feature-epochs"), help: "Herding/k-center: epochs training the feature network (0 = random init).")
    var featureEpochs: Int = 1

    @Option(name: .customLong("forgetting-epochs"), help: "Forgetting: epochs of the counting run.")
    var forgettingEpochs: Int = 5

    @Option(name: .customLong("forgetting-order"),
            help: "Forgetting: most forgotten first (never-learned first), most-learned (never-learned last), or least.")
    var forgettingOrder: ForgettingOrder = .mostForgotten

    @Option(help: ArgumentHelp("MTT/TESLA: expert cache root or key directory (dd-expert --out).", valueName: "DIR"))
    var experts: String?

    @Option(name: .customLong("syn-steps"), help: "MTT/TESLA: unrolled student steps N per iteration (default 20).")
    var synSteps: Int?

    @Option(name: .customLong("expert-epochs"), help: "MTT/TESLA: target = expert checkpoint start + M epochs (default 2).")
    var expertEpochs: Int?

    @Option(name: .customLong("max-start-epoch"), help: "MTT/TESLA: start epoch drawn from 0..<T (default 4).")
    var maxStartEpoch: Int?

    @Option(name: .customLong("lr-lr"), help: "MTT/TESLA: SGD learning rate of the learnable step size (default 1e-5).")
    var lrLr: Double?

    @Option(name: .customLong("lr-init"), help: "MTT/TESLA: initial student step size α₀, the reference's lr_teacher (default 0.01).")
    var lrInit: Double?

    @Option(name: .customLong("lr-min"), help: "MTT/TESLA: the step size is clamped to at least this (default 1e-6).")
    var lrMin: Double?

    @Option(name: .customLong("batch-syn"), help: "MTT/TESLA: synthetic images per student step (default: all).")
    var batchSyn: Int?

    @Flag(name: .customLong("soft-labels"), help: "MTT/TESLA: train the student on the target expert's softmax and store it as soft labels.")
    var softLabels = false

    @Option(name: .customLong("max-nonfinite"), help: "MTT/TESLA: stop after this many consecutive non-finite (skipped) iterations (default 5).")
    var maxNonFinite: Int?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard every >= 1 else { throw ValidationError("--every must be at least 1, got \(every)") }
        if let timeBudget, !(timeBudget > 0) { throw ValidationError("--time-budget must be positive") }
        if initFrom == "-", input == nil || input == "-" {
            throw ValidationError("the input and --init-from cannot both be stdin")
        }
        do { _ = try groupSettings() } catch let error as DistillError { throw ValidationError(error.message) }
    }

    /// --match-by, --group-loss and --reweight; --group-loss alone implies --match-by group.
    func groupSettings() throws -> (MatchBy, GroupLoss, Reweight) {
        let loss: GroupLoss = try groupLoss.map { try parseChoice($0, flag: "--group-loss") } ?? .partition
        let by: MatchBy = try matchBy.map { try parseChoice($0, flag: "--match-by") } ?? (groupLoss == nil ? .class : .group)
        let weighting: Reweight = try parseChoice(reweight, flag: "--reweight")
        if groupLoss != nil, by != .group { throw DistillError.usage("--group-loss needs --match-by group") }
        if weighting != .none, by == .group {
            throw DistillError.usage("--reweight \(reweight) does not combine with --match-by group (KDE weights stand in "
                                     + "for group labels when there are none)")
        }
        return (by, loss, weighting)
    }

    func run() throws {
        let log = Log(tool: "dd-distill", quiet: common.quiet)
        Tool.run(log) {
            if let threads = common.threads { setDistillThreads(threads) }
            let chosen = try AnyDistillMethod(parsing: method)
            // A coreset selection has no state worth a snapshot: a stop signal removes the unfinished output
            // and ends the process at once. Optimisation runs poll the flag to checkpoint first.
            if case .coreset = chosen { Signals.install(.cleanupAndExit) } else { Signals.install(.setFlag) }
            let out = try OutputFile(output, binary: true)
            let source = try InputFile(input)
            let dataset = try inFile(source.displayName) { try Dataset.read(from: StreamReader(fileDescriptor: source.fd)) }
            log.info("read \(dataset.count) images of \(dataset.classCount) classes from \(source.displayName)")
            Tool.adviseOnBLAS(log)
            switch chosen {
            case .coreset(let coreset):
                if initFrom != nil || `init` != nil {
                    throw ToolError("\(coreset.rawValue) selects real images; --init and --init-from apply to dc, dsa, dm, "
                                    + "mtt and tesla", exit: .usage)
                }
                guard matchBy ?? "class" == "class", groupLoss == nil, reweight == "none" else {
                    throw ToolError("\(coreset.rawValue) selects per class; --match-by group, --group-loss and --reweight "
                                    + "apply to dc, dsa and dm", exit: .usage)
                }
                var options = CoresetOptions()
                if let net { options.network = try NetworkSpec(parsing: net) }
                options.featureEpochs = featureEpochs
                options.forgettingEpochs = forgettingEpochs
                options.forgettingOrder = forgettingOrder
                try CoresetDistillation.write(coreset, dataset: dataset, ipc: ipc, seed: common.seed, options: options, to: out)
                try out.commit()
                log.info("wrote \(coreset.rawValue) coreset (IPC \(ipc)) to \(out.displayName)")
            case .optimized(let name):
                try distill(name, dataset: dataset, out: out, log: log)
            }
        }
    }

    /// The flags that replace a default of DistillConfig when given.
    var configurationFlags: [FlagOverride<DistillConfig>] {
        [FlagOverride("--iterations", iterations, \.iterations), FlagOverride("--lr-img", lrImg, \.learningRateImages),
         FlagOverride("--momentum-img", momentumImg, \.momentumImages), FlagOverride("--lr-net", lrNet, \.learningRateNet),
         FlagOverride("--momentum-net", momentumNet, \.momentumNet), FlagOverride("--batch-real", batchReal, \.batchReal),
         FlagOverride("--batch-train", batchTrain, \.batchTrain), FlagOverride("--outer-loop", outerLoop, \.outerLoop),
         FlagOverride("--inner-loop", innerLoop, \.innerLoop), FlagOverride("--init", `init`, \.initialization),
         FlagOverride("--net", net, \.network), FlagOverride("--dsa-strategy", dsaStrategy, \.dsaStrategy)]
    }

    /// The MTT/TESLA-only flags, in the order a misuse with another method names them.
    var trajectoryFlags: [FlagOverride<TrajectoryMatchingConfig>] {
        [FlagOverride("--experts", experts, \.experts), FlagOverride("--syn-steps", synSteps, \.syntheticSteps),
         FlagOverride("--expert-epochs", expertEpochs, \.expertEpochs),
         FlagOverride("--max-start-epoch", maxStartEpoch, \.maxStartEpoch),
         FlagOverride("--lr-lr", lrLr, \.learningRateStepSize), FlagOverride("--lr-init", lrInit, \.initialStepSize),
         FlagOverride("--lr-min", lrMin, \.minimumStepSize), FlagOverride("--batch-syn", batchSyn, optional: \.batchSyn),
         FlagOverride("--soft-labels", softLabels ? true : nil, \.softLabels),
         FlagOverride("--max-nonfinite", maxNonFinite, \.maxNonFinite)]
    }

    func configuration(_ name: DistillMethodName, dataset: Dataset) throws -> DistillConfig {
        var c = DistillConfig.defaults(for: name, ipc: ipc, dataset: dataset.name, seed: common.seed)
        configurationFlags.apply(to: &c)
        if var t = c.trajectory {
            trajectoryFlags.apply(to: &t)
            c.trajectory = t
        }
        (c.matchBy, c.groupLoss, c.reweight) = try groupSettings()
        return c
    }

    /// --init-from: the set, recorded in the configuration by its content digest.
    func readInitialSet(into config: inout DistillConfig, source: Dataset, log: Log) throws -> Dataset? {
        guard let initFrom else { return nil }
        if let given = `init`, given != .set {
            throw ToolError.usage("--init \(given.rawValue) and --init-from both say where the images start; give one")
        }
        let file = try InputFile(initFrom)
        let set = try inFile(file.displayName) { try Dataset.read(from: StreamReader(fileDescriptor: file.fd)) }
        if let from = set.provenance["source_digest"], from != (source.contentDigest ?? source.computeContentDigest()) {
            log.warn("\(file.displayName) was made from another dataset (\(from.prefix(19))…) than the input")
        }
        log.info("starting from the \(set.count) images of \(file.displayName)")
        config.initialization = .set
        config.initialSet = set.contentDigest ?? set.computeContentDigest()
        return set
    }

    func distill(_ name: DistillMethodName, dataset: Dataset, out: OutputFile, log: Log) throws {
        if !name.matchesTrajectories, let given = trajectoryFlags.first(where: \.isGiven) {
            throw ToolError.usage("\(given.flag) applies to --method mtt or tesla only")
        }
        var config = try configuration(name, dataset: dataset)
        let initialSet = try readInitialSet(into: &config, source: dataset, log: log)
        if name == .dc || name == .dsa, DistillConfig.referenceLoops(ipc: ipc) == nil, outerLoop == nil || innerLoop == nil {
            log.warn("IPC \(ipc) is outside the reference get_loops table; using outer \(config.outerLoop), inner \(config.innerLoop)")
        }
        if config.reweight == .kde { log.info("training the KDE feature network (1 epoch of --net on \(dataset.count) images)") }
        let distiller = try Distiller(config: config, dataset: dataset, initialSet: initialSet)
        if config.matchBy == .group {
            for line in distiller.pool.groupSummary { log.info(line) }
            let attribute = dataset.biasLabels != nil ? "bias label" : "group"
            for cell in distiller.pool.absentGroups {
                log.warn("class \(cell.label): \(attribute) \(cell.attribute) is absent from the real set (0 images); "
                         + "no synthetic image can represent it")
            }
        }
        if case .number(let used)? = distiller.methodMetadata["experts_used"],
           case .string(let key)? = distiller.methodMetadata["expert_cache"] {
            // Said before the run, so a cache still being filled is noticed before hours are spent on part of it.
            log.info("matching the trajectories of \(Int(used)) expert(s) from cache \(key.prefix(12))")
        }
        if let kde = distiller.kde {
            let ratios = kde.weightRatios.map { String(format: "%.1f", $0) }.joined(separator: " ")
            log.info("KDE weights: largest/smallest per class \(ratios)")
        }
        if let resume {
            let file = try InputFile(resume)
            let saved = try inFile(file.displayName) { try DistillCheckpoint.read(from: StreamReader(fileDescriptor: file.fd)) }
            try inFile(file.displayName) { try distiller.resume(from: saved) }
            log.info("resuming from \(resume) at iteration \(saved.iteration)")
        }
        let interruptPath = checkpoint ?? output.flatMap { $0 == "-" ? nil : $0 + ".ckpt" } ?? "dd-distill.ckpt"
        var meter = IterationMeter(start: distiller.state.iteration, total: config.iterations)
        var options = DistillRunOptions(checkpointPath: checkpoint, every: every, snapshotsPath: snapshots,
                                        timeBudget: timeBudget, shouldStop: { Signals.interrupted })
        options.interruptCheckpointPath = interruptPath
        options.progress = { done, total, loss in meter.update(done, total: total, loss: loss, log: log) }
        options.warn = { line in log.warn(line) }
        let stop = try distiller.run(options)
        log.endProgress()
        let state = distiller.state
        switch stop {
        case .interrupted:
            out.abandon()
            throw ToolError("interrupted at iteration \(state.iteration)/\(config.iterations); checkpoint written to "
                            + "\(interruptPath); continue with --resume \(interruptPath)", exit: .tempFail)
        case .timeBudget:
            log.info("time budget reached after \(state.iteration)/\(config.iterations) iterations")
        case .completed:
            break
        }
        try distiller.writeSynthetic(to: out, stop: stop)
        try out.commit()
        let last = state.losses.last.map { String(format: "%.4f", $0) } ?? "-"
        let learned = state.trajectory.map { String(format: ", learned step size %.6g", $0.stepSize) } ?? ""
        log.info("wrote \(config.method.rawValue) IPC \(ipc) (\(state.iteration) iterations, final loss \(last)\(learned), "
                 + "\(formatDuration(state.wallSeconds))) to \(out.displayName)")
    }
}

/// "iteration 120/1000  loss 0.4312  3.10 it/s  ETA 4m44s", redrawn at most 5 times a second on a TTY; the
/// rate counts only this invocation's iterations, so it stays right after --resume.
struct IterationMeter {
    let start: Int
    let total: Int
    let began = Date()
    var lastDraw = Date.distantPast

    init(start: Int, total: Int) {
        self.start = start
        self.total = total
    }

    mutating func update(_ done: Int, total: Int, loss: Double, log: Log) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
        lastDraw = now
        let rate = Double(done - start) / max(now.timeIntervalSince(began), 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : .infinity
        log.progress(String(format: "iteration %d/%d  loss %.4f  %.2f it/s  ETA %@", done, total, loss, rate,
                            formatDuration(eta)))
    }
}


DistillCommand.runAsTool()
