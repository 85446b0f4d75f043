import DDAutograd
import DDData
import DDTensor

/// A dataset as the training loop and the evaluator see it: normalised f32 images N×C×H×W in one tensor,
/// class indices, optional soft-label rows, optional group / bias labels.
public struct TrainingData: @unchecked Sendable {
    /// N×C×H×W in the normalised space: u8 datasets are normalised with the stream's own mean/std, f32
    /// (synthetic) images are taken as already normalised.
    public let images: Tensor
    public let labels: [Int]
    /// N×K soft-label rows as stored (probabilities or logits), when the data carries them.
    public let softLabels: Tensor?
    public let groups: [Int]?
    public let biasLabels: [Int]?
    public let classCount: Int
    public let geometry: ImageGeometry
    public let name: String

    public var count: Int { labels.count }

    /// Builds the view of a validated dataset. `hardLabels` drops the soft labels (argmax training).
    public init(_ dataset: Dataset, hardLabels: Bool = false) throws {
        try dataset.validate()
        let g = dataset.geometry
        images = Tensor(shape: [dataset.count, g.channels, g.height, g.width], scalars: dataset.normalizedImages())
        labels = dataset.labels.map(Int.init)
        if !hardLabels, let soft = dataset.softLabels {
            softLabels = Tensor(shape: [dataset.count, dataset.classCount], scalars: soft)
        } else {
            softLabels = nil
        }
        groups = dataset.groups.map { $0.map(Int.init) }
        biasLabels = dataset.biasLabels.map { $0.map(Int.init) }
        classCount = dataset.classCount
        geometry = g
        name = dataset.name
    }

    /// Direct construction (tests, in-memory synthetic sets). Shapes are checked.
    public init(images: Tensor, labels: [Int], classCount: Int, softLabels: Tensor? = nil, groups: [Int]? = nil,
                biasLabels: [Int]? = nil, name: String = "") throws {
        guard images.rank == 4, images.shape[0] == labels.count else {
            throw TrainingError.invalidData("\(name): images \(images.shape) for \(labels.count) labels")
        }
        guard classCount >= 1, labels.allSatisfy({ $0 >= 0 && $0 < classCount }) else {
            throw TrainingError.invalidData("\(name): labels outside 0..<\(classCount)")
        }
        if let softLabels, softLabels.shape != [labels.count, classCount] {
            throw TrainingError.invalidData("\(name): soft labels \(softLabels.shape), expected [\(labels.count), \(classCount)]")
        }
        for extra in [groups, biasLabels] {
            if let extra, extra.count != labels.count || extra.contains(where: { $0 < 0 }) {
                throw TrainingError.invalidData("\(name): \(extra.count) group/bias labels for \(labels.count) images")
            }
        }
        self.images = images; self.labels = labels; self.classCount = classCount; self.softLabels = softLabels
        self.groups = groups; self.biasLabels = biasLabels; self.name = name
        self.geometry = ImageGeometry(channels: images.shape[1], height: images.shape[2], width: images.shape[3])
    }

    /// Images per class (index = class).
    public var classSizes: [Int] {
        var sizes = [Int](repeating: 0, count: classCount)
        for label in labels { sizes[label] += 1 }
        return sizes
    }

    /// The rows at `indices` (a mini-batch), without recording a graph.
    public func batch(_ indices: [Int]) -> (images: Tensor, labels: [Int], soft: Tensor?) {
        let x = Tensor(images.array.indexSelect(axis: 0, indices))
        let y = indices.map { labels[$0] }
        let soft = softLabels.map { Tensor($0.array.indexSelect(axis: 0, indices)) }
        return (x, y, soft)
    }
}
