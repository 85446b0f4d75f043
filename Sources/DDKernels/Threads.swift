import COpenBLAS
import Dispatch

/// Thread setting of the engine's parallel loops and of its gemm (`KernelFloat.gemm`): process-wide, with
/// per-task overrides.
/// Work is always split into the same contiguous ranges per thread count and
/// every range writes disjoint output, so results never depend on scheduling.
/// OpenBLAS itself always runs single-threaded: the engine splits gemms over its own threads, so
/// OpenBLAS's workers never spin between calls against the engine's loops on the same cores.
public enum Threads {
    nonisolated(unsafe) private static var processCount: Int = 2
    /// Multiply-adds ×2 (FLOP) below which a gemm is not worth a second thread.
    public static let defaultGemmGrain = 4 << 20
    // Per-task overrides. Swift Testing runs suites concurrently in one process, so a test that varies the
    // split must not change it under the bitwise-determinism tests beside it (a different gemm split moves
    // the last ulp); the tools set the process-wide count once instead.
    @TaskLocal private static var scopedCount: Int?
    @TaskLocal private static var scopedGemmGrain: Int?

    /// Number of threads used by `parallelFor`, `parallelParts` and `gemm`: the task's override, else the
    /// process-wide setting.
    public static var count: Int { scopedCount ?? processCount }
    /// FLOP below which `gemm` stays on one thread (the task's override, else `defaultGemmGrain`).
    public static var gemmGrain: Int { scopedGemmGrain ?? defaultGemmGrain }

    /// Sets the process-wide thread count for the parallel loops and the gemm.
    public static func set(_ n: Int) {
        ensureSerialBLAS()
        processCount = max(1, n)
    }

    /// Runs `body` with a thread count and/or gemm grain that hold for the current task only.
    public static func withSettings<R>(count: Int? = nil, gemmGrain: Int? = nil, _ body: () throws -> R) rethrows -> R {
        ensureSerialBLAS()
        return try $scopedCount.withValue(count.map { max(1, $0) } ?? scopedCount) {
            try $scopedGemmGrain.withValue(gemmGrain ?? scopedGemmGrain, operation: body)
        }
    }

    private static let serialBLAS: Void = { openblas_set_num_threads(1) }()
    /// Puts OpenBLAS in single-threaded mode once per process (before its first call).
    @inlinable public static func ensureSerialBLAS() { _ = serialBLASToken }
    @usableFromInline static var serialBLASToken: Void { serialBLAS }

    /// Runs `body(part)` for part in 0..<parts concurrently (inline when parts ≤ 1).
    @inlinable
    public static func parallelParts(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 { if parts == 1 { body(0) }; return }
        DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }

    /// Runs `body` over `0..<n` split into at most `count` contiguous ranges.
    /// `grain` is the smallest range worth a thread; below it the loop runs inline.
    @inlinable
    public static func parallelFor(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if n <= 0 { return }
        let parts = min(count, max(1, n / max(1, grain)))
        if parts <= 1 { body(0..<n); return }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let lo = n * part / parts
            let hi = n * (part + 1) / parts
            if lo < hi { body(lo..<hi) }
        }
    }
}
