import ArgumentParser
import DDKernels
import DDNN
import Foundation

/// dd-bench: the engine benchmark of issue 3 (docs/performance.md, "Engine").
struct DDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dd-bench",
        abstract: "Time the engine on ConvNet-3 workloads and compare with PyTorch 2.15 CPU on this machine.",
        discussion: """
        `--workload all` measures the sgemm rate in this process, then runs each workload in its own child \
        process (so each peak RSS is that workload's own) and measures sgemm again. Figures are wall-clock \
        medians of --repeat iterations after one warm-up; GFLOP counts conv/linear products only.
        """)

    @Option(help: "all | sgemm | train | infer | dc | dm | mtt")
    var workload = "all"

    @Option(name: .customLong("repeat"), help: "Timed iterations after one warm-up; the median is reported.")
    var repeats = 3

    @Option(help: "Threads for the engine's loops and OpenBLAS.")
    var threads = 2

    @Option(help: "Append JSON lines (one run header, sgemm and workload records) to this file.")
    var json: String?

    @Flag(help: "Use real MNIST training images when a mirror is found (else seeded random images).")
    var real = false

    @Option(help: "Dataset mirror for --real (default $DD_DATA, then /work/shared/datasets).")
    var data: String?

    @Option(help: "Seed for networks, images and batches.")
    var seed: UInt64 = 0

    @Option(help: "Speed-up over PyTorch to check (default 2 with OPENBLAS_CORETYPE set, else 3.5).")
    var target: Double?

    @Option(parsing: .upToNextOption, help: "Print JSON-lines files side by side instead of measuring.")
    var compare: [String] = []

    @Flag(help: "Record the engine's backward time per op (adds a little overhead; printed and in the JSON).")
    var profile = false

    @Option(help: "Images in the Winograd-vs-im2col agreement check run before any timing.")
    var checkBatch = 64

    @Option(help: "Tuning: elements per Winograd chunk (16 × channels × tiles; default \(Winograd.chunkBudget)).")
    var winogradChunk: Int?

    @Flag(help: .hidden)
    var child = false

    func validate() throws {
        let names = ["all", "sgemm"] + Runner.workloadTypes.map { $0.name }
        guard names.contains(workload) else { throw ValidationError("--workload must be one of \(names.joined(separator: ", "))") }
        guard checkBatch >= 1 else { throw ValidationError("--check-batch must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard (winogradChunk ?? 1) >= 1 else { throw ValidationError("--winograd-chunk must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    var targetSpeedup: Double {
        target ?? (ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil ? 3.5 : 2.0)
    }

    func run() throws {
        if !compare.isEmpty { print(try Report.compare(compare)); return }
        Threads.set(threads)
        try Winograd.withChunkBudget(winogradChunk ?? Winograd.defaultChunkBudget) { try measure() }
    }

    private func measure() throws {
        if child {
            exitWithParent()
            let (context, images) = try makeContext()
            try checkConvolutions(context)
            guard let w = Runner.make(workload, context) else { throw ValidationError("no workload \(workload)") }
            print(JSONLines.encode(try Runner.measure(w, repeats: repeats, images: images, profile: profile).fields))
            return
        }
        let header = runHeader()
        log("dd-bench: \(header["openblas_core"] ?? "?") core, \(Machine.openBLASEnvironment), threads \(threads), load average \(Machine.loadAverage()) — the machine is shared with other agents")
        var objects: [[String: Any]] = [header]
        var records: [WorkloadRecord] = []
        var sgemmRates: [(wall: Double, perCPUSecond: Double)] = []
        let names = workload == "all" ? Runner.workloadTypes.map { $0.name } : workload == "sgemm" ? [] : [workload]
        if workload == "all" || workload == "sgemm" { sgemmRates += probeSgemm(when: "before", into: &objects) }
        for name in names {
            log("dd-bench: \(name) (\(repeats) timed after one warm-up)")
            let record: WorkloadRecord
            if workload == "all" {
                var arguments = ["--workload", name, "--repeat", "\(repeats)", "--threads", "\(threads)", "--seed", "\(seed)", "--child"]
                if real { arguments.append("--real") }
                if profile { arguments.append("--profile") }
                if let winogradChunk { arguments += ["--winograd-chunk", "\(winogradChunk)"] }
                if let data { arguments += ["--data", data] }
                record = try Runner.runChild(arguments)
            } else {
                let (context, images) = try makeContext()
                try checkConvolutions(context)
                guard let w = Runner.make(name, context) else { throw ValidationError("no workload \(name)") }
                record = try Runner.measure(w, repeats: repeats, images: images, profile: profile)   // peak RSS taken before sgemm runs
            }
            records.append(record)
            objects.append(record.fields)
        }
        sgemmRates += probeSgemm(when: "after", into: &objects)
        let sgemm = median(sgemmRates.map(\.wall)), sgemmPerCPUSecond = median(sgemmRates.map(\.perCPUSecond))
        if !records.isEmpty {
            print(Report.table(records: records, sgemm: sgemm, sgemmPerCPUSecond: sgemmPerCPUSecond, target: targetSpeedup))
            if let mtt = records.first(where: { $0.name == "mtt" }) {
                print("MTT peak RSS \(Report.gib(mtt.peakRSSBytes)) (own process; PyTorch 5.7 GB)")
            }
        }
        print("sgemm 2048³ GFLOP/s: \(sgemmRates.map { Report.f($0.wall, 0) }.joined(separator: " before, ")) after (per CPU-second: \(sgemmRates.map { Report.f($0.perCPUSecond, 0) }.joined(separator: ", "))); OpenBLAS core \(Machine.openBLASCore); load average now \(Machine.loadAverage())")
        if let json { try JSONLines.append(objects, to: json) }
    }

    private func makeContext() throws -> (BenchContext, String) {
        let net = try Network(NetworkSpec.convNet3, channels: 1, height: 28, width: 28, classes: 10)
        var pool = ImagePool.random(classes: 10, perClass: 512, seed: seed)
        if real {
            let (mnist, note) = ImagePool.mnist(directory: data)
            if let mnist { pool = mnist.with(source: note) } else { log("dd-bench: --real: no MNIST (\(note)); using random images") }
        }
        return (BenchContext(net: net, pool: pool, seed: seed), pool.source)
    }

    /// A workload process must not outlive the benchmark that started it (e.g. when that one is interrupted).
    private func exitWithParent() {
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { sleep(1) }
            Foundation.exit(3)
        }
    }

    /// Fast and plain convolution paths must agree before anything is timed.
    private func checkConvolutions(_ context: BenchContext) throws {
        let check = ConvolutionCheck.run(net: context.net, pool: context.pool, seed: seed, batch: checkBatch)
        log(String(format: "dd-bench: Winograd vs im2col on %d images: max |Δlogit| %.2e (max |logit| %.2f), relative Δ of input "
                   + "gradients per image median %.2e (max %.2e), of conv2 weight gradient %.2e", checkBatch, check.maxLogitDifference,
                   check.maxLogit, check.medianInputGradientDifference, check.maxInputGradientDifference, check.weightGradientDifference))
        guard check.passed else { throw BenchError.brokenPath("Winograd and im2col convolutions disagree") }
    }

    private func probeSgemm(when: String, into objects: inout [[String: Any]]) -> [(Double, Double)] {
        let results = SgemmProbe.standard(repeats: 3)
        for r in results {
            log(String(format: "dd-bench: %@ (%@): %.1f GFLOP/s wall, %.1f GFLOP per CPU-second", r.label, when, r.gflops,
                       r.gflopPerCPUSecond))
            objects.append(["kind": "sgemm", "label": r.label, "when": when, "m": r.m, "n": r.n, "k": r.k,
                            "seconds": r.seconds, "gflops": r.gflops, "cpu_seconds": r.cpuSeconds,
                            "gflop_per_cpu_second": r.gflopPerCPUSecond, "load_average": Machine.loadAverage()])
        }
        return results.filter { $0.m == 2048 }.map { ($0.gflops, $0.gflopPerCPUSecond) }
    }

    private func runHeader() -> [String: Any] {
        ["kind": "run", "date": ISO8601DateFormatter().string(from: Date()), "cpu": Machine.cpuModel(),
         "cores": ProcessInfo.processInfo.activeProcessorCount, "openblas_core": Machine.openBLASCore,
         "openblas_config": Machine.openBLASConfig, "openblas_env": Machine.openBLASEnvironment,
         "load_average_before": Machine.loadAverage(), "threads": threads, "repeats": repeats,
         "workload": workload, "real_requested": real, "target_speedup": targetSpeedup]
    }

    private func log(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }
}

DDBench.main()
