import COpenBLAS
import Dispatch

/// Global thread setting of the engine's parallel loops and of its gemm (`KernelFloat.gemm`).
/// Work is always split into the same contiguous ranges per thread count and
/// every range writes disjoint output, so results never depend on scheduling.
/// OpenBLAS itself always runs single-threaded: the engine splits gemms over its own threads, so
/// OpenBLAS's workers never spin between calls against the engine's loops on the same cores.
public enum Threads {
    nonisolated(unsafe) private static var current: Int = 2
    /// Multiply-adds ×2 (FLOP) below which a gemm is not worth a second thread.
    nonisolated(unsafe) public static var gemmGrain = 4 << 20

    /// Number of threads used by `parallelFor`, `parallelParts` and `gemm`.
    public static var count: Int { current }

    /// Sets the thread count for the parallel loops and the gemm.
    public static func set(_ n: Int) {
        ensureSerialBLAS()
        current = max(1, n)
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
