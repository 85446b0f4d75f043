import DDData
import DDTensor

/// Synthetic images that start from another set (`dd-distill --init-from`): a coreset (herding, k-center),
/// another method's output, or an earlier run. Trajectory matching in particular moves images little per
/// iteration, so where it starts matters as much as how long it runs (DATM initialises from samples the
/// expert finds easy; herding's class prototypes are the coreset analogue).
public enum InitialSet {
    /// The set's images laid out on the synthetic rows of `pool`, in the pool's normalised space: each
    /// matching unit takes, in stream order, the set's images of its class (and of its group when the unit is
    /// one (class, group) cell). The set must have exactly as many images per unit as the unit has slots.
    public static func images(_ set: Dataset, pool: RealPool) throws -> NDArray {
        let source = pool.dataset
        func bad(_ text: String) -> DistillError { .badData("--init-from: \(text)") }
        guard set.geometry == source.geometry else {
            throw bad("its images are \(set.geometry), the input's are \(source.geometry)")
        }
        guard set.classCount == source.classCount else {
            throw bad("it has \(set.classCount) classes, the input has \(source.classCount)")
        }
        if !set.classNames.isEmpty, !source.classNames.isEmpty, set.classNames != source.classNames {
            throw bad("its classes (\(set.classNames.prefix(3).joined(separator: ", "))…) are not the input's "
                      + "(\(source.classNames.prefix(3).joined(separator: ", "))…)")
        }
        let needsGroups = pool.matchingUnits.contains { $0.count == 1 && $0[0].group != nil }
        if needsGroups, set.groups == nil {
            throw bad("the run matches by group and the set has no group record")
        }
        let perImage = source.geometry.valuesPerImage
        let converted = set.normalizedImages(mean: source.mean, std: source.std)
        var scalars = [Float](repeating: 0, count: pool.syntheticCount * perImage)
        for unit in pool.matchingUnits {
            let label = unit[0].label
            let group = unit.count == 1 ? unit[0].group : nil
            let mine = (0..<set.count).filter { i in
                Int(set.labels[i]) == label && (group == nil || set.groups.map { Int($0[i]) == group } == true)
            }
            let slots = unit[0].syntheticSlots
            guard mine.count == slots.count else {
                let cell = unit.count == 1 ? unit[0].name : "class \(label)"
                throw bad("it has \(mine.count) image\(mine.count == 1 ? "" : "s") of \(cell), the run needs "
                          + "\(slots.count) (one per synthetic image)")
            }
            for (slot, index) in zip(slots, mine) {
                scalars.replaceSubrange((slot * perImage)..<((slot + 1) * perImage),
                                        with: converted[(index * perImage)..<((index + 1) * perImage)])
            }
        }
        let g = source.geometry
        return NDArray(shape: [pool.syntheticCount, g.channels, g.height, g.width], scalars: scalars)
    }
}
