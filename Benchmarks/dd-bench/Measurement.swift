import COpenBLAS
import DDKernels
import Foundation

/// Wall-clock and process CPU time, peak RSS and machine state: what every figure is reported with.
enum Clock {
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// User + system CPU seconds of this process (all threads): on a shared machine wall time grows with
    /// the other agents' load, CPU time much less so.
    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Peak resident set size of this process in bytes (Linux reports ru_maxrss in KiB).
    static func peakRSSBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    /// Current resident set size in bytes (/proc/self/statm), 0 when unavailable.
    static func currentRSSBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
}

enum Machine {
    /// 1-, 5- and 15-minute load averages from /proc/loadavg (empty when unavailable).
    static func loadAverage() -> [Double] {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    static var openBLASCore: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
    static var openBLASConfig: String {
        (openblas_get_config().map { String(cString: $0) } ?? "unknown").trimmingCharacters(in: .whitespaces)
    }

    /// The OpenBLAS variables that select the kernels; "unset" when absent.
    static var openBLASEnvironment: String {
        let env = ProcessInfo.processInfo.environment
        return ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"].map { "\($0)=\(env[$0] ?? "unset")" }.joined(separator: " ")
    }
}

/// Median of a non-empty list (mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// The sgemm ceiling in this process: C[m,n] = A[m,k]·B[k,n], row-major, through the same `Float.gemm`
/// wrapper the engine uses. Inputs are filled with small values so no denormals slow it down.
enum SgemmProbe {
    struct Result {
        let label: String
        let m: Int, n: Int, k: Int
        let seconds: [Double]
        /// Process CPU seconds per call: a descheduled thread accrues none, so GFLOP per CPU-second stays
        /// meaningful on a loaded machine (per core; ×threads for the unloaded rate).
        let cpuSeconds: [Double]
        var medianSeconds: Double { median(seconds) }
        var gflops: Double { WorkloadCost.sgemm(m: m, n: n, k: k) / medianSeconds / 1e9 }
        var gflopPerCPUSecond: Double { WorkloadCost.sgemm(m: m, n: n, k: k) / median(cpuSeconds) / 1e9 }
    }

    static func run(label: String, m: Int, n: Int, k: Int, repeats: Int) -> Result {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0 ..< m * k { a[i] = Float(i % 17) * 0.01 - 0.08 }
        for i in 0 ..< k * n { b[i] = Float(i % 13) * 0.01 - 0.06 }
        c.initialize(repeating: 0, count: m * n)
        var times: [Double] = [], cpu: [Double] = []
        for trial in 0 ... repeats {       // trial 0 warms up (thread pool, page faults)
            let cpuStart = Clock.processCPU(), start = Clock.now()
            Float.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                       beta: 0, c: c, ldc: n)
            if trial > 0 { times.append(Clock.now() - start); cpu.append(Clock.processCPU() - cpuStart) }
        }
        return Result(label: label, m: m, n: n, k: k, seconds: times, cpuSeconds: cpu)
    }

    /// The two shapes the report quotes: square 2048³, and the conv2 forward of a training step
    /// (W[128, 128·3·3] × columns[1152, 256·16·16]).
    static func standard(repeats: Int) -> [Result] {
        [run(label: "sgemm 2048x2048x2048", m: 2048, n: 2048, k: 2048, repeats: repeats),
         run(label: "sgemm conv-shaped 128x65536x1152", m: 128, n: 65536, k: 1152, repeats: repeats)]
    }
}
