import DDTrain
import Foundation

/// Which of the N networks per architecture one dd-eval process trains. Network k's seed depends only on
/// --seed and k, so shards run in separate processes (two cores, a job array, two sessions) produce exactly the
/// network lines of one full run; their --json lines concatenate into it.
public enum NetworkSelection: Equatable, Sendable {
    case all
    /// These network indices (0-based).
    case indices([Int])
    /// Networks k with k ≡ index (mod count).
    case shard(index: Int, count: Int)

    /// Parses `--shard i/n`.
    public static func parseShard(_ text: String) throws -> NetworkSelection {
        do {
            let shard = try IndexShard.parse(text, example: "0/2")
            return .shard(index: shard.index, count: shard.count)
        } catch { throw EvalInputError(error.message, usage: true) }
    }

    /// Parses `--index 3,4` (comma-separated, 0-based).
    public static func parseIndices(_ text: String) throws -> NetworkSelection {
        var seen = Set<Int>(), list: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let k = Int(item.trimmingCharacters(in: .whitespaces)), k >= 0 else {
                throw EvalInputError("--index takes 0-based network indices separated by commas (e.g. 3,4), got '\(text)'", usage: true)
            }
            if seen.insert(k).inserted { list.append(k) }
        }
        return .indices(list.sorted())
    }

    /// The indices of 0..<networks this selection trains, in order; throws when an index is out of range or
    /// nothing is left.
    public func networks(of count: Int) throws -> [Int] {
        switch self {
        case .all: return Array(0..<count)
        case .indices(let list):
            if let bad = list.first(where: { $0 >= count }) {
                throw EvalInputError("--index \(bad) is outside 0..<\(count) (--nets \(count))", usage: true)
            }
            return list
        case .shard(let i, let n):
            let list = IndexShard(index: i, count: n).indices(below: count)
            guard !list.isEmpty else { throw EvalInputError("--shard \(i)/\(n) selects none of --nets \(count)", usage: true) }
            return list
        }
    }

    /// For reports: nil when every network runs.
    public var description: String? {
        switch self {
        case .all: return nil
        case .indices(let list): return "index " + list.map(String.init).joined(separator: ",")
        case .shard(let i, let n): return "shard \(i)/\(n)"
        }
    }
}
