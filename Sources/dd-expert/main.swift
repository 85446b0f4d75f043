import ArgumentParser
import DDAugment
import DDCLI
import DDData
import DDExpert
import DDFormat
import DDKernels
import DDNN
import DDTrain
import Foundation

extension ExpertError: ExitStatusProviding {
    public var exitStatus: SysExit { SysExit(rawValue: exitCode) ?? .software }
}

extension TrainingError: ExitStatusProviding {
    public var exitStatus: SysExit {
        switch self {
        case .invalidRecipe: return .usage
        case .invalidData: return .dataError
        case .cancelled: return .tempFail
        case .diverged: return .software
        }
    }
}

extension NetworkSpecError: ExitStatusProviding {
    public var exitStatus: SysExit { .usage }
}

struct Expert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dd-expert",
        abstract: "Train expert networks and cache their per-epoch parameter trajectories for trajectory matching.",
        discussion: """
        Default recipe (MTT): SGD lr 0.01, no momentum, no weight decay, batch 256, constant rate, DSA on every \
        batch (flip off for digit datasets). Each expert is stored as DIR/<key>/expert-NNNNN.ddt, a trajectory \
        stream holding the parameters at epoch 0 (initialisation) and after every epoch; <key> is the SHA-256 of \
        everything that determines the result (DIR/<key>/manifest.json). An expert file that verifies is skipped, \
        a corrupt one is moved aside to .corrupt and remade. Expert k is seeded from (--seed, k).

        Sharding: --index K, or --shard i/n (experts k ≡ i mod n); by default SLURM_ARRAY_TASK_ID and \
        SLURM_ARRAY_TASK_COUNT (a contiguous --array=0-(n-1) is a shard i/n; any other array means task id = \
        expert index). SIGTERM/SIGINT stop at the next batch, keep finished experts and exit 75.

        Examples:
          dd-fetch mnist -o mnist.ddt
          dd-expert mnist.ddt --test mnist --experts 10 --epochs 15 --out experts
          SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4 dd-expert mnist.ddt --experts 10 --epochs 15
          sbatch --array=$(dd-expert mnist.ddt --experts 10 --epochs 15 --list-missing | paste -sd,) pipelines/experts-slurm.sh
          dd-expert mnist.ddt --experts 1 --epochs 3 -o - | python3 python/ddt.py -
          dd-expert cmnist-train.ddt --balance groups --experts 5 --epochs 4 --out experts   # debiased MTT
        """)

    @Argument(help: "Training set stream (path, or - / nothing for stdin).")
    var train: String?

    @Option(help: "Number of experts K (indices 0..<K).")
    var experts: Int

    @Option(help: "Training epochs per expert (checkpoints 0…E).")
    var epochs: Int

    @Option(help: "Network (\(NetworkSpec.validNames)).")
    var arch: String = "convnet"

    @Option(help: "Make only expert K.")
    var index: Int?

    @Option(help: "Make experts k ≡ i (mod n), given as i/n.")
    var shard: String?

    @Option(help: "Cache root directory; experts go to DIR/<key>/.")
    var out: String = "experts"

    @Flag(help: "Recompute experts even when a verifying file exists.")
    var force = false

    @Flag(name: .customLong("list-missing"), help: "Print the selected expert indices that have no verifying file, one per line, and exit.")
    var listMissing = false

    @Flag(name: .customLong("print-key"), help: "Print the cache directory (DIR/<key>) and exit.")
    var printKey = false

    @Option(help: "Learning rate.")
    var lr: Double = 0.01

    @Option(help: "SGD momentum.")
    var momentum: Double = 0

    @Option(help: "Weight decay.")
    var wd: Double = 0

    @Option(help: "Batch size.")
    var batch: Int = 256

    @Option(help: "Augmentation: dsa (the dataset's default DSA strategy), none, or a DSA strategy such as color_crop_cutout_scale_rotate.")
    var aug: String = "dsa"

    @Option(help: "Sampling: none (a fresh permutation per epoch, the reference) or groups (each draw a uniform (class, group) cell, then a uniform member: experts for debiased trajectory matching; needs group labels).")
    var balance: BalanceChoice = .none

    @Option(help: "Test set for per-epoch test accuracy: a stream path, or a dataset name fetched like dd-fetch NAME --split test.")
    var test: String?

    @Option(help: "Mirror directory for --test NAME (default: $DD_DATA).")
    var from: String?

    @Option(name: .shortAndLong, help: "Pipe mode: write the selected experts as trajectory streams here (- = stdout) as they are produced, instead of the cache.")
    var output: String?

    @Option(help: "zlib level of expert files, 0 (store) to 9.")
    var level: Int = 1

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard experts >= 1 else { throw ValidationError("--experts must be at least 1, got \(experts)") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard (0...9).contains(level) else { throw ValidationError("--level must be 0…9, got \(level)") }
        if output != nil && (listMissing || printKey) { throw ValidationError("-o does not combine with --list-missing or --print-key") }
    }

    func run() throws {
        let log = Log(tool: "dd-expert", quiet: common.quiet)
        Signals.install(.setFlag)
        Tool.run(log) {
            Threads.set(common.threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let spec = try NetworkSpec(parsing: arch)
            let selection = try ExpertSelection.resolve(index: index, shard: shard,
                                                        environment: ProcessInfo.processInfo.environment)
            let selected = try selection.indices(experts: experts)
            let pipeOut = try output.map { try OutputFile($0) }   // refuses a terminal before any slow work
            let input = try InputFile(train)
            let trainSet = try inFile(input.displayName) {
                try Dataset.read(from: StreamReader(source: input), verifyDigest: true).withContentDigest()
            }
            let testSet = try test.map { try loadTest($0) }
            let network = try inFile(input.displayName) {
                try Network(spec, channels: trainSet.geometry.channels, height: trainSet.geometry.height,
                            width: trainSet.geometry.width, classes: trainSet.classCount)
            }
            var recipe = TrainingRecipe.expertProtocol(epochs: epochs, learningRate: lr, augmentation: try augmentation(trainSet.name))
            recipe.momentum = momentum
            recipe.weightDecay = wd
            recipe.batchSize = batch
            if balance == .groups {
                guard trainSet.groups != nil else {
                    throw ToolError.data("\(input.displayName): --balance groups needs group labels (a dd-bias stream, or dd-bias --groups-from FILE)")
                }
                recipe.sampling = .groupBalanced
            }
            let configuration = ExpertConfiguration(
                dataset: DatasetIdentity(trainSet), testSet: testSet.map(DatasetIdentity.init), network: spec,
                parameterLayout: network.parameterInfo, recipe: recipe, baseSeed: common.seed)
            try configuration.validate()
            let builder = ExpertCacheBuilder(root: out, configuration: configuration)
            builder.writerOptions = WriterOptions(level: level)
            builder.log = { line in line.hasPrefix("warning: ") ? log.warn(String(line.dropFirst(9))) : log.info(line) }

            if printKey { print(builder.directory); return }
            if listMissing {
                for k in builder.missing(selected) { print(k) }
                return
            }
            log.info("\(trainSet.name) (\(trainSet.count) images, \(trainSet.contentDigest ?? "")), \(spec.description) (\(network.parameterCount) parameters), \(recipe.summary)")
            log.info("experts \(ranges(selected)) of \(experts) (\(describe(selection))), cache \(builder.directory)")
            Tool.adviseOnBLAS(log)
            let trainer = NetworkExpertTrainer(spec: spec, recipe: recipe, data: try TrainingData(trainSet),
                                               test: try testSet.map { try TrainingData($0) })
            let stop = { Signals.interrupted }
            do {
                if let pipeOut {
                    try builder.stream(experts: selected, trainer: trainer, to: pipeOut, shouldStop: stop)
                    try pipeOut.commit()
                    return
                }
                let summary = try builder.run(experts: selected, trainer: trainer, force: force, shouldStop: stop)
                log.info("done: made \(summary.made.count), skipped \(summary.skipped.count) verified, remade \(summary.recomputedCorrupt.count) corrupt; \(builder.directory)")
            } catch let error as ExpertError where error.kind == .interrupted {
                pipeOut?.abandon()
                throw error
            }
        }
    }

    func augmentation(_ dataset: String) throws -> TrainingAugmentation {
        switch aug.lowercased() {
        case "dsa": return .dsa(strategy: DSAStrategy.defaultStrategy(forDataset: dataset), mode: .single)
        case "none": return .none
        default:
            do { return .dsa(strategy: try DSAStrategy(parsing: aug), mode: .single) } catch {
                throw ToolError.usage("--aug: \(error)")
            }
        }
    }

    /// A test-set stream path, or a dataset name fetched like `dd-fetch NAME --split test`.
    func loadTest(_ text: String) throws -> Dataset {
        if DatasetArgument.isStreamPath(text) {
            let input = try InputFile(text)
            return try inFile(input.displayName) {
                try Dataset.read(from: StreamReader(source: input), verifyDigest: true).withContentDigest()
            }
        }
        let request = FetchRequest(name: text, split: .test, seed: 0, options: .standard(from: from, verify: true))
        return try inFile("--test \(text)") { try request.run().withContentDigest() }
    }

    func describe(_ selection: ExpertSelection) -> String {
        switch selection {
        case .all: return "all"
        case .index(let k): return "index \(k)"
        case .shard(let i, let n): return "shard \(i)/\(n)"
        }
    }
}


Expert.runAsTool()
