import DDAutograd
import DDNN
import DDTensor

/// Correct/total counts of a classifier on a labelled set, split by class and (when the set has them) by
/// group and by (class, bias attribute). Pure counting, so the metrics are testable on hand-made cases.
public struct ClassificationCounts: Sendable, Equatable, Codable {
    public let classCount: Int
    public private(set) var correct = 0
    public private(set) var total = 0
    public private(set) var classCorrect: [Int]
    public private(set) var classTotal: [Int]
    /// group id → (correct, total); empty when the set has no group labels.
    public private(set) var groupCorrect: [Int: Int] = [:]
    public private(set) var groupTotal: [Int: Int] = [:]
    /// Cell (class y, bias b) at index y · biasCount + b; empty without bias labels.
    public private(set) var biasCount = 0
    public private(set) var cellCorrect: [Int] = []
    public private(set) var cellTotal: [Int] = []

    public init(classCount: Int, biasCount: Int = 0) {
        self.classCount = classCount
        classCorrect = .init(repeating: 0, count: classCount)
        classTotal = .init(repeating: 0, count: classCount)
        self.biasCount = biasCount
        cellCorrect = .init(repeating: 0, count: classCount * biasCount)
        cellTotal = cellCorrect
    }

    /// Counts predictions against labels (and groups / bias labels when given, same length).
    public init(labels: [Int], predictions: [Int], classCount: Int, groups: [Int]? = nil, biasLabels: [Int]? = nil) {
        let biasCount = biasLabels.map { ($0.max() ?? -1) + 1 } ?? 0
        self.init(classCount: classCount, biasCount: biasCount)
        add(labels: labels, predictions: predictions, groups: groups, biasLabels: biasLabels)
    }

    public mutating func add(labels: [Int], predictions: [Int], groups: [Int]? = nil, biasLabels: [Int]? = nil) {
        for i in labels.indices {
            let y = labels[i], hit = predictions[i] == y ? 1 : 0
            correct += hit; total += 1
            classCorrect[y] += hit; classTotal[y] += 1
            if let groups {
                groupCorrect[groups[i], default: 0] += hit
                groupTotal[groups[i], default: 0] += 1
            }
            if let biasLabels, biasLabels[i] < biasCount {
                let cell = y * biasCount + biasLabels[i]
                cellCorrect[cell] += hit; cellTotal[cell] += 1
            }
        }
    }

    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : .nan }
    /// Accuracy of each class (NaN for a class absent from the set).
    public var perClassAccuracy: [Double] { zip(classCorrect, classTotal).map { $1 > 0 ? Double($0) / Double($1) : .nan } }
    /// Accuracy of each group present, by group id.
    public var perGroupAccuracy: [Int: Double] {
        groupTotal.reduce(into: [:]) { $0[$1.key] = Double(groupCorrect[$1.key] ?? 0) / Double($1.value) }
    }
    /// acc[y][b]; NaN where the cell is empty.
    public var cellAccuracy: [[Double]] {
        (0..<classCount).map { y in
            (0..<biasCount).map { b in
                let t = cellTotal[y * biasCount + b]
                return t > 0 ? Double(cellCorrect[y * biasCount + b]) / Double(t) : .nan
            }
        }
    }
}

/// Test-set result of one network.
public struct EvaluationResult: Sendable, Codable {
    public let accuracy: Double
    public let loss: Double
    public let counts: ClassificationCounts
    public var perClassAccuracy: [Double] { counts.perClassAccuracy }
}

public enum Evaluator {
    /// Accuracy, mean cross-entropy and the per-class / per-group counts of `parameters` on `data`: batched
    /// forward passes in evaluation mode (BN uses its running statistics) with no graph recorded.
    public static func evaluate(_ network: Network, parameters: [Tensor], buffers: [BatchNormStatistics] = [],
                                on data: TrainingData, batchSize: Int = 256) -> EvaluationResult {
        let n = data.count, step = max(1, batchSize)
        var lossSum = 0.0
        var predictions: [Int] = []
        predictions.reserveCapacity(n)
        withNoGrad {
            for start in stride(from: 0, to: n, by: step) {
                let range = start..<min(n, start + step)
                let logits = network.forward(data.images.sliced(axis: 0, range), parameters: parameters,
                                             buffers: buffers, training: false)
                lossSum += logits.crossEntropy(labels: Array(data.labels[range])).item() * Double(range.count)
                predictions += logits.array.argmaxRows()
            }
        }
        let counts = ClassificationCounts(labels: data.labels, predictions: predictions, classCount: data.classCount,
                                          groups: data.groups, biasLabels: data.biasLabels)
        return EvaluationResult(accuracy: counts.accuracy, loss: n > 0 ? lossSum / Double(n) : .nan, counts: counts)
    }

    public static func evaluate(_ trained: TrainedNetwork, on data: TrainingData, batchSize: Int = 256) -> EvaluationResult {
        evaluate(trained.network, parameters: trained.parameters, buffers: trained.buffers, on: data, batchSize: batchSize)
    }
}
