import Foundation

/// Plain-text tables for the terminal (and for pasting into docs/performance.md).
enum Report {
    static func f(_ value: Double, _ digits: Int = 2) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "–"
    }

    static func gib(_ bytes: Double) -> String { bytes > 0 ? String(format: "%.2f GiB", bytes / 1_073_741_824) : "–" }

    static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }

    /// The run table: one row per workload, the sgemm rate of the same run next to each GFLOP/s figure,
    /// and the time the workload's FLOP would take at that sgemm rate (the gemm-bound floor).
    static func table(records: [WorkloadRecord], sgemm: Double, target: Double) -> String {
        var lines = [
            row(["workload", "time s (median)", "CPU s", "GFLOP", "GFLOP/s", "sgemm GFLOP/s", "gemm floor s",
                 "PyTorch s", "speedup", "target", "met", "peak RSS"]),
            row(Array(repeating: "---", count: 12)),
        ]
        for r in records {
            lines.append(row([
                r.name, "\(f(r.medianSeconds, 3)) (n=\(r.repeats))", f(r.cpuSeconds, 2), f(r.gflop, 1), f(r.gflops, 1),
                f(sgemm, 0), f(r.gflop / sgemm, 3), f(r.pytorchSeconds, 2), f(r.speedup, 2) + "×", f(target, 1) + "×",
                r.speedup >= target ? "yes" : "no", gib(r.peakRSSBytes),
            ]))
        }
        return lines.joined(separator: "\n")
    }

    /// Side by side: one column group per JSON-lines file (e.g. the Haswell run and OpenBLAS's own choice).
    static func compare(_ paths: [String]) throws -> String {
        var runs: [(label: String, records: [String: WorkloadRecord], sgemm: Double, target: Double)] = []
        var order: [String] = []
        for path in paths {
            let objects = try JSONLines.read(path)
            let header = objects.last { $0["kind"] as? String == "run" } ?? [:]
            let records = objects.filter { $0["kind"] as? String == "workload" }.map(WorkloadRecord.init(fields:))
            let sgemm = objects.filter { $0["kind"] as? String == "sgemm" && ($0["label"] as? String ?? "").contains("2048") }
                .map { WorkloadRecord(fields: $0).number("gflops") }
            let target = WorkloadRecord(fields: header).number("target_speedup")
            var byName: [String: WorkloadRecord] = [:]
            for r in records { byName[r.name] = r; if !order.contains(r.name) { order.append(r.name) } }
            let core = header["openblas_core"] as? String ?? "?"
            runs.append(("\(core), load \(header["load_average_before"].map { "\($0)" } ?? "?")", byName,
                         sgemm.isEmpty ? .nan : median(sgemm), target))
        }
        var lines = [row(["workload", "PyTorch s"] + runs.flatMap { run in
            ["\(run.label): s", "GFLOP/s (sgemm \(f(run.sgemm, 0)))", "speedup", "≥ \(f(run.target, 1))×"]
        })]
        lines.append(row(Array(repeating: "---", count: 2 + 4 * runs.count)))
        for name in order {
            var cells = [name, f(runs.lazy.compactMap { $0.records[name] }.first?.pytorchSeconds ?? .nan, 2)]
            for run in runs {
                guard let r = run.records[name] else { cells += ["–", "–", "–", "–"]; continue }
                cells += [f(r.medianSeconds, 3), f(r.gflops, 1), f(r.speedup, 2) + "×", r.speedup >= run.target ? "yes" : "no"]
            }
            lines.append(row(cells))
        }
        if let mtt = runs.compactMap({ $0.records["mtt"] }).first {
            lines.append("")
            lines.append("MTT peak RSS: " + runs.compactMap { $0.records["mtt"].map { gib($0.peakRSSBytes) } }.joined(separator: ", ")
                         + " (PyTorch 5.7 GB); repeats: \(mtt.repeats)")
        }
        return lines.joined(separator: "\n")
    }
}
