import DDAutograd
import DDKernels
import Foundation

/// The measured result of one workload, as written to the JSON lines and read back from a child process.
struct WorkloadRecord {
    var fields: [String: Any]

    var name: String { fields["workload"] as? String ?? "?" }
    var medianSeconds: Double { number("seconds_median") }
    var cpuSeconds: Double { number("cpu_seconds_median") }
    var gflop: Double { number("gflop") }
    var gflops: Double { gflop / medianSeconds }
    var pytorchSeconds: Double { number("pytorch_seconds") }
    var speedup: Double { pytorchSeconds / medianSeconds }
    var peakRSSBytes: Double { number("peak_rss_bytes") }
    var repeats: Int { (fields["seconds"] as? [Any])?.count ?? 0 }

    /// A number field whether JSON decoding produced Double, Int or NSNumber.
    func number(_ key: String) -> Double {
        switch fields[key] {
        case let value as Double: return value
        case let value as Int: return Double(value)
        case let value as NSNumber: return value.doubleValue
        default: return .nan
        }
    }
}

enum BenchError: Error, CustomStringConvertible {
    case brokenPath(String)
    case child(String)
    var description: String {
        switch self {
        case .brokenPath(let s): return "correctness guard failed: \(s)"
        case .child(let s): return "workload process failed: \(s)"
        }
    }
}

enum Runner {
    static let workloadTypes: [any Workload.Type] = [
        TrainingWorkload.self, InferenceWorkload.self, GradientMatchingWorkload.self,
        DistributionMatchingWorkload.self, TrajectoryMatchingWorkload.self,
    ]

    static func make(_ name: String, _ context: BenchContext) -> (any Workload)? {
        switch name {
        case TrainingWorkload.name: return TrainingWorkload(context)
        case InferenceWorkload.name: return InferenceWorkload(context)
        case GradientMatchingWorkload.name: return GradientMatchingWorkload(context)
        case DistributionMatchingWorkload.name: return DistributionMatchingWorkload(context)
        case TrajectoryMatchingWorkload.name: return TrajectoryMatchingWorkload(context)
        default: return nil
        }
    }

    /// One warm-up iteration, then `repeats` timed ones; every iteration passes the correctness guard.
    /// With `profile`, the engine's per-op backward wall time over the timed iterations goes into the record
    /// (and to standard error): where the backward passes spend their time.
    static func measure(_ workload: any Workload, repeats: Int, images: String, profile: Bool = false) throws -> WorkloadRecord {
        let type = type(of: workload)
        let load = Machine.loadAverage()
        var wall: [Double] = [], cpu: [Double] = [], losses: [Double] = [], gradientNorms: [Double] = []
        for iteration in 0 ... repeats {
            workload.prepare()
            let cpuStart = Clock.processCPU(), start = Clock.now()
            let outcome = workload.run()
            let seconds = Clock.now() - start, cpuSeconds = Clock.processCPU() - cpuStart
            if let failure = outcome.failure { throw BenchError.brokenPath("\(type.name) iteration \(iteration): \(failure)") }
            FileHandle.standardError.write(Data(String(format: "  %@ %@ %.3f s wall, %.3f s CPU, loss %.6g, |grad| %.3g\n",
                                                       type.name, iteration == 0 ? "warm-up" : "#\(iteration)",
                                                       seconds, cpuSeconds, outcome.loss, outcome.gradientNorm).utf8))
            guard iteration > 0 else {
                BackwardProfile.isEnabled = profile
                BackwardProfile.seconds = [:]
                continue
            }
            wall.append(seconds); cpu.append(cpuSeconds)
            losses.append(outcome.loss); gradientNorms.append(outcome.gradientNorm)
        }
        let med = median(wall)
        BackwardProfile.isEnabled = false
        let backward = BackwardProfile.seconds.sorted { $0.value > $1.value }
        for (op, seconds) in backward.prefix(15) {
            FileHandle.standardError.write(Data(String(format: "    backward %-28@ %8.3f s per iteration\n", op, seconds / Double(repeats)).utf8))
        }
        var fields: [String: Any] = [
            "kind": "workload", "workload": type.name, "summary": type.summary,
            "seconds": wall, "seconds_median": med, "cpu_seconds": cpu, "cpu_seconds_median": median(cpu),
            "gflop": workload.flop / 1e9, "gflops": workload.flop / 1e9 / med,
            "gflop_per_cpu_second": workload.flop / 1e9 / median(cpu),
            "pytorch_seconds": type.pytorchSeconds, "speedup_vs_pytorch": type.pytorchSeconds / med,
            "peak_rss_bytes": Clock.peakRSSBytes(), "load_average_before": load, "load_average_after": Machine.loadAverage(),
            "losses": losses, "gradient_norms": gradientNorms, "images": images, "threads": Threads.count,
            "openblas_core": Machine.openBLASCore, "openblas_env": Machine.openBLASEnvironment,
        ]
        let extras = workload.extras
        fields.merge(extras) { _, new in new }
        // phase → [wall s, CPU s] of the last iteration
        for (phase, seconds) in ((extras["phase_seconds"] as? [String: [Double]]) ?? [:]).sorted(by: { $0.value[0] > $1.value[0] })
        where seconds.count == 2 {
            FileHandle.standardError.write(Data(String(format: "    last iteration: %@ %.3f s wall, %.3f s CPU\n",
                                                       phase, seconds[0], seconds[1]).utf8))
        }
        if profile {
            fields["backward_seconds_per_iteration"] = Dictionary(uniqueKeysWithValues: backward.map { ($0.key, $0.value / Double(repeats)) })
        }
        return WorkloadRecord(fields: fields)
    }

    /// Runs `arguments` as a fresh copy of this executable (so its peak RSS is the workload's own) and
    /// returns the record it prints as its last line of standard output.
    static func runChild(_ arguments: [String]) throws -> WorkloadRecord {
        // /proc/self/exe execs this very binary even if a rebuild has replaced the file meanwhile
        let executable = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError.child("\(arguments.joined(separator: " ")) exited with status \(process.terminationStatus)")
        }
        guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BenchError.child("\(arguments.joined(separator: " ")) printed no record")
        }
        return WorkloadRecord(fields: object)
    }
}

enum JSONLines {
    static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func append(_ objects: [[String: Any]], to path: String) throws {
        let text = objects.map(encode).joined(separator: "\n") + "\n"
        if !FileManager.default.fileExists(atPath: path) {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            return
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw BenchError.child("cannot open \(path)") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
    }

    static func read(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
