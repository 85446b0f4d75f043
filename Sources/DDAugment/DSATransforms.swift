import DDAutograd
import DDTensor
import Foundation

/// Applying drawn transforms. Every transform is differentiable (to any order) with respect to the images:
/// colour ops are Tensor arithmetic whose means stay in the graph, crop and flip are gathers (adjoint:
/// scatter-add), cutout is a constant mask, scale and rotate are bilinear grid sampling with zero fill.
/// The drawn numbers are constants: they get no gradient.
///
/// Grid sampling uses **align_corners = true** (normalised ±1 are the centres of the corner pixels), as the
/// pinned torch 1.2 of the reference did; scale 1 and rotation 0 are then exact identities.
extension DSA {
    /// The grid-sampling convention of scale and rotate (see above).
    public static let alignCorners = true

    /// Applies a draw to images [N, C, H, W] (normalised space; fills are 0). A Siamese draw fits any N;
    /// a per-sample draw needs N equal to its batch size. H and W must match the draw's geometry.
    public static func apply(_ params: DSAParams, to images: Tensor) -> Tensor {
        precondition(params.isValid, "DSA parameters are inconsistent: \(params.sampling), \(params.transforms.map(\.valueCount))")
        precondition(images.rank == 4, "DSA needs N×C×H×W images, got shape \(images.shape)")
        let n = images.shape[0]
        precondition(images.shape[2] == params.geometry.height && images.shape[3] == params.geometry.width,
                     "DSA draw made for \(params.geometry.height)×\(params.geometry.width), images are \(images.shape)")
        if case let .perSample(count) = params.sampling {
            precondition(count == n, "a per-sample DSA draw for \(count) images cannot augment a batch of \(n)")
        }
        var x = images
        for transform in params.transforms { x = transform.apply(to: x) }
        return x
    }

    /// Siamese augmentation: one draw (one value per parameter) applied to every batch, e.g. the real and the
    /// synthetic images of one class at one matching step. Returns the draw too, for replays.
    public static func augmentSiamese(_ batches: [Tensor], strategy: DSAStrategy, mode: DSAMode = .single,
                                      constants: DSAConstants = .reference,
                                      rng: inout RandomGenerator) -> (augmented: [Tensor], params: DSAParams) {
        precondition(batches.first.map { $0.rank == 4 } ?? false, "Siamese DSA needs at least one N×C×H×W batch")
        let geometry = DSAGeometry(height: batches[0].shape[2], width: batches[0].shape[3])
        let params = draw(strategy: strategy, batch: .siamese, geometry: geometry, mode: mode, constants: constants, rng: &rng)
        return (batches.map { apply(params, to: $0) }, params)
    }

    /// Non-Siamese augmentation for network training: one family per call (mode 'S'), numbers drawn
    /// independently per sample.
    public static func augment(_ images: Tensor, strategy: DSAStrategy, mode: DSAMode = .single,
                               constants: DSAConstants = .reference, rng: inout RandomGenerator) -> Tensor {
        if strategy.isNone { return images }
        precondition(images.rank == 4, "DSA needs N×C×H×W images, got shape \(images.shape)")
        let params = draw(strategy: strategy, batch: .perSample(images.shape[0]),
                          geometry: DSAGeometry(height: images.shape[2], width: images.shape[3]),
                          mode: mode, constants: constants, rng: &rng)
        return apply(params, to: images)
    }
}

