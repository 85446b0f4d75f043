/// The IDX format of MNIST-family files: a big-endian magic `00 00 08 NDIMS` (0x08 = unsigned byte),
/// NDIMS big-endian u32 sizes, then the data in C order.
public enum IDX {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Images as one u8 buffer of count × rows × cols bytes (the 16-byte header removed in place).
    public struct Images: Sendable {
        public var count: Int
        public var rows: Int
        public var cols: Int
        public var pixels: [UInt8]
    }

    /// Parses an image file; `file` names it in errors. Consumes `bytes` to avoid copying the pixels.
    public static func parseImages(_ bytes: [UInt8], file: String) throws -> Images {
        let dims = try header(bytes, magic: imagesMagic, ndims: 3, file: file)
        let (count, rows, cols) = (dims[0], dims[1], dims[2])
        guard rows > 0, cols > 0, rows <= 65_536, cols <= 65_536 else {
            throw DataError.badData("\(file): implausible IDX image size \(rows)×\(cols)")
        }
        try checkLength(bytes, headerBytes: 16, dims: dims, file: file)
        var pixels = bytes
        pixels.removeFirst(16)
        return Images(count: count, rows: rows, cols: cols, pixels: pixels)
    }

    /// Parses a label file into Int32 labels.
    public static func parseLabels(_ bytes: [UInt8], file: String) throws -> [Int32] {
        let dims = try header(bytes, magic: labelsMagic, ndims: 1, file: file)
        try checkLength(bytes, headerBytes: 8, dims: dims, file: file)
        return bytes[8...].map { Int32($0) }
    }

    /// Checks magic and reads the dimension sizes, all before touching the payload.
    static func header(_ bytes: [UInt8], magic expected: UInt32, ndims: Int, file: String) throws -> [Int] {
        let headerBytes = 4 + 4 * ndims
        guard bytes.count >= 4 else {
            throw DataError.badData("\(file): too short for an IDX file (\(bytes.count) bytes)")
        }
        let magic = readBigEndian(bytes, at: 0)
        guard magic == expected else {
            let kind = expected == imagesMagic ? "images" : "labels"
            throw DataError.badData("\(file): wrong IDX magic 0x\(hex8(magic)), expected 0x\(hex8(expected)) (\(kind))")
        }
        guard bytes.count >= headerBytes else {
            throw DataError.badData("\(file): IDX header truncated (\(bytes.count) of \(headerBytes) bytes)")
        }
        return (0..<ndims).map { Int(readBigEndian(bytes, at: 4 + 4 * $0)) }
    }

    static func checkLength(_ bytes: [UInt8], headerBytes: Int, dims: [Int], file: String) throws {
        var expected = 1
        for dim in dims {
            let (product, overflow) = expected.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw DataError.badData("\(file): IDX dimensions \(dims) overflow") }
            expected = product
        }
        let payload = bytes.count - headerBytes
        guard payload == expected else {
            let shape = dims.map(String.init).joined(separator: "×")
            throw DataError.badData("\(file): IDX dimensions \(shape) need \(expected) data bytes, file has \(payload)")
        }
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Serialises images or labels as IDX (used by tests and by tools that export to the original layout).
    public static func encode(dims: [Int], data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
        for dim in dims {
            let v = UInt32(dim)
            out += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        }
        return out + data
    }
}
