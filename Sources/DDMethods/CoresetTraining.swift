import DDAutograd
import DDData
import DDNN
import DDTensor

/// How the coreset baselines train a network on the full data (the feature extractor for Herding and
/// K-Center, the forgetting-event counter). The defaults are the reference evaluation optimiser
/// (protocols.md §3.1: SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 256), at a constant rate: the
/// runs are short (a few epochs), so the reference's halfway ×0.1 drop is left out; no augmentation.
public struct CoresetTrainingRecipe: Sendable, Equatable {
    public var learningRate: Double = 0.01
    public var momentum: Double = 0.9
    public var weightDecay: Double = 0.0005
    public var batchSize: Int = 256

    public init(learningRate: Double = 0.01, momentum: Double = 0.9, weightDecay: Double = 0.0005, batchSize: Int = 256) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.batchSize = batchSize
    }

    public var description: String {
        "SGD lr \(learningRate) momentum \(momentum) weight decay \(weightDecay) batch \(batchSize), constant rate, no augmentation"
    }
}

/// One unit of work done, for a progress line: `phase` is "features", "train" or "forgetting".
public struct CoresetProgress: Sendable {
    public var phase: String
    public var step: Int
    public var total: Int
    /// The batch loss for training phases.
    public var loss: Double?
}

/// A network on a whole dataset's images in the normalised space: ordinary training with a per-batch
/// observer, and graph-free batched embedding. DDTrain's Trainer is not on this branch yet, so this is
/// the small loop over DDNN's pieces (forward, cross-entropy, grad, SGD) that the baselines need; it
/// differs from `Network.trainingStep` only in handing the batch's own logits to the observer.
struct FullDataNetwork {
    let network: Network
    let images: [Float]
    let labels: [Int]
    let geometry: ImageGeometry
    var parameters: [Tensor]
    var buffers: [BatchNormStatistics]

    init(spec: NetworkSpec, dataset: Dataset, seed: UInt64) throws {
        network = try Network(spec, channels: dataset.geometry.channels, height: dataset.geometry.height,
                              width: dataset.geometry.width, classes: dataset.classCount)
        images = dataset.normalizedImages()
        labels = dataset.labels.map(Int.init)
        geometry = dataset.geometry
        parameters = network.initialParameters(seed: seed)
        buffers = network.makeBuffers()
    }

    var count: Int { labels.count }

    func batch(_ indices: [Int]) -> Tensor {
        let per = geometry.valuesPerImage
        var values: [Float] = []
        values.reserveCapacity(indices.count * per)
        for index in indices { values += images[(index * per)..<((index + 1) * per)] }
        return Tensor(shape: [indices.count, geometry.channels, geometry.height, geometry.width], scalars: values)
    }

    /// `epochs` passes over every image in a fresh shuffled order per epoch (drawn from `orderSeed`);
    /// `observe(indices, predictions)` sees each batch's argmax predictions from the logits the update
    /// was computed from (before the update), as Toneva et al. record correctness.
    mutating func train(epochs: Int, recipe: CoresetTrainingRecipe, orderSeed: UInt64,
                        progress: (@Sendable (CoresetProgress) -> Void)?, phase: String,
                        observe: (_ indices: ArraySlice<Int>, _ predictions: [Int]) -> Void) {
        var order = RandomGenerator(seed: orderSeed)
        var optimizer = SGD(learningRate: recipe.learningRate, momentum: recipe.momentum, weightDecay: recipe.weightDecay)
        let batchesPerEpoch = (count + recipe.batchSize - 1) / recipe.batchSize
        var step = 0
        for _ in 0..<epochs {
            let permutation = order.permutation(count)
            for start in stride(from: 0, to: count, by: recipe.batchSize) {
                let indices = permutation[start..<Swift.min(count, start + recipe.batchSize)]
                let batchLabels = indices.map { labels[$0] }
                let leaves = parameters.map { $0.requiresGrad ? $0 : $0.requiringGrad() }
                let logits = network.forward(batch(Array(indices)), parameters: leaves, buffers: buffers, training: true)
                let loss = logits.crossEntropy(labels: batchLabels)
                let gradients = grad(of: loss, wrt: leaves)
                observe(indices, logits.array.argmaxRows())
                parameters = leaves
                optimizer.update(&parameters, gradients: gradients)
                step += 1
                progress?(CoresetProgress(phase: phase, step: step, total: epochs * batchesPerEpoch, loss: loss.item()))
            }
        }
    }

    /// The embedding of every image (evaluation mode, no graph), `batchSize` images at a time.
    func embedAll(batchSize: Int, progress: (@Sendable (CoresetProgress) -> Void)?) -> CoresetFeatureMatrix {
        let dimension = network.embeddingSize
        var values = [Float]()
        values.reserveCapacity(count * dimension)
        let total = (count + batchSize - 1) / batchSize
        withNoGrad {
            for (step, start) in stride(from: 0, to: count, by: batchSize).enumerated() {
                let indices = Array(start..<Swift.min(count, start + batchSize))
                // Evaluation mode: BN networks use their running statistics, so a row does not depend on its batch.
                let features = network.embed(batch(indices), parameters: parameters, buffers: buffers, training: false)
                values += features.scalars
                progress?(CoresetProgress(phase: "features", step: step + 1, total: total, loss: nil))
            }
        }
        return CoresetFeatureMatrix(rows: count, dimension: dimension, values: values)
    }
}
