import COpenBLAS
import Dispatch

/// Global thread setting shared by the parallel loops here and by OpenBLAS.
/// Work is always split into the same contiguous ranges per thread count and
/// every range writes disjoint output, so results never depend on scheduling.
public enum Threads {
    nonisolated(unsafe) private static var current: Int = 2

    /// Number of threads used by `parallelFor` and OpenBLAS.
    public static var count: Int { current }

    /// Sets the thread count for the parallel loops and for OpenBLAS.
    public static func set(_ n: Int) {
        current = max(1, n)
        openblas_set_num_threads(Int32(current))
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