extension DSATransform {
    /// Applies this transform to [N, C, H, W]; arrays with one value are shared by every sample.
    public func apply(to x: Tensor) -> Tensor {
        precondition(x.rank == 4, "DSA needs N×C×H×W images, got shape \(x.shape)")
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        precondition(valueCount == 1 || valueCount == n, "\(valueCount) DSA values cannot augment a batch of \(n)")
        func each<T>(_ values: [T]) -> [T] { values.count == 1 ? Array(repeating: values[0], count: n) : values }
        /// A per-sample constant [N or 1, 1, 1, 1] in the images' dtype.
        func perSample(_ values: [Double]) -> NDArray {
            NDArray(shape: [values.count, 1, 1, 1], doubles: values).converted(to: x.dtype)
        }
        switch self {
        case let .brightness(shift):
            return x + Tensor(perSample(shift))
        case let .saturation(factor):
            if c == 1 { return x }  // the channel mean is the pixel itself
            let mean = x.mean(axes: [1], keepDims: true)
            return (x - mean).scaled(by: perSample(factor)) + mean
        case let .contrast(factor):
            let mean = x.mean(axes: [1, 2, 3], keepDims: true)
            return (x - mean).scaled(by: perSample(factor)) + mean
        case let .crop(rows, columns):
            if rows.allSatisfy({ $0 == 0 }) && columns.allSatisfy({ $0 == 0 }) { return x }
            let (r, s) = (each(rows), each(columns))
            return DSATransform.gatherPixels(x) { sample, i, j in
                let (si, sj) = (i + r[sample], j + s[sample])
                return si >= 0 && si < h && sj >= 0 && sj < w ? si * w + sj : -1
            }
        case let .flip(flipped):
            if !flipped.contains(true) { return x }
            let f = each(flipped)
            return DSATransform.gatherPixels(x) { sample, i, j in i * w + (f[sample] ? w - 1 - j : j) }
        case let .cutout(centreRows, centreColumns, height, width):
            var mask = [Double](repeating: 1, count: centreRows.count * h * w)
            for k in centreRows.indices {
                let rows = DSATransform.clipped(start: centreRows[k] - height / 2, length: height, to: h)
                let columns = DSATransform.clipped(start: centreColumns[k] - width / 2, length: width, to: w)
                for i in rows { for j in columns { mask[(k * h + i) * w + j] = 0 } }
            }
            return x.scaled(by: NDArray(shape: [centreRows.count, 1, h, w], doubles: mask).converted(to: x.dtype))
        case let .scale(sx, sy):
            let (a, b) = (each(sx), each(sy))
            return DSATransform.resample(x, theta: (0..<n).flatMap { [a[$0], 0, 0, 0, b[$0], 0] })
        case let .rotate(radians):
            let angle = each(radians)
            return DSATransform.resample(x, theta: (0..<n).flatMap { k -> [Double] in
                let (cosA, sinA) = (Foundation.cos(angle[k]), Foundation.sin(angle[k]))
                return [cosA, -sinA, 0, sinA, cosA, 0]
            })
        }
    }

    /// start ..< start + length intersected with 0 ..< size (possibly empty).
    static func clipped(start: Int, length: Int, to size: Int) -> Range<Int> {
        let low = Swift.min(Swift.max(0, start), size)
        return low ..< Swift.max(low, Swift.min(size, start + length))
    }

    /// output[n, c, i, j] = input[n, c, source(n, i, j)] with source a flat H·W index, −1 reading 0.
    /// A gather, so its adjoint is a scatter-add (and that one's is the gather again: any order).
    static func gatherPixels(_ x: Tensor, source: (Int, Int, Int) -> Int) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        var index = [Int32](repeating: -1, count: n * h * w)
        for sample in 0..<n {
            for i in 0..<h {
                for j in 0..<w { index[(sample * h + i) * w + j] = Int32(source(sample, i, j)) }
            }
        }
        return x.reshaped([n, c, h * w]).gatherLast(index, k: h * w).reshaped([n, c, h, w])
    }

    /// Bilinear sampling of x through per-sample affine matrices θ (row-major [N, 2, 3]); θ is a constant.
    static func resample(_ x: Tensor, theta: [Double]) -> Tensor {
        let n = x.shape[0]
        let matrices = Tensor(NDArray(shape: [n, 2, 3], doubles: theta).converted(to: x.dtype))
        let grid = matrices.affineGrid(height: x.shape[2], width: x.shape[3], alignCorners: DSA.alignCorners)
        return x.gridSample(grid: grid, alignCorners: DSA.alignCorners)
    }
}
