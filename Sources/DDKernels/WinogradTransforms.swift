/// The three tile transforms of Winograd F(2×2, 3×3), one row of tiles at a time: every pass is a loop over
/// a whole image row in SIMD4 blocks of tiles instead of 16 scattered stores per tile. Each runs on the
/// calling thread: the callers split the work by samples.
extension Winograd {
    /// V[ξ][c][t] = (Bᵀ·d·B)[ξ] for every 4×4 input tile d of samples first..<first+count (zero outside).
    /// Each image is first copied into a zero-bordered buffer and every pass finishes before the next one
    /// reads its results (reading values just stored at other offsets defeats store forwarding); the
    /// passes are written with SIMD4 because the compiler's alias checks kept its own vector loops off.
    @inlinable
    static func transformInput<T: KernelFloat>(_ p: Plan, input: UnsafePointer<T>, first: Int, count: Int,
                                               v: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.planeStride(channels: p.inChannels, tiles: tiles)
        let h = p.inH, w = p.inW, rowsOfTiles = p.tileRows, cols = p.tileCols, blocks = cols / 4
        let hp = 2 * rowsOfTiles + 2
        // Row stride: room for the two 8-wide loads of every 4-tile block, a multiple of 4.
        let stride = (Swift.max(2 * cols + 2, 8 * ((cols + 3) / 4) + 2) + 3) / 4 * 4
        // Padded pixel (y, x) is input pixel (y − padH, x − padW); the border stays zero for every image.
        let lo = Swift.max(0, p.padW), hi = Swift.max(lo, Swift.min(2 * cols + 2, p.padW + w))
        let top = Swift.max(0, p.padH), bottom = Swift.max(top, Swift.min(hp, p.padH + h))
        let padded = UnsafeMutablePointer<T>.allocate(capacity: hp * stride + 4 * rowsOfTiles * stride)
        defer { padded.deallocate() }
        padded.update(repeating: 0, count: hp * stride + 4 * rowsOfTiles * stride)
        let comb = padded + hp * stride
        for item in 0..<(count * p.inChannels) {
            let s = item / p.inChannels, c = item % p.inChannels
            let image = input + ((first + s) * p.inChannels + c) * h * w
            if lo < hi {
                for y in top..<bottom {
                    (padded + y * stride + lo).update(from: image + (y - p.padH) * w + lo - p.padW, count: hi - lo)
                }
            }
            // Bᵀ·d down the columns of every row of tiles.
            for ty in 0..<rowsOfTiles {
                let r0 = UnsafePointer(padded + 2 * ty * stride), r1 = r0 + stride, r2 = r0 + 2 * stride, r3 = r0 + 3 * stride
                let c0 = comb + 4 * ty * stride, c1 = c0 + stride, c2 = c0 + 2 * stride, c3 = c0 + 3 * stride
                var x = 0
                while x < stride {
                    let a = Lanes.load4(r0 + x), b = Lanes.load4(r1 + x), cc = Lanes.load4(r2 + x), d = Lanes.load4(r3 + x)
                    Lanes.store4(a - cc, c0 + x); Lanes.store4(b + cc, c1 + x); Lanes.store4(cc - b, c2 + x); Lanes.store4(b - d, c3 + x)
                    x += 4
                }
            }
            // ·B along each row, one output plane per column of B.
            let base = v + c * tiles + s * p.tilesPerSample
            for ty in 0..<rowsOfTiles {
                for r in 0..<4 {
                    let src = UnsafePointer(comb + (4 * ty + r) * stride), out = base + ty * cols
                    let o0 = out + (4 * r) * plane, o1 = out + (4 * r + 1) * plane
                    let o2 = out + (4 * r + 2) * plane, o3 = out + (4 * r + 3) * plane
                    for q in 0..<blocks {
                        let ab = Lanes.load8(src + 8 * q), cd = Lanes.load8(src + 8 * q + 2)
                        let a = ab.evenHalf, b = ab.oddHalf, cc = cd.evenHalf, d = cd.oddHalf
                        Lanes.store4(a - cc, o0 + 4 * q); Lanes.store4(b + cc, o1 + 4 * q)
                        Lanes.store4(cc - b, o2 + 4 * q); Lanes.store4(b - d, o3 + 4 * q)
                    }
                    for tx in (4 * blocks)..<cols {
                        let a = src[2 * tx], b = src[2 * tx + 1], cc = src[2 * tx + 2], d = src[2 * tx + 3]
                        o0[tx] = a - cc; o1[tx] = b + cc; o2[tx] = cc - b; o3[tx] = b - d
                    }
                }
            }
        }
    }

