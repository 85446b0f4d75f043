import DDTensor

/// Bilinear resampling for differentiable augmentation (scale, rotate).
/// Convention (documented choice): align_corners = true by default, as in the pinned torch 1.2 that the
/// reference protocols used: normalised −1 and +1 are the centres of the corner pixels.
/// Zero padding: samples outside the image read 0.
extension Tensor {
    /// Normalised coordinates of `n` pixel centres along one axis.
    static func normalizedCoordinates(_ n: Int, alignCorners: Bool) -> [Double] {
        (0..<n).map { i in
            if alignCorners { return n > 1 ? -1 + 2 * Double(i) / Double(n - 1) : 0 }
            return (2 * Double(i) + 1) / Double(n) - 1
        }
    }

    /// Sampling grid [N, H, W, 2] (x, y) for affine matrices self = θ [N, 2, 3]:
    /// output pixel (x, y) samples the input at θ·(x, y, 1). Differentiable in θ.
    public func affineGrid(height: Int, width: Int, alignCorners: Bool = true) -> Tensor {
        require(rank == 3 && shape[1] == 2 && shape[2] == 3, "affineGrid needs θ of shape [N, 2, 3]")
        let xs = Tensor.normalizedCoordinates(width, alignCorners: alignCorners)
        let ys = Tensor.normalizedCoordinates(height, alignCorners: alignCorners)
        var base = [Double](); base.reserveCapacity(height * width * 3)
        for y in ys { for x in xs { base += [x, y, 1] } }
        let baseGrid = Tensor(NDArray(shape: [height * width, 3], doubles: base).converted(to: dtype))
        return baseGrid.matmul(self, transposeB: true).reshaped([shape[0], height, width, 2])
    }

    /// Bilinear sampling of self [N, C, H, W] at grid [N, Ho, Wo, 2] → [N, C, Ho, Wo].
    /// Composed of gathers and elementwise ops, so it is differentiable (to any order) in both the
    /// image and the grid: the corner indices are constants, the interpolation weights are Tensors.
    public func gridSample(grid: Tensor, alignCorners: Bool = true) -> Tensor {
        require(rank == 4 && grid.rank == 4 && grid.shape[0] == shape[0] && grid.shape[3] == 2,
                     "gridSample needs input [N,C,H,W] and grid [N,Ho,Wo,2]")
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let p = grid.shape[1] * grid.shape[2]
        let flat = grid.reshaped([n, p, 2])
        let gx = flat.sliced(axis: 2, 0..<1).reshaped([n, p])
        let gy = flat.sliced(axis: 2, 1..<2).reshaped([n, p])
        func pixel(_ g: Tensor, _ size: Int) -> Tensor {
            alignCorners ? (g + 1) * (Double(size - 1) / 2) : ((g + 1) * Double(size) - 1) / 2
        }
        let ix = pixel(gx, w), iy = pixel(gy, h)
        let x0 = ix.array.map(.floor), y0 = iy.array.map(.floor)
        let fx = ix - Tensor(x0), fy = iy - Tensor(y0)
        let wx = [1 - fx, fx], wy = [1 - fy, fy]
        let x0v = x0.doubles, y0v = y0.doubles
        let image = reshaped([n, c, h * w])
        var out: Tensor? = nil
        for dy in 0..<2 {
            for dx in 0..<2 {
                var index = [Int32](repeating: -1, count: n * p)
                for i in 0..<(n * p) {
                    let xi = x0v[i] + Double(dx), yi = y0v[i] + Double(dy)
                    if xi >= 0 && xi < Double(w) && yi >= 0 && yi < Double(h) {
                        index[i] = Int32(Int(yi) * w + Int(xi))
                    }
                }
                let term = image.gatherLast(index, k: p) * (wy[dy] * wx[dx]).reshaped([n, 1, p])
                out = out.map { $0 + term } ?? term
            }
        }
        return out!.reshaped([n, c, grid.shape[1], grid.shape[2]])
    }
}
