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
}

/// The real training set in the normalised space plus its sub-populations.
public struct RealPool: Sendable {
    public let dataset: Dataset
    /// N×C×H×W Float32, normalised.
    public let images: NDArray
    public let subPopulations: [SubPopulation]

    /// One sub-population per class, `ipc` synthetic slots each (rows c·ipc ..< (c+1)·ipc, as the reference
    /// lays out its synthetic set). Every class must have at least `ipc` images.
    public init(_ dataset: Dataset, ipc: Int, matchBy: MatchBy = .class) throws {
        guard ipc >= 1 else { throw DistillError.usage("--ipc must be at least 1, got \(ipc)") }
        let byClass = dataset.indicesByClass()
        for (c, indices) in byClass.enumerated() {
            let name = c < dataset.classNames.count ? "\(c) (\(dataset.classNames[c]))" : "\(c)"
            if indices.isEmpty {
                throw DistillError.badData("class \(name) has no images in \(dataset.name); every class needs images "
                                           + "(select classes with dd-fetch --classes)")
            }
            if indices.count < ipc {
                throw DistillError.usage("--ipc \(ipc) is larger than class \(name), which has only "
                                         + "\(indices.count) images")
            }
        }
        self.dataset = dataset
        let g = dataset.geometry
        images = NDArray(shape: [dataset.count, g.channels, g.height, g.width], scalars: dataset.normalizedImages())
        subPopulations = byClass.enumerated().map { c, indices in
            SubPopulation(id: c, label: c, realIndices: indices, syntheticSlots: Array((c * ipc)..<((c + 1) * ipc)))
        }
    }

    public var syntheticCount: Int { subPopulations.reduce(0) { $0 + $1.syntheticSlots.count } }

    /// Labels of the synthetic rows.
    public var syntheticLabels: [Int] {
        var labels = [Int](repeating: 0, count: syntheticCount)
        for population in subPopulations { for slot in population.syntheticSlots { labels[slot] = population.label } }
        return labels
    }

    /// `count` distinct random images of a sub-population (all of them when it has fewer), the first
    /// `count` of a fresh permutation as the reference's get_images draws them.
    public func sample(_ population: SubPopulation, count: Int, rng: inout RandomGenerator) -> NDArray {
        let order = rng.permutation(population.realIndices.count)
        let chosen = order.prefix(count).map { population.realIndices[$0] }
        return images.indexSelect(axis: 0, chosen)
    }
}
