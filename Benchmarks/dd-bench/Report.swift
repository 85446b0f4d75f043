import Foundation

/// Plain-text tables for the terminal (and for pasting into docs/performance.md).
enum Report {
    static func f(_ value: Double, _ digits: Int = 2) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "–"
    }

    static func gib(_ bytes: Double) -> String { bytes > 0 ? String(format: "%.2f GiB", bytes / 1_073_741_824) : "–" }

    static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }

    /// The run table: one row per workload, the sgemm rate of the same run next to each GFLOP/s figure,
    /// and the time the workload's FLOP would take at that sgemm rate (the gemm-bound floor). The
    /// per-CPU-second rates are the load-robust comparison on a shared machine.
    static func table(records: [WorkloadRecord], sgemm: Double, sgemmPerCPUSecond: Double, target: Double) -> String {
        var lines = [
            row(["workload", "time s (median)", "CPU s", "GFLOP", "GFLOP/s", "sgemm GFLOP/s", "GFLOP/CPU-s",
                 "sgemm GFLOP/CPU-s", "gemm floor s", "PyTorch s", "speedup", "target", "met", "peak RSS"]),
            row(Array(repeating: "---", count: 14)),
        ]
        for r in records {
            lines.append(row([
                r.name, "\(f(r.medianSeconds, 3)) (n=\(r.repeats))", f(r.cpuSeconds, 2), f(r.gflop, 1), f(r.gflops, 1),
                f(sgemm, 0), f(r.gflop / r.cpuSeconds, 1), f(sgemmPerCPUSecond, 0), f(r.gflop / sgemm, 3),
                f(r.pytorchSeconds, 2), f(r.speedup, 2) + "×", f(target, 1) + "×", r.speedup >= target ? "yes" : "no",
                gib(r.peakRSSBytes),
            ]))
        }
        return lines.joined(separator: "\n")
    }

    /// Side by side: one column group per JSON-lines file (e.g. the Haswell run and OpenBLAS's own choice).
    static func compare(_ paths: [String]) throws -> String {
        struct Run {
            let header: [String: Any]; let records: [String: WorkloadRecord]
            let sgemm: Double; let sgemmPerCPUSecond: Double; let target: Double
        }
        var runs: [Run] = []
        var order: [String] = []
        for path in paths {
            let objects = try JSONLines.read(path)
            let header = objects.last { $0["kind"] as? String == "run" } ?? [:]
            let square = objects.filter { $0["kind"] as? String == "sgemm" && ($0["label"] as? String ?? "").contains("2048") }
                .map(WorkloadRecord.init(fields:))
            let sgemm = square.map { $0.number("gflops") }
            let sgemmPerCPUSecond = square.map { $0.number("gflop_per_cpu_second") }.filter(\.isFinite)
            var byName: [String: WorkloadRecord] = [:]
            for r in objects.filter({ $0["kind"] as? String == "workload" }).map(WorkloadRecord.init(fields:)) {
                byName[r.name] = r
                if !order.contains(r.name) { order.append(r.name) }
            }
            runs.append(Run(header: header, records: byName, sgemm: sgemm.isEmpty ? .nan : median(sgemm),
                            sgemmPerCPUSecond: sgemmPerCPUSecond.isEmpty ? .nan : median(sgemmPerCPUSecond),
                            target: WorkloadRecord(fields: header).number("target_speedup")))
        }
        var lines: [String] = []
        for (i, run) in runs.enumerated() {
            let load = (run.header["load_average_before"] as? [Any])?.first.map { "\($0)" } ?? "?"
            lines.append("run \(i + 1): OpenBLAS core \(run.header["openblas_core"] ?? "?") (\(run.header["openblas_env"] ?? "?")), "
                         + "sgemm 2048³ \(f(run.sgemm, 0)) GFLOP/s wall, \(f(run.sgemmPerCPUSecond, 0)) per CPU-second (medians of before/after), load average before \(load), "
                         + "\(run.header["date"] ?? "")")
        }
        lines.append("")
        lines.append(row(["workload", "PyTorch s"] + runs.indices.flatMap { i in
            ["\(i + 1): s", "\(i + 1): CPU s", "\(i + 1): GFLOP/s", "\(i + 1): GFLOP/CPU-s", "\(i + 1): speedup", "\(i + 1): ≥ \(f(runs[i].target, 1))×"]
        }))
        lines.append(row(Array(repeating: "---", count: 2 + 6 * runs.count)))
        for name in order {
            var cells = [name, f(runs.lazy.compactMap { $0.records[name] }.first?.pytorchSeconds ?? .nan, 2)]
            for run in runs {
                guard let r = run.records[name] else { cells += Array(repeating: "–", count: 6); continue }
                cells += [f(r.medianSeconds, 3), f(r.cpuSeconds, 2), f(r.gflops, 1), f(r.gflop / r.cpuSeconds, 1), f(r.speedup, 2) + "×",
                          r.speedup >= run.target ? "yes" : "no"]
            }
            lines.append(row(cells))
        }
        let mtt = runs.compactMap { $0.records["mtt"] }
        if !mtt.isEmpty {
            lines.append("")
            lines.append("MTT peak RSS (own process): " + mtt.map { gib($0.peakRSSBytes) }.joined(separator: ", ") + " (PyTorch 5.7 GB)")
        }
        return lines.joined(separator: "\n")
    }
}
