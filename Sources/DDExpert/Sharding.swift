import DDTrain

/// Which experts of 0..<K one process makes (reference §5.4.3): every task computes the same list and keeps
/// its part, so array tasks need no coordination.
public enum ExpertSelection: Equatable, Sendable {
    case all
    case index(Int)
    /// Experts k with k ≡ index (mod count).
    case shard(index: Int, count: Int)

    /// Parses `i/n`.
    public static func parseShard(_ text: String) throws -> ExpertSelection {
        do {
            let shard = try IndexShard.parse(text, example: "0/4")
            return .shard(index: shard.index, count: shard.count)
        } catch { throw ExpertError.usage(error.message) }
    }

    /// The selection from explicit flags, else from Slurm's array variables. A contiguous array
    /// `--array=0-(n−1)` (MIN 0, MAX COUNT−1) means shard ID/COUNT, so any K splits over any n tasks; any other
    /// array (e.g. `--array=$(dd-expert --list-missing … | paste -sd,)`) means task ID = expert index.
    public static func resolve(index: Int?, shard: String?, environment: [String: String]) throws -> ExpertSelection {
        if index != nil && shard != nil { throw ExpertError.usage("--index and --shard are exclusive") }
        if let index {
            guard index >= 0 else { throw ExpertError.usage("--index must be ≥ 0, got \(index)") }
            return .index(index)
        }
        if let shard { return try parseShard(shard) }
        guard let idText = environment["SLURM_ARRAY_TASK_ID"], !idText.isEmpty else { return .all }
        guard let id = Int(idText), id >= 0 else {
            throw ExpertError.usage("SLURM_ARRAY_TASK_ID is '\(idText)', expected a non-negative integer")
        }
        let count = environment["SLURM_ARRAY_TASK_COUNT"].flatMap { Int($0) }
        let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
        let maximum = environment["SLURM_ARRAY_TASK_MAX"].flatMap { Int($0) } ?? ((count ?? 0) - 1)
        if let count, count >= 1, minimum == 0, maximum == count - 1, id < count {
            return .shard(index: id, count: count)
        }
        return .index(id)
    }

    /// The expert indices of 0..<experts this selection covers.
    public func indices(experts: Int) throws -> [Int] {
        switch self {
        case .all: return Array(0..<experts)
        case .index(let k):
            guard k < experts else { throw ExpertError.usage("expert index \(k) is outside 0..<\(experts) (--experts \(experts))") }
            return [k]
        case .shard(let i, let n):
            return IndexShard(index: i, count: n).indices(below: experts)
        }
    }
}
