import DDData
import DDFormat

/// How `--match-by group` uses the groups of a class (reference methods/debiasing-groups.md §1–§2).
public enum GroupLoss: String, Sendable, CaseIterable {
    /// The founding document's reading B: the class's IPC synthetic images are split among its groups and
    /// each block is matched only to its own group's real images.
    case partition
    /// FairDD: all of the class's synthetic images are matched to every group of the class in turn and the
    /// losses are summed, so a minority group pulls as hard as the majority.
    case sum
}

/// Sample reweighting for data without group labels.
public enum Reweight: String, Sendable, CaseIterable {
    case none
    /// Inverse kernel-density weights in a trained embedding (`KDEReweighting`, the Cui et al. reconstruction).
    case kde
}

/// Parses a flag value of an enumerated setting; an unknown value is a usage error listing the valid ones.
public func parseChoice<T: RawRepresentable & CaseIterable>(_ text: String, flag: String) throws -> T
where T.RawValue == String {
    guard let value = T(rawValue: text.lowercased()) else {
        let valid = T.allCases.map(\.rawValue).joined(separator: ", ")
        throw DistillError.usage("\(flag) \(text): unknown value; valid: \(valid)")
    }
    return value
}

/// A (class, attribute) cell with no real images although the attribute occurs in other classes.
public struct AbsentGroup: Sendable, Equatable {
    public var label: Int
    public var attribute: Int
}

/// Cuts each class into its (class, group) sub-populations and allots the synthetic slots.
enum GroupPartition {
    /// Sub-populations in class order, groups ascending within a class. `partition`: the class's rows
    /// c·ipc ..< (c+1)·ipc are split by `allot`; `sum`: every group of the class gets all of the rows.
    static func subPopulations(_ dataset: Dataset, byClass: [[Int]], ipc: Int, loss: GroupLoss) throws -> [SubPopulation] {
        guard let groups = dataset.groups else {
            throw DistillError.badData("group matching needs group labels, and \(dataset.name) has no `groups` record "
                                       + "(dd-bias writes them; without labels use --reweight kde)")
        }
        var result: [SubPopulation] = []
        for (c, indices) in byClass.enumerated() {
            let byGroup = Dictionary(grouping: indices) { Int(groups[$0]) }
            let ids = byGroup.keys.sorted()
            let rows = Array((c * ipc)..<((c + 1) * ipc))
            var slotsPerGroup = Array(repeating: ipc, count: ids.count)
            if loss == .partition {
                guard ipc >= ids.count else {
                    let sizes = ids.map { "\($0):\(byGroup[$0]!.count)" }.joined(separator: " ")
                    throw DistillError.usage("--ipc \(ipc) is smaller than the \(ids.count) groups of class "
                                             + "\(className(dataset, c)) (group:images \(sizes)); partitioned group "
                                             + "matching needs one synthetic image per group: raise --ipc or use "
                                             + "--group-loss sum")
                }
                slotsPerGroup = allot(ipc, sizes: ids.map { byGroup[$0]!.count })
            }
            var next = 0
            for (g, id) in ids.enumerated() {
                let slots = loss == .sum ? rows : Array(rows[next..<(next + slotsPerGroup[g])])
                next += loss == .sum ? 0 : slotsPerGroup[g]
                result.append(SubPopulation(id: result.count, label: c, group: id, realIndices: byGroup[id]!,
                                            syntheticSlots: slots))
            }
        }
        return result
    }

    /// Equal shares, as the founding document's IPC 10 with 10 colours gives one image per (class, colour):
    /// each group gets ⌊ipc / groups⌋ slots but never more than it has real images (a synthetic image per
    /// real image is already a copy); the remaining slots go one at a time, round-robin, to the groups with
    /// room, largest group first (ties: lower group id). Needs ipc ≥ sizes.count and Σ sizes ≥ ipc.
    static func allot(_ ipc: Int, sizes: [Int]) -> [Int] {
        var slots = sizes.map { min($0, ipc / sizes.count) }
        var remaining = ipc - slots.reduce(0, +)
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        while remaining > 0 {
            for g in order where remaining > 0 && slots[g] < sizes[g] {
                slots[g] += 1
                remaining -= 1
            }
        }
        return slots
    }

    /// Cells to report: the attribute of an image is its bias label when the stream has them, else its group
    /// id; an attribute present in at least two classes but missing from class c is absent from c. (Group ids
    /// that are unique to a class, like class·A + b, never count as missing elsewhere.)
    static func absentGroups(_ dataset: Dataset, byClass: [[Int]]) -> [AbsentGroup] {
        guard let attributes = dataset.biasLabels ?? dataset.groups else { return [] }
        let present = byClass.map { Set($0.map { Int(attributes[$0]) }) }
        var classesPerAttribute: [Int: Int] = [:]
        for set in present { for a in set { classesPerAttribute[a, default: 0] += 1 } }
        let shared = classesPerAttribute.filter { $0.value >= 2 }.keys.sorted()
        return present.enumerated().flatMap { c, set in
            shared.filter { !set.contains($0) }.map { AbsentGroup(label: c, attribute: $0) }
        }
    }

    static func className(_ dataset: Dataset, _ c: Int) -> String {
        c < dataset.classNames.count ? "\(c) (\(dataset.classNames[c]))" : "\(c)"
    }
}

extension RealPool {
    /// One line per class: its groups with real counts and synthetic slots (for stderr).
    public var groupSummary: [String] {
        Dictionary(grouping: subPopulations, by: \.label).keys.sorted().map { c in
            let cells = subPopulations.filter { $0.label == c }.map {
                "\($0.group.map(String.init) ?? "-"):\($0.realIndices.count)→\($0.syntheticSlots.count)"
            }
            return "class \(GroupPartition.className(dataset, c)): group:real→synthetic \(cells.joined(separator: " "))"
        }
    }

    /// Per synthetic row, the group of its sub-population when slots are partitioned by group; nil otherwise.
    public var syntheticGroups: [Int32]? {
        guard subPopulations.allSatisfy({ $0.group != nil }),
              Set(subPopulations.flatMap(\.syntheticSlots)).count == subPopulations.reduce(0, { $0 + $1.syntheticSlots.count })
        else { return nil }
        var groups = [Int32](repeating: 0, count: syntheticCount)
        for population in subPopulations { for slot in population.syntheticSlots { groups[slot] = Int32(population.group!) } }
        return groups
    }

    /// Per synthetic row, the bias label of its group when every real image of each group carries the same one.
    public var syntheticBiasLabels: [Int32]? {
        guard syntheticGroups != nil, let bias = dataset.biasLabels else { return nil }
        var labels = [Int32](repeating: 0, count: syntheticCount)
        for population in subPopulations {
            let values = Set(population.realIndices.map { bias[$0] })
            guard values.count == 1, let value = values.first else { return nil }
            for slot in population.syntheticSlots { labels[slot] = value }
        }
        return labels
    }

    /// The allotment for the synthetic stream's metadata.
    var groupMetadata: JSONValue {
        let cells: [JSONValue] = subPopulations.map {
            .object(["class": .number(Double($0.label)), "group": .number(Double($0.group ?? -1)),
                     "real": .number(Double($0.realIndices.count)), "synthetic": .number(Double($0.syntheticSlots.count))])
        }
        let absent: [JSONValue] = absentGroups.map {
            .object(["class": .number(Double($0.label)), "attribute": .number(Double($0.attribute)), "real": .number(0)])
        }
        return .object(["sub_populations": .array(cells), "absent": .array(absent),
                        "absent_attribute": .string(dataset.biasLabels != nil ? "bias_labels" : "groups")])
    }
}
