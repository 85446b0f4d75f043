/// Slice i of n over 0..<total: the indices k ≡ i (mod n). dd-expert splits its experts this way and dd-eval its
/// networks; item k depends only on the seed and k, so slices run in any process and their outputs concatenate.
public struct IndexShard: Equatable, Sendable {
    public let index: Int
    public let count: Int

    /// A slice the caller has already validated (parse checks untrusted text); anything else is a programming error.
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "IndexShard needs 0 ≤ index < count")
        self.index = index
        self.count = count
    }

    /// Parses "i/n" as given to a `--shard` flag; `example` goes into the message for text that is not i/n.
    public static func parse(_ text: String, example: String = "0/2") throws(IndexShardError) -> IndexShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw IndexShardError(message: "--shard must be i/n (e.g. \(example)), got '\(text)'")
        }
        guard n >= 1, (0..<n).contains(i) else { throw IndexShardError(message: "--shard \(text): need n ≥ 1 and 0 ≤ i < n") }
        return IndexShard(index: i, count: n)
    }

    /// This slice of 0..<total, in order (empty when i ≥ total).
    public func indices(below total: Int) -> [Int] { Array(stride(from: index, to: total, by: count)) }
}

/// Why a `--shard` value was refused; the caller wraps it in its own usage error.
public struct IndexShardError: Error, Equatable {
    public let message: String
}
