/// The three tile transforms of Winograd F(2×2, 3×3), one row of tiles at a time: every pass is a simple
/// loop over a whole image row (contiguous loads and stores the compiler vectorises) instead of 16 scattered
/// stores per tile.
extension Winograd {
    /// V[ξ][c][t] = (Bᵀ·d·B)[ξ] for every 4×4 input tile d of samples first..<first+count (zero outside).
    @inlinable
    static func transformInput<T: KernelFloat>(_ p: Plan, input: UnsafePointer<T>, first: Int, count: Int,
                                               v: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.inChannels * tiles
        let h = p.inH, w = p.inW, cols = p.tileCols, wp = 2 * cols + 2
        // Padded row x reads input column x − padW.
        let lo = Swift.max(0, p.padW), hi = Swift.max(lo, Swift.min(wp, p.padW + w))
        Threads.parallelFor(count * p.inChannels) { range in
            let rows = UnsafeMutablePointer<T>.allocate(capacity: 8 * wp)
            defer { rows.deallocate() }
            let comb = rows + 4 * wp
            for item in range {
                let s = item / p.inChannels, c = item % p.inChannels
                let image = input + ((first + s) * p.inChannels + c) * h * w
                let base = v + c * tiles + s * p.tilesPerSample
                for ty in 0..<p.tileRows {
                    for r in 0..<4 {
                        let y = 2 * ty - p.padH + r, dst = rows + r * wp
                        if y < 0 || y >= h { dst.update(repeating: 0, count: wp); continue }
                        dst.update(repeating: 0, count: lo)
                        if lo < hi { (dst + lo).update(from: image + y * w + lo - p.padW, count: hi - lo) }
                        (dst + hi).update(repeating: 0, count: wp - hi)
                    }
                    // Bᵀ·d down the columns.
                    let r0 = rows, r1 = rows + wp, r2 = rows + 2 * wp, r3 = rows + 3 * wp
                    let c0 = comb, c1 = comb + wp, c2 = comb + 2 * wp, c3 = comb + 3 * wp
                    for x in 0..<wp {
                        let a = r0[x], b = r1[x], cc = r2[x], d = r3[x]
                        c0[x] = a - cc; c1[x] = b + cc; c2[x] = cc - b; c3[x] = b - d
                    }
                    // ·B along each row, one output plane per column of B.
                    for r in 0..<4 {
                        let src = comb + r * wp, out = base + ty * cols
                        let o0 = out + (4 * r) * plane, o1 = out + (4 * r + 1) * plane
                        let o2 = out + (4 * r + 2) * plane, o3 = out + (4 * r + 3) * plane
                        for tx in 0..<cols {
                            let a = src[2 * tx], b = src[2 * tx + 1], cc = src[2 * tx + 2], d = src[2 * tx + 3]
                            o0[tx] = a - cc; o1[tx] = b + cc; o2[tx] = cc - b; o3[tx] = b - d
                        }
                    }
                }
            }
        }
    }

    /// output tile = Aᵀ·M·A (+ bias) for planes M[ξ][o][t]; writes only pixels inside the output.
    @inlinable
    static func transformOutput<T: KernelFloat>(_ p: Plan, m: UnsafePointer<T>, first: Int, count: Int,
                                                bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.outChannels * tiles
        let h = p.outH, w = p.outW, cols = p.tileCols, fullCols = w / 2
        Threads.parallelFor(count * p.outChannels) { range in
            let e = UnsafeMutablePointer<T>.allocate(capacity: 8 * cols)
            defer { e.deallocate() }
            for item in range {
                let s = item / p.outChannels, o = item % p.outChannels
                let image = output + ((first + s) * p.outChannels + o) * h * w
                let add = bias.map { $0[o] } ?? 0
                let base = m + o * tiles + s * p.tilesPerSample
                for ty in 0..<p.tileRows {
                    // Aᵀ·M: rows 0 and 1 of the 2×4 intermediate for each column q, for all tiles of the row.
                    for q in 0..<4 {
                        let m0 = base + q * plane + ty * cols, m1 = m0 + 4 * plane, m2 = m0 + 8 * plane, m3 = m0 + 12 * plane
                        let top = e + q * cols, bottom = e + (4 + q) * cols
                        for tx in 0..<cols {
                            let b = m1[tx], c = m2[tx]
                            top[tx] = m0[tx] + b + c; bottom[tx] = b - c - m3[tx]
                        }
                    }
                    for r in 0..<2 where 2 * ty + r < h {
                        let row = image + (2 * ty + r) * w
                        let e0 = e + 4 * r * cols, e1 = e0 + cols, e2 = e0 + 2 * cols, e3 = e0 + 3 * cols
                        for tx in 0..<fullCols {
                            let b = e1[tx], c = e2[tx]
                            row[2 * tx] = e0[tx] + b + c + add; row[2 * tx + 1] = b - c - e3[tx] + add
                        }
                        if fullCols < cols { row[2 * fullCols] = e0[fullCols] + e1[fullCols] + e2[fullCols] + add }
                    }
                }
            }
        }
    }

    /// dM[ξ][o][t] = (A·dY·Aᵀ)[ξ] for every 2×2 output-gradient tile (zero outside the output).
    @inlinable
    static func transformGradOutput<T: KernelFloat>(_ p: Plan, gradOutput: UnsafePointer<T>, first: Int, count: Int,
                                                    dm: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.outChannels * tiles
        let h = p.outH, w = p.outW, cols = p.tileCols, wp = 2 * cols
        Threads.parallelFor(count * p.outChannels) { range in
            let rows = UnsafeMutablePointer<T>.allocate(capacity: 6 * wp)
            defer { rows.deallocate() }
            let d0 = rows, d1 = rows + wp, comb = rows + 2 * wp
            for item in range {
                let s = item / p.outChannels, o = item % p.outChannels
                let image = gradOutput + ((first + s) * p.outChannels + o) * h * w
                let base = dm + o * tiles + s * p.tilesPerSample
                for ty in 0..<p.tileRows {
                    for r in 0..<2 {
                        let y = 2 * ty + r, dst = r == 0 ? d0 : d1
                        if y >= h { dst.update(repeating: 0, count: wp); continue }
                        dst.update(from: image + y * w, count: w)
                        (dst + w).update(repeating: 0, count: wp - w)
                    }
                    // A·dY down the columns: rows d0, d0 + d1, d0 − d1, −d1.
                    let c0 = comb, c1 = comb + wp, c2 = comb + 2 * wp, c3 = comb + 3 * wp
                    for x in 0..<wp {
                        let a = d0[x], b = d1[x]
                        c0[x] = a; c1[x] = a + b; c2[x] = a - b; c3[x] = -b
                    }
                    // ·Aᵀ along each row.
                    for r in 0..<4 {
                        let src = comb + r * wp, out = base + ty * cols
                        let o0 = out + (4 * r) * plane, o1 = out + (4 * r + 1) * plane
                        let o2 = out + (4 * r + 2) * plane, o3 = out + (4 * r + 3) * plane
                        for tx in 0..<cols {
                            let a = src[2 * tx], b = src[2 * tx + 1]
                            o0[tx] = a; o1[tx] = a + b; o2[tx] = a - b; o3[tx] = -b
                        }
                    }
                }
            }
        }
    }
}
