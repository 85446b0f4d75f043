import DDData
import DDTensor

/// The unit of matching: a set of real images and the synthetic slots that must summarise them.
/// Methods only see sub-populations, never classes directly, so matching per (class, group) for debiased
/// distillation is a different `partition`, not a different method.
public struct SubPopulation: Sendable, Equatable {
    public var id: Int
    /// The class every real and synthetic image of this sub-population carries.
    public var label: Int
    /// The group (e.g. bias-aligned or conflicting) when matching by group; nil when matching by class.
    public var group: Int?
    /// Indices into the real dataset.
    public var realIndices: [Int]
    /// Rows of the synthetic set that belong to this sub-population.
    public var syntheticSlots: [Int]

    public init(id: Int, label: Int, group: Int? = nil, realIndices: [Int], syntheticSlots: [Int]) {
        self.id = id
        self.label = label
        self.group = group
        self.realIndices = realIndices
        self.syntheticSlots = syntheticSlots
    }

    public var name: String { group.map { "class \(label) group \($0)" } ?? "class \(label)" }
}

/// How the real set is cut into sub-populations.
public enum MatchBy: String, Sendable, CaseIterable {
    case `class`
    /// (class, group) sub-populations from the stream's `groups` record (`GroupPartition`).
    case group
}

/// The real training set in the normalised space plus its sub-populations.
public struct RealPool: Sendable {
    public let dataset: Dataset
    /// N×C×H×W Float32, normalised.
    public let images: NDArray
    public let subPopulations: [SubPopulation]
    /// Consecutive sub-populations that share their synthetic slots (FairDD's groups of a class); a method
    /// computes the synthetic side once per unit and sums its losses over the unit's real targets.
    public let matchingUnits: [[SubPopulation]]
    /// Group cells missing from a class (reported, never silently dropped); empty unless matching by group.
    public let absentGroups: [AbsentGroup]
    /// Per sub-population, cumulative sampling probabilities over its real images (`--reweight`).
    public private(set) var cumulativeWeights: [[Double]]?

    /// By class: one sub-population per class, `ipc` synthetic slots each (rows c·ipc ..< (c+1)·ipc, as the
    /// reference lays out its synthetic set). By group: see `GroupPartition`. Every class must have at
    /// least `ipc` images.
    public init(_ dataset: Dataset, ipc: Int, matchBy: MatchBy = .class, groupLoss: GroupLoss = .partition) throws {
        guard ipc >= 1 else { throw DistillError.usage("--ipc must be at least 1, got \(ipc)") }
        let byClass = dataset.indicesByClass()
        for (c, indices) in byClass.enumerated() {
            let name = GroupPartition.className(dataset, c)
            if indices.isEmpty {
                throw DistillError.badData("class \(name) has no images in \(dataset.name); every class needs images "
                                           + "(select classes with dd-fetch --classes)")
            }
            if indices.count < ipc {
                throw DistillError.usage("--ipc \(ipc) is larger than class \(name), which has only "
                                         + "\(indices.count) images")
            }
        }
        switch matchBy {
        case .class:
            subPopulations = byClass.enumerated().map { c, indices in
                SubPopulation(id: c, label: c, realIndices: indices, syntheticSlots: Array((c * ipc)..<((c + 1) * ipc)))
            }
            absentGroups = []
        case .group:
            subPopulations = try GroupPartition.subPopulations(dataset, byClass: byClass, ipc: ipc, loss: groupLoss)
            absentGroups = GroupPartition.absentGroups(dataset, byClass: byClass)
        }
        var units: [[SubPopulation]] = []
        for population in subPopulations {
            if let last = units.last?.first, last.syntheticSlots == population.syntheticSlots {
                units[units.count - 1].append(population)
            } else {
                units.append([population])
            }
        }
        matchingUnits = units
        self.dataset = dataset
        let g = dataset.geometry
        images = NDArray(shape: [dataset.count, g.channels, g.height, g.width], scalars: dataset.normalizedImages())
    }

    public var syntheticCount: Int { Set(subPopulations.flatMap(\.syntheticSlots)).count }

    /// Labels of the synthetic rows.
    public var syntheticLabels: [Int] {
        var labels = [Int](repeating: 0, count: syntheticCount)
        for population in subPopulations { for slot in population.syntheticSlots { labels[slot] = population.label } }
        return labels
    }

    /// Real batches are then drawn with replacement with probability ∝ weight within each sub-population.
    /// `weights` has one non-negative entry per real image; a sub-population whose weights are all 0 is
    /// drawn uniformly.
    public mutating func setSampleWeights(_ weights: [Double]) {
        precondition(weights.count == dataset.count, "one weight per real image")
        cumulativeWeights = subPopulations.map { population in
            let own = population.realIndices.map { max(0, weights[$0]) }
            let total = own.reduce(0, +)
            var running = 0.0
            return own.map { w in
                running += total > 0 ? w / total : 1 / Double(own.count)
                return running
            }
        }
    }

    /// A real batch of a sub-population: without weights, `count` distinct random images (all of them when
    /// it has fewer, so a group of 3 contributes its 3 every time), the first `count` of a fresh permutation
    /// as the reference's get_images draws them; with weights, `count` draws with replacement.
    public func sample(_ population: SubPopulation, count: Int, rng: inout RandomGenerator) -> NDArray {
        guard let cumulative = cumulativeWeights?[population.id] else {
            return sampleDistinct(population.realIndices, count: count, rng: &rng)
        }
        let chosen = (0..<count).map { _ -> Int in
            let u = rng.uniform()
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > u { high = mid } else { low = mid + 1 }
            }
            return population.realIndices[low]
        }
        return images.indexSelect(axis: 0, chosen)
    }

    /// `count` distinct random images of `indices` (all of them when fewer).
    public func sampleDistinct(_ indices: [Int], count: Int, rng: inout RandomGenerator) -> NDArray {
        let order = rng.permutation(indices.count)
        return images.indexSelect(axis: 0, order.prefix(count).map { indices[$0] })
    }
}
