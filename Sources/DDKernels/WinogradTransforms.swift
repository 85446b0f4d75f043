/// The three tile transforms of Winograd F(m×m, 3×3), one channel at a time over every tile of the chunk:
/// the tile elements are gathered into α² (or m²) rows indexed by tile, and each transform Z = L·X·Rᵀ becomes
/// two passes of "row ← Σ coefficient · row" over rows as long as the chunk has tiles, which the compiler
/// vectorises (rows of one image's tiles are only 2–16 long). Zero coefficients are skipped. Parallel over
/// channels; each channel writes its own rows of the planes.
extension Winograd {
    /// dst[t] (= or +=) Σ over nonzero coefficients c_j: c_j · source(j)[t], t < count.
    @inlinable @inline(__always)
    static func combine<T: KernelFloat>(_ dst: UnsafeMutablePointer<T>, count: Int, coefficients: UnsafePointer<T>,
                                        coefficientStride: Int = 1, terms: Int, source: (Int) -> UnsafePointer<T>) {
        var assigned = false
        for j in 0..<terms {
            let c = coefficients[j * coefficientStride]
            if c == 0 { continue }
            let src = source(j)
            if assigned { for t in 0..<count { dst[t] += c * src[t] } }
            else { for t in 0..<count { dst[t] = c * src[t] }; assigned = true }
        }
        if !assigned { dst.update(repeating: 0, count: count) }
    }

    /// V[ξ][c][t] = (Bᵀ·d·B)[ξ] for every α×α input tile d of samples first..<first+count (zero outside).
    @inlinable
    static func transformInput<T: KernelFloat>(_ p: Plan, input: UnsafePointer<T>, first: Int, count: Int,
                                               v: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.inChannels * tiles
        let h = p.inH, w = p.inW, cols = p.tileCols, m = p.m, a = p.alpha, wp = m * cols + 2
        let paddedRows = m * p.tileRows + 2
        // Padded column x reads input column x − padW.
        let lo = Swift.max(0, p.padW), hi = Swift.max(lo, Swift.min(wp, p.padW + w))
        let bt = p.matrices.bt.map { T($0) }
        Threads.parallelFor(p.inChannels) { range in
            let padded = UnsafeMutablePointer<T>.allocate(capacity: paddedRows * wp)
            let gathered = UnsafeMutablePointer<T>.allocate(capacity: 2 * a * a * tiles)
            defer { padded.deallocate(); gathered.deallocate() }
            let half = gathered + a * a * tiles  // Bᵀ·d, row (i, q) at (a·i + q)·tiles
            bt.withUnsafeBufferPointer { btp in
                let b = btp.baseAddress!
                for c in range {
                    for s in 0..<count {
                        let image = input + ((first + s) * p.inChannels + c) * h * w
                        for py in 0..<paddedRows {
                            let y = py - p.padH, dst = padded + py * wp
                            if y < 0 || y >= h || lo >= hi { for x in 0..<wp { dst[x] = 0 }; continue }
                            for x in 0..<lo { dst[x] = 0 }
                            let src = image + y * w - p.padW
                            for x in lo..<hi { dst[x] = src[x] }
                            for x in hi..<wp { dst[x] = 0 }
                        }
                        var t = s * p.tilesPerSample
                        for ty in 0..<p.tileRows {
                            for tx in 0..<cols {
                                let corner = padded + m * ty * wp + m * tx
                                for r in 0..<a { for q in 0..<a { gathered[(a * r + q) * tiles + t] = corner[r * wp + q] } }
                                t += 1
                            }
                        }
                    }
                    let d = UnsafePointer(gathered), bd = UnsafePointer(half)
                    for i in 0..<a {
                        for q in 0..<a {  // (Bᵀ·d)[i][q] = Σ_r Bᵀ[i][r] · d[r][q]
                            combine(half + (a * i + q) * tiles, count: tiles, coefficients: b + a * i, terms: a,
                                    source: { d + (a * $0 + q) * tiles })
                        }
                    }
                    for i in 0..<a {
                        for k in 0..<a {  // (Bᵀ·d·B)[i][k] = Σ_q (Bᵀ·d)[i][q] · Bᵀ[k][q]
                            combine(v + (a * i + k) * plane + c * tiles, count: tiles, coefficients: b + a * k, terms: a,
                                    source: { bd + (a * i + $0) * tiles })
                        }
                    }
                }
            }
        }
    }

