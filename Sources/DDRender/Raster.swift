/// How many 8-bit samples make one pixel, in PNG's order.
public enum PixelFormat: Int, Sendable, Equatable {
    case gray = 1
    case rgb = 3
    case rgba = 4

    public var channels: Int { rawValue }

    /// PNG colour type code (IHDR byte 9).
    var pngColorType: UInt8 {
        switch self {
        case .gray: return 0
        case .rgb: return 2
        case .rgba: return 6
        }
    }
}

/// An 8-bit colour; a gray raster stores its luma so one palette serves both kinds of output.
public struct Color: Sendable, Equatable {
    public var r: UInt8, g: UInt8, b: UInt8, a: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8, a: UInt8 = 255) {
        self.r = r; self.g = g; self.b = b; self.a = a
    }

    public init(gray: UInt8) { self.init(r: gray, g: gray, b: gray) }

    public static let white = Color(gray: 255)
    public static let black = Color(gray: 0)

    /// Rec. 601 luma, rounded: the usual gray for an RGB colour.
    public var luma: UInt8 {
        let weighted: Int = 299 * Int(r) + 587 * Int(g) + 114 * Int(b)
        return UInt8((weighted + 500) / 1000)
    }

    func samples(for format: PixelFormat) -> [UInt8] {
        switch format {
        case .gray: return [luma]
        case .rgb: return [r, g, b]
        case .rgba: return [r, g, b, a]
        }
    }
}

/// An 8-bit image in memory: rows top to bottom, pixels left to right, samples interleaved (HWC), the
/// layout PNG scanlines use, so encoding needs no reshuffle.
public struct Raster: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let format: PixelFormat
    public var samples: [UInt8]

    /// Rasters beyond this many samples (1 GiB) are refused rather than half-allocated.
    public static let maxSamples = 1 << 30

    public init(width: Int, height: Int, format: PixelFormat, background: Color = .white) throws {
        guard width >= 1, height >= 1 else {
            throw RenderError.argument("image size \(width)×\(height) is empty")
        }
        let (pixels, overflow1) = width.multipliedReportingOverflow(by: height)
        let (count, overflow2) = pixels.multipliedReportingOverflow(by: format.channels)
        guard !overflow1, !overflow2, count <= Raster.maxSamples else {
            throw RenderError.argument("image size \(width)×\(height) exceeds the limit of \(Raster.maxSamples) samples")
        }
        self.width = width
        self.height = height
        self.format = format
        let fill = background.samples(for: format)
        if fill.allSatisfy({ $0 == fill[0] }) {
            samples = [UInt8](repeating: fill[0], count: count)
        } else {
            samples = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in stride(from: 0, to: count, by: fill.count) {
                    for (k, v) in fill.enumerated() { buffer[i + k] = v }
                }
                initialized = count
            }
        }
    }

    /// Wraps existing interleaved samples; their count must match the geometry.
    public init(width: Int, height: Int, format: PixelFormat, samples: [UInt8]) throws {
        guard width >= 1, height >= 1, width <= Raster.maxSamples, height <= Raster.maxSamples,
              width * height <= Raster.maxSamples / format.channels else {
            throw RenderError.argument("image size \(width)×\(height) is empty or too large")
        }
        guard samples.count == width * height * format.channels else {
            throw RenderError.argument(
                "\(samples.count) samples do not make a \(width)×\(height) \(format) image")
        }
        self.width = width
        self.height = height
        self.format = format
        self.samples = samples
    }

    public var bytesPerRow: Int { width * format.channels }

    /// The samples of one pixel; coordinates outside the raster are a programming error.
    public func pixel(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * format.channels
        return samples[start..<start + format.channels]
    }

    /// Fills a rectangle, clipped to the raster.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: Color) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let value = color.samples(for: format)
        let channels = format.channels
        let rowBytes = bytesPerRow
        samples.withUnsafeMutableBufferPointer { buffer in
            for row in y0..<y1 {
                var offset = row * rowBytes + x0 * channels
                for _ in x0..<x1 {
                    for k in 0..<channels { buffer[offset + k] = value[k] }
                    offset += channels
                }
            }
        }
    }

    /// Copies `source` with its top-left corner at (x, y), each source pixel becoming a `scale`×`scale`
    /// block (nearest neighbour: pixel art stays crisp). Formats must match; clipped to the raster.
    public mutating func blit(_ source: Raster, x: Int, y: Int, scale: Int = 1) {
        precondition(source.format == format && scale >= 1, "blit of mismatched raster")
        let channels = format.channels
        let rowBytes = bytesPerRow
        let sourceRowBytes = source.bytesPerRow
        let targetWidth = width, targetHeight = height
        samples.withUnsafeMutableBufferPointer { target in
            source.samples.withUnsafeBufferPointer { src in
                for sy in 0..<source.height {
                    for dy in 0..<scale {
                        let ty = y + sy * scale + dy
                        guard ty >= 0, ty < targetHeight else { continue }
                        for sx in 0..<source.width {
                            let from = sy * sourceRowBytes + sx * channels
                            for dx in 0..<scale {
                                let tx = x + sx * scale + dx
                                guard tx >= 0, tx < targetWidth else { continue }
                                let to = ty * rowBytes + tx * channels
                                for k in 0..<channels { target[to + k] = src[from + k] }
                            }
                        }
                    }
                }
            }
        }
    }
}
