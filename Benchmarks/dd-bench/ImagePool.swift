import DDAutograd
import DDData
import DDTensor
import Foundation

/// Images per class the workloads draw their real batches from: real MNIST training images (normalised
/// with the dataset's mean/std) when `--real` finds a mirror, else seeded N(0, 1) images in the same
/// normalised space. The timing does not depend on the pixel values; the report says which was used.
struct ImagePool {
    let classes: Int
    /// [count, 1, 28, 28] per class.
    let perClass: [NDArray]
    let source: String

    static let imageShape = [1, 28, 28]

    static func random(classes: Int, perClass count: Int, seed: UInt64) -> ImagePool {
        var rng = RandomGenerator(seed: seed)
        let pools = (0 ..< classes).map { _ in NDArray.normal([count] + imageShape, rng: &rng) }
        return ImagePool(classes: classes, perClass: pools, source: "random N(0,1), seed \(seed)")
    }

    /// Real MNIST if a mirror holds it (`--data`, else $DD_DATA, else /work/shared/datasets); nil and a
    /// reason otherwise. Never downloads.
    static func mnist(directory: String?) -> (ImagePool?, String) {
        let env = ProcessInfo.processInfo.environment
        let candidates = [directory, env["DD_DATA"], "/work/shared/datasets"].compactMap { $0 }.filter { !$0.isEmpty }
        var failures: [String] = []
        for mirror in candidates {
            var options = FetchOptions(mirror: mirror, cacheDirectory: nil, verify: true)
            options.allowDownload = false
            options.useSystemDirectories = false
            do {
                let dataset = try FetchRequest(name: "mnist", split: .train, options: options).run()
                guard case .u8(let pixels) = dataset.images, dataset.geometry.valuesPerImage == 784 else {
                    failures.append("\(mirror): unexpected image layout")
                    continue
                }
                return (pool(pixels, labels: dataset.labels, mean: dataset.mean[0], std: dataset.std[0],
                             classes: dataset.classCount), "MNIST train from \(mirror)")
            } catch {
                failures.append("\(mirror): \(error)")
            }
        }
        return (nil, failures.isEmpty ? "no mirror given" : failures.joined(separator: "; "))
    }

    private static func pool(_ pixels: [UInt8], labels: [Int32], mean: Float, std: Float, classes: Int) -> ImagePool {
        var rows = [[Float]](repeating: [], count: classes)
        for (index, label) in labels.enumerated() where Int(label) < classes && label >= 0 {
            let base = index * 784
            rows[Int(label)].append(contentsOf: (0 ..< 784).map { (Float(pixels[base + $0]) / 255 - mean) / std })
        }
        let pools = rows.map { NDArray(shape: [$0.count / 784] + imageShape, scalars: $0) }
        return ImagePool(classes: classes, perClass: pools, source: "")
    }

    func with(source: String) -> ImagePool { ImagePool(classes: classes, perClass: perClass, source: source) }

    /// `count` images of class `c` without replacement (the DC code's get_images), as a constant Tensor.
    func batch(of c: Int, count: Int, rng: inout RandomGenerator) -> Tensor {
        let available = perClass[c].shape[0]
        let indices = Array(rng.permutation(available).prefix(count))
        return Tensor(perClass[c].indexSelect(axis: 0, indices))
    }

    /// `count` images drawn across all classes, with their labels (training and inference batches).
    func mixedBatch(count: Int, rng: inout RandomGenerator) -> (Tensor, [Int]) {
        var labels: [Int] = []
        var parts: [NDArray] = []
        for c in 0 ..< classes {
            let share = count / classes + (c < count % classes ? 1 : 0)
            labels += Array(repeating: c, count: share)
            parts.append(perClass[c].indexSelect(axis: 0, Array(rng.permutation(perClass[c].shape[0]).prefix(share))))
        }
        let order = rng.permutation(count)
        return (Tensor(NDArray.concat(parts, axis: 0).indexSelect(axis: 0, order)), order.map { labels[$0] })
    }
}