    /// output tile = Aᵀ·M·A (+ bias) for planes M[ξ][o][t]; writes only pixels inside the output.
    @inlinable
    static func transformOutput<T: KernelFloat>(_ p: Plan, m: UnsafePointer<T>, first: Int, count: Int,
                                                bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.planeStride(channels: p.outChannels, tiles: tiles)
        let h = p.outH, w = p.outW, cols = p.tileCols, fullCols = w / 2
        let blocks = cols / 4, fullBlocks = fullCols / 4
        let e = UnsafeMutablePointer<T>.allocate(capacity: 8 * cols)
        defer { e.deallocate() }
        for item in 0..<(count * p.outChannels) {
            let s = item / p.outChannels, o = item % p.outChannels
            let image = output + ((first + s) * p.outChannels + o) * h * w
            let add = bias.map { $0[o] } ?? 0, add4 = SIMD4<T>(repeating: add)
            let base = m + o * tiles + s * p.tilesPerSample
            for ty in 0..<p.tileRows {
                // Aᵀ·M: rows 0 and 1 of the 2×4 intermediate for each column q, for all tiles of the row.
                for q in 0..<4 {
                    let m0 = base + q * plane + ty * cols, m1 = m0 + 4 * plane, m2 = m0 + 8 * plane, m3 = m0 + 12 * plane
                    let top = e + q * cols, bottom = e + (4 + q) * cols
                    for k in 0..<blocks {
                        let x = 4 * k
                        let b = Lanes.load4(m1 + x), c = Lanes.load4(m2 + x)
                        Lanes.store4(Lanes.load4(m0 + x) + b + c, top + x); Lanes.store4(b - c - Lanes.load4(m3 + x), bottom + x)
                    }
                    for tx in (4 * blocks)..<cols {
                        let b = m1[tx], c = m2[tx]
                        top[tx] = m0[tx] + b + c; bottom[tx] = b - c - m3[tx]
                    }
                }
                // ·A along each row: output pixels 2tx and 2tx + 1, interleaved.
                for r in 0..<2 where 2 * ty + r < h {
                    let row = image + (2 * ty + r) * w
                    let e0 = UnsafePointer(e + 4 * r * cols), e1 = e0 + cols, e2 = e0 + 2 * cols, e3 = e0 + 3 * cols
                    for k in 0..<fullBlocks {
                        let x = 4 * k, b = Lanes.load4(e1 + x), c = Lanes.load4(e2 + x)
                        let even = Lanes.load4(e0 + x) + b + c + add4, odd = b - c - Lanes.load4(e3 + x) + add4
                        UnsafeMutableRawPointer(row + 2 * x).storeBytes(
                            of: SIMD8(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3]), as: SIMD8<T>.self)
                    }
                    for tx in (4 * fullBlocks)..<fullCols {
                        let b = e1[tx], c = e2[tx]
                        row[2 * tx] = e0[tx] + b + c + add; row[2 * tx + 1] = b - c - e3[tx] + add
                    }
                    if fullCols < cols { row[2 * fullCols] = e0[fullCols] + e1[fullCols] + e2[fullCols] + add }
                }
            }
        }
    }

    /// dM[ξ][o][t] = (A·dY·Aᵀ)[ξ] for every 2×2 output-gradient tile (zero outside the output); the same
    /// pass structure as `transformInput`.
    @inlinable
    static func transformGradOutput<T: KernelFloat>(_ p: Plan, gradOutput: UnsafePointer<T>, first: Int, count: Int,
                                                    dm: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.planeStride(channels: p.outChannels, tiles: tiles)
        let h = p.outH, w = p.outW, rowsOfTiles = p.tileRows, cols = p.tileCols, blocks = cols / 4
        let stride = (2 * cols + 3) / 4 * 4, hp = 2 * rowsOfTiles
        let padded = UnsafeMutablePointer<T>.allocate(capacity: hp * stride + 4 * rowsOfTiles * stride)
        defer { padded.deallocate() }
        padded.update(repeating: 0, count: hp * stride + 4 * rowsOfTiles * stride)
        let comb = padded + hp * stride
        for item in 0..<(count * p.outChannels) {
            let s = item / p.outChannels, o = item % p.outChannels
            let image = gradOutput + ((first + s) * p.outChannels + o) * h * w
            for y in 0..<h { (padded + y * stride).update(from: image + y * w, count: w) }
            // A·dY down the columns: rows d0, d0 + d1, d0 − d1, −d1.
            for ty in 0..<rowsOfTiles {
                let d0 = UnsafePointer(padded + 2 * ty * stride), d1 = d0 + stride
                let c0 = comb + 4 * ty * stride, c1 = c0 + stride, c2 = c0 + 2 * stride, c3 = c0 + 3 * stride
                var x = 0
                while x < stride {
                    let a = Lanes.load4(d0 + x), b = Lanes.load4(d1 + x)
                    Lanes.store4(a, c0 + x); Lanes.store4(a + b, c1 + x); Lanes.store4(a - b, c2 + x); Lanes.store4(-b, c3 + x)
                    x += 4
                }
            }
            // ·Aᵀ along each row.
            let base = dm + o * tiles + s * p.tilesPerSample
            for ty in 0..<rowsOfTiles {
                for r in 0..<4 {
                    let src = UnsafePointer(comb + (4 * ty + r) * stride), out = base + ty * cols
                    let o0 = out + (4 * r) * plane, o1 = out + (4 * r + 1) * plane
                    let o2 = out + (4 * r + 2) * plane, o3 = out + (4 * r + 3) * plane
                    for k in 0..<blocks {
                        let ab = Lanes.load8(src + 8 * k), a = ab.evenHalf, b = ab.oddHalf
                        Lanes.store4(a, o0 + 4 * k); Lanes.store4(a + b, o1 + 4 * k); Lanes.store4(a - b, o2 + 4 * k); Lanes.store4(-b, o3 + 4 * k)
                    }
                    for tx in (4 * blocks)..<cols {
                        let a = src[2 * tx], b = src[2 * tx + 1]
                        o0[tx] = a; o1[tx] = a + b; o2[tx] = a - b; o3[tx] = -b
                    }
                }
            }
        }
    }
}