    /// output tile = Aᵀ·M·A (+ bias) for planes M[ξ][o][t]; writes only pixels inside the output.
    @inlinable
    static func transformOutput<T: KernelFloat>(_ p: Plan, m mPlanes: UnsafePointer<T>, first: Int, count: Int,
                                                bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.outChannels * tiles
        let h = p.outH, w = p.outW, cols = p.tileCols, m = p.m, a = p.alpha
        let at = p.matrices.at.map { T($0) }
        Threads.parallelFor(p.outChannels) { range in
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: (m * a + m * m) * tiles)
            defer { scratch.deallocate() }
            let e = scratch, y = scratch + m * a * tiles  // e[r][q], y[r][c] rows of `tiles`
            at.withUnsafeBufferPointer { atp in
                let aT = atp.baseAddress!
                for o in range {
                    let planes = mPlanes + o * tiles
                    for r in 0..<m {
                        for q in 0..<a {  // (Aᵀ·M)[r][q] = Σ_i Aᵀ[r][i] · M[i][q]
                            combine(e + (a * r + q) * tiles, count: tiles, coefficients: aT + a * r, terms: a,
                                    source: { planes + (a * $0 + q) * plane })
                        }
                    }
                    let ep = UnsafePointer(e)
                    for r in 0..<m {
                        for c in 0..<m {  // (Aᵀ·M·A)[r][c] = Σ_q (Aᵀ·M)[r][q] · Aᵀ[c][q]
                            combine(y + (m * r + c) * tiles, count: tiles, coefficients: aT + a * c, terms: a,
                                    source: { ep + (a * r + $0) * tiles })
                        }
                    }
                    let add = bias.map { $0[o] } ?? 0
                    for s in 0..<count {
                        let image = output + ((first + s) * p.outChannels + o) * h * w
                        var t = s * p.tilesPerSample
                        for ty in 0..<p.tileRows {
                            for tx in 0..<cols {
                                let rows = Swift.min(m, h - m * ty), columns = Swift.min(m, w - m * tx)
                                let corner = image + m * ty * w + m * tx
                                for r in 0..<rows { for c in 0..<columns { corner[r * w + c] = y[(m * r + c) * tiles + t] + add } }
                                t += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// dM[ξ][o][t] = (A·dY·Aᵀ)[ξ] for every m×m output-gradient tile (zero outside the output).
    @inlinable
    static func transformGradOutput<T: KernelFloat>(_ p: Plan, gradOutput: UnsafePointer<T>, first: Int, count: Int,
                                                    dm: UnsafeMutablePointer<T>) {
        let tiles = count * p.tilesPerSample, plane = p.outChannels * tiles
        let h = p.outH, w = p.outW, cols = p.tileCols, m = p.m, a = p.alpha
        let at = p.matrices.at.map { T($0) }  // A[i][r] = Aᵀ[r][i]: coefficient stride a
        Threads.parallelFor(p.outChannels) { range in
            let scratch = UnsafeMutablePointer<T>.allocate(capacity: (m * m + a * m) * tiles)
            defer { scratch.deallocate() }
            let dy = scratch, half = scratch + m * m * tiles  // dY[r][c], (A·dY)[i][c]
            at.withUnsafeBufferPointer { atp in
                let aT = atp.baseAddress!
                for o in range {
                    for s in 0..<count {
                        let image = gradOutput + ((first + s) * p.outChannels + o) * h * w
                        var t = s * p.tilesPerSample
                        for ty in 0..<p.tileRows {
                            for tx in 0..<cols {
                                let rows = Swift.min(m, h - m * ty), columns = Swift.min(m, w - m * tx)
                                let corner = image + m * ty * w + m * tx
                                for r in 0..<m {
                                    for c in 0..<m {
                                        dy[(m * r + c) * tiles + t] = r < rows && c < columns ? corner[r * w + c] : 0
                                    }
                                }
                                t += 1
                            }
                        }
                    }
                    let d = UnsafePointer(dy), ad = UnsafePointer(half)
                    for i in 0..<a {
                        for c in 0..<m {  // (A·dY)[i][c] = Σ_r Aᵀ[r][i] · dY[r][c]
                            combine(half + (m * i + c) * tiles, count: tiles, coefficients: aT + i, coefficientStride: a,
                                    terms: m, source: { d + (m * $0 + c) * tiles })
                        }
                    }
                    for i in 0..<a {
                        for k in 0..<a {  // (A·dY·Aᵀ)[i][k] = Σ_c (A·dY)[i][c] · Aᵀ[c][k]
                            combine(dm + (a * i + k) * plane + o * tiles, count: tiles, coefficients: aT + k,
                                    coefficientStride: a, terms: m, source: { ad + (m * i + $0) * tiles })
                        }
                    }
                }
            }
        }
    }
}
