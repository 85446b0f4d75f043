import DDData

/// Which end of the forgetting ranking a Forgetting coreset keeps.
public enum ForgettingOrder: String, Sendable, CaseIterable {
    /// Most forgetting events first (never-learned samples first of all): Toneva et al. find the rarely
    /// forgotten samples the least informative. The DC paper's direction is UNVERIFIED (reference).
    case mostForgotten = "most"
    /// Most forgetting events first among the samples learned at least once; never-learned samples last.
    /// In a short counting run the never-learned samples are mostly mislabelled or unreadable images, which
    /// `mostForgotten` would pick before any real hard example.
    case mostForgottenLearned = "most-learned"
    /// Fewest forgetting events first (never-learned samples last).
    case leastForgotten = "least"

    /// How the selection metadata describes the order.
    public var summary: String {
        switch self {
        case .mostForgotten: "most forgotten first (never learned = infinitely forgotten)"
        case .mostForgottenLearned: "most forgotten first among learned samples (never learned last)"
        case .leastForgotten: "least forgotten first (never learned last)"
        }
    }
}

/// Forgetting events per sample (Toneva et al., ICLR 2019): a transition from correctly to incorrectly
/// classified between two consecutive presentations of the sample during training. Before its first
/// presentation a sample counts as incorrect, so an initial mistake is not an event. A sample never
/// classified correctly is "forgotten infinitely often" (`count` nil, `score` +∞), Toneva's convention.
public struct ForgettingCounter: Sendable, Equatable {
    public private(set) var events: [Int]
    public private(set) var everCorrect: [Bool]
    public private(set) var presentations: [Int]
    private var lastCorrect: [Bool]

    public init(samples: Int) {
        events = [Int](repeating: 0, count: samples)
        everCorrect = [Bool](repeating: false, count: samples)
        presentations = [Int](repeating: 0, count: samples)
        lastCorrect = [Bool](repeating: false, count: samples)
    }

    /// One presentation of `sample` and whether the network classified it correctly.
    public mutating func record(sample: Int, correct: Bool) {
        if lastCorrect[sample] && !correct { events[sample] += 1 }
        lastCorrect[sample] = correct
        everCorrect[sample] = everCorrect[sample] || correct
        presentations[sample] += 1
    }

    /// Forgetting events of `sample`, nil when it was never learned.
    public func count(_ sample: Int) -> Int? { everCorrect[sample] ? events[sample] : nil }

    /// The ranking key: the event count, +∞ for a never-learned sample.
    public func score(_ sample: Int) -> Double { everCorrect[sample] ? Double(events[sample]) : .infinity }

    /// `count` of `candidates` ordered by score in the given direction; equal scores in the order of
    /// `tieOrder` (a permutation of 0..<candidates.count, e.g. seeded), so ties do not favour file order.
    public func rank(_ candidates: [Int], order: ForgettingOrder, tieOrder: [Int]) -> [Int] {
        precondition(tieOrder.count == candidates.count, "rank: tie order must cover every candidate")
        var position = [Int](repeating: 0, count: candidates.count)
        for (rank, slot) in tieOrder.enumerated() { position[slot] = rank }
        // One key, larger first: never-learned samples score +∞, or −∞ where they go last.
        let key: (Int) -> Double = { sample in
            let value = self.score(sample)
            switch order {
            case .mostForgotten: return value
            case .mostForgottenLearned: return value.isFinite ? value : -.infinity
            case .leastForgotten: return -value
            }
        }
        let slots = candidates.indices.sorted { a, b in
            let ka = key(candidates[a]), kb = key(candidates[b])
            if ka != kb { return ka > kb }
            return position[a] < position[b]
        }
        return slots.map { candidates[$0] }
    }

    /// Summary for metadata: samples never learned, with zero events, and the largest finite count.
    public var summary: (neverLearned: Int, unforgettable: Int, maxEvents: Int) {
        var never = 0, zero = 0, maxEvents = 0
        for i in events.indices {
            if !everCorrect[i] { never += 1; continue }
            if events[i] == 0 { zero += 1 }
            maxEvents = Swift.max(maxEvents, events[i])
        }
        return (never, zero, maxEvents)
    }
}
