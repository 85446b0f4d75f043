import Foundation

/// Counts the graph nodes alive at once while a body runs (opt-in, task-local): the test that a
/// constant-memory algorithm (TESLA) really holds one step's graph at a time, not N. Only nodes created
/// inside `measure` on this task are counted; elsewhere the cost is one task-local read per node.
public final class GraphCensus: @unchecked Sendable {
    @TaskLocal static var current: GraphCensus?

    private let lock = NSLock()
    private var live = 0
    private var peakLive = 0

    /// Nodes created inside the census and not yet freed.
    public var liveNodes: Int { lock.lock(); defer { lock.unlock() }; return live }
    /// The most nodes alive at one time.
    public var peakNodes: Int { lock.lock(); defer { lock.unlock() }; return peakLive }

    public init() {}

    /// Runs `body` counting its graph nodes; returns the body's value and the census.
    public static func measure<R>(_ body: () throws -> R) rethrows -> (value: R, census: GraphCensus) {
        let census = GraphCensus()
        let value = try $current.withValue(census, operation: body)
        return (value, census)
    }

    func created() { lock.lock(); live += 1; peakLive = max(peakLive, live); lock.unlock() }
    func freed() { lock.lock(); live -= 1; lock.unlock() }
}
