import CZlib

/// How each scanline is filtered before deflate (PNG §9). `adaptive` is the usual heuristic: per row, the
/// filter whose output has the smallest sum of absolute signed bytes, which tends to compress best.
public enum PNGFilter: UInt8, Sendable, CaseIterable {
    case none = 0, sub = 1, up = 2, average = 3, paeth = 4
}

public enum PNGFilterStrategy: Sendable, Equatable {
    case fixed(PNGFilter)
    case adaptive
}

/// An 8-bit PNG encoder (grayscale, RGB, RGBA; no interlace) over zlib's deflate and CRC-32.
public enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// IDAT is split so no chunk approaches PNG's 2³¹−1 limit and readers can stream it.
    static let idatChunkSize = 1 << 20

    /// Encodes `raster`. `text` becomes tEXt chunks (iTXt when a value is not Latin-1), e.g.
    /// ("Software", "dd-render") or the command that produced the image.
    public static func encode(_ raster: Raster, text: [(keyword: String, value: String)] = [],
                              level: Int32 = 6, filter: PNGFilterStrategy = .adaptive) throws -> [UInt8] {
        try encode(raster, text: text, level: level, filter: filter, maxIDATBytes: idatChunkSize)
    }

    static func encode(_ raster: Raster, text: [(keyword: String, value: String)], level: Int32,
                       filter: PNGFilterStrategy, maxIDATBytes: Int) throws -> [UInt8] {
        guard level >= 0, level <= 9 else {
            throw RenderError.argument("zlib level \(level) is not in 0…9")
        }
        var out = signature
        var header = [UInt8]()
        appendBigEndian(UInt32(raster.width), to: &header)
        appendBigEndian(UInt32(raster.height), to: &header)
        header += [8, raster.format.pngColorType, 0, 0, 0]  // depth, colour type, deflate, adaptive, no interlace
        appendChunk("IHDR", header, to: &out)
        for entry in text {
            appendChunk(contentsOf: try textChunk(keyword: entry.keyword, value: entry.value), to: &out)
        }
        let compressed = try deflate(filterScanlines(raster, strategy: filter), level: level)
        var start = 0
        repeat {
            let end = min(start + max(1, maxIDATBytes), compressed.count)
            appendChunk("IDAT", compressed[start..<end], to: &out)
            start = end
        } while start < compressed.count
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Each row becomes one filter-type byte followed by the filtered bytes.
    static func filterScanlines(_ raster: Raster, strategy: PNGFilterStrategy) -> [UInt8] {
        let rowBytes = raster.bytesPerRow
        let bpp = raster.format.channels
        let height = raster.height
        let total = (rowBytes + 1) * height
        var out = [UInt8](repeating: 0, count: total)
        var candidate = [UInt8](repeating: 0, count: rowBytes)
        let zeroRow = [UInt8](repeating: 0, count: rowBytes)
        raster.samples.withUnsafeBufferPointer { pixels in
            out.withUnsafeMutableBufferPointer { dest in
                candidate.withUnsafeMutableBufferPointer { scratch in
                    zeroRow.withUnsafeBufferPointer { zeros in
                        for y in 0..<height {
                            let row = UnsafeBufferPointer(rebasing: pixels[y * rowBytes..<(y + 1) * rowBytes])
                            let above = y == 0 ? zeros
                                : UnsafeBufferPointer(rebasing: pixels[(y - 1) * rowBytes..<y * rowBytes])
                            let target = UnsafeMutableBufferPointer(
                                rebasing: dest[y * (rowBytes + 1) + 1..<(y + 1) * (rowBytes + 1)])
                            let chosen: PNGFilter
                            switch strategy {
                            case .fixed(let f):
                                chosen = f
                                apply(f, row: row, above: above, bpp: bpp, into: target)
                            case .adaptive:
                                chosen = applyBest(row: row, above: above, bpp: bpp, into: target, scratch: scratch)
                            }
                            dest[y * (rowBytes + 1)] = chosen.rawValue
                        }
                    }
                }
            }
        }
        return out
    }

    private static func applyBest(row: UnsafeBufferPointer<UInt8>, above: UnsafeBufferPointer<UInt8>, bpp: Int,
                                  into target: UnsafeMutableBufferPointer<UInt8>,
                                  scratch: UnsafeMutableBufferPointer<UInt8>) -> PNGFilter {
        var best = PNGFilter.none
        var bestCost = Int.max
        for f in PNGFilter.allCases {
            apply(f, row: row, above: above, bpp: bpp, into: scratch)
            var cost = 0
            for v in scratch { cost += v < 128 ? Int(v) : 256 - Int(v) }
            if cost < bestCost {
                bestCost = cost
                best = f
                _ = target.update(fromContentsOf: scratch)
            }
        }
        return best
    }

    private static func apply(_ filter: PNGFilter, row: UnsafeBufferPointer<UInt8>,
                              above: UnsafeBufferPointer<UInt8>, bpp: Int,
                              into target: UnsafeMutableBufferPointer<UInt8>) {
        let n = row.count
        switch filter {
        case .none:
            for i in 0..<n { target[i] = row[i] }
        case .sub:
            for i in 0..<n { target[i] = row[i] &- (i >= bpp ? row[i - bpp] : 0) }
        case .up:
            for i in 0..<n { target[i] = row[i] &- above[i] }
        case .average:
            for i in 0..<n {
                let left = i >= bpp ? Int(row[i - bpp]) : 0
                target[i] = row[i] &- UInt8((left + Int(above[i])) / 2)
            }
        case .paeth:
            for i in 0..<n {
                let a = i >= bpp ? Int(row[i - bpp]) : 0
                let b = Int(above[i])
                let c = i >= bpp ? Int(above[i - bpp]) : 0
                target[i] = row[i] &- UInt8(paethPredictor(a, b, c))
            }
        }
    }

    static func paethPredictor(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    static func deflate(_ data: [UInt8], level: Int32) throws -> [UInt8] {
        var capacity = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { dest in
            data.withUnsafeBufferPointer { src in
                compress2(dest.baseAddress, &capacity, src.baseAddress, uLong(src.count), level)
            }
        }
        guard status == Z_OK else {
            throw RenderError(.internalFailure, "zlib compress2 failed with status \(status)")
        }
        out.removeSubrange(Int(capacity)...)
        return out
    }

    // MARK: chunks

    static func textChunk(keyword: String, value: String) throws -> [UInt8] {
        // PNG keywords: 1–79 printable Latin-1 characters, no leading, trailing or double spaces.
        let scalars = keyword.unicodeScalars
        guard (1...79).contains(scalars.count),
              scalars.allSatisfy({ (0x20...0x7E).contains($0.value) || (0xA1...0xFF).contains($0.value) }),
              keyword.first != " ", keyword.last != " ", !keyword.contains("  ") else {
            throw RenderError.argument("PNG text keyword \"\(keyword)\" must be 1–79 printable Latin-1 characters")
        }
        let keywordBytes = scalars.map { UInt8($0.value) }
        if value.unicodeScalars.allSatisfy({ $0.value <= 0xFF && $0.value != 0 }) {
            let data = keywordBytes + [0] + value.unicodeScalars.map { UInt8($0.value) }
            return chunk("tEXt", data[...])
        }
        // iTXt: keyword, NUL, uncompressed, method 0, empty language tag, empty translated keyword, UTF-8.
        let data = keywordBytes + [0, 0, 0, 0, 0] + Array(value.utf8).filter { $0 != 0 }
        return chunk("iTXt", data[...])
    }

    static func appendChunk<C: Collection>(_ type: String, _ data: C, to out: inout [UInt8]) where C.Element == UInt8 {
        out += chunk(type, data)
    }

    static func appendChunk(contentsOf chunk: [UInt8], to out: inout [UInt8]) { out += chunk }

    /// length (big-endian), type, data, CRC-32 over type and data.
    static func chunk<C: Collection>(_ type: String, _ data: C) -> [UInt8] where C.Element == UInt8 {
        var body = Array(type.utf8)
        body.append(contentsOf: data)
        var out = [UInt8]()
        out.reserveCapacity(body.count + 8)
        appendBigEndian(UInt32(data.count), to: &out)
        out += body
        appendBigEndian(crc32Of(body), to: &out)
        return out
    }

    static func crc32Of(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(truncatingIfNeeded: crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
    }

    static func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
