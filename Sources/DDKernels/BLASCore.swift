import COpenBLAS
import Foundation

/// Which OpenBLAS kernels this process runs. OpenBLAS picks them once, when the library loads, from the
/// CPU model it recognises; a model newer than its tables (seen: OpenBLAS 0.3.21 on an Intel family 6 model 207
/// VM) falls back to the generic SSE3 "Prescott" kernels, whose sgemm measured 19–26 GFLOP/s against
/// 115–150 for the AVX-512 ones on the same core. Only the environment can change the choice, so the tools
/// say how.
public enum BLASCore {
    /// OpenBLAS's name for the kernels in use ("SkylakeX", "Haswell", "Prescott", …).
    public static var name: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// A one-line advice when the generic kernels run on a CPU with AVX2 or AVX-512 and the user did not
    /// choose them (OPENBLAS_CORETYPE unset); nil otherwise.
    public static func fallbackAdvice() -> String? {
        fallbackAdvice(core: name, cpuFlags: cpuFlags(), coreTypeSet: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil)
    }

    public static func fallbackAdvice(core: String, cpuFlags: Set<String>, coreTypeSet: Bool) -> String? {
        guard !coreTypeSet, core.lowercased() == "prescott" else { return nil }
        let better: String
        if cpuFlags.contains("avx512f") && cpuFlags.contains("avx512bw") { better = "SkylakeX" }
        else if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { better = "Haswell" }
        else { return nil }
        return "OpenBLAS did not recognise this CPU and runs its generic Prescott kernels (up to 5× slower); "
            + "export OPENBLAS_CORETYPE=\(better) to use its \(better == "SkylakeX" ? "AVX-512" : "AVX2") ones"
    }

    /// The feature flags of the first CPU in /proc/cpuinfo (empty where there is none); reads at most 64 KiB.
    static func cpuFlags() -> Set<String> {
        guard let handle = FileHandle(forReadingAtPath: "/proc/cpuinfo") else { return [] }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 1 << 16) else { return [] }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
