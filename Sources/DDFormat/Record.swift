// Record: one named tensor with its metadata, as carried by one tensor record of a stream.

/// A named tensor: raw little-endian, row-major element bytes plus shape, dtype and JSON metadata.
public struct Record: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    /// Row-major dimensions; `[]` is a 0-d scalar (one element), a 0 anywhere makes an empty tensor.
    public var shape: [Int]
    /// A JSON object (empty by default).
    public var metadata: JSONValue
    /// prod(shape) × dtype.itemSize bytes, little-endian, row-major.
    public var bytes: [UInt8]

    /// Builds a record from raw bytes; throws `invalidRecord` when the byte count does not match the shape.
    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8], metadata: JSONValue = [:]) throws {
        try Record.validate(name: name, shape: shape, metadata: metadata)
        guard let needed = byteCount(of: shape, dtype: dtype), needed == bytes.count else {
            throw FormatError.invalidRecord("\"\(name)\": shape \(shape) of \(dtype.shortName) does not match \(bytes.count) bytes")
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.metadata = metadata
        self.bytes = bytes
    }

    /// Builds a record from typed values (one copy into the byte buffer).
    public init<T: TensorElement>(name: String, shape: [Int], values: [T], metadata: JSONValue = [:]) throws {
        guard DDFormat.elementCount(of: shape) == values.count else {
            throw FormatError.invalidRecord("\"\(name)\": shape \(shape) does not match \(values.count) values")
        }
        let bytes = values.withUnsafeBytes { Array($0) }
        try self.init(name: name, dtype: T.dtype, shape: shape, bytes: bytes, metadata: metadata)
    }

    /// A 0-d record holding one value.
    public init<T: TensorElement>(name: String, scalar: T, metadata: JSONValue = [:]) throws {
        try self.init(name: name, shape: [], values: [scalar], metadata: metadata)
    }

    public var elementCount: Int { bytes.count / dtype.itemSize }

    /// The payload as typed values; throws `invalidRecord` when `T` is not this record's dtype.
    public func values<T: TensorElement>(as type: T.Type) throws -> [T] {
        guard T.dtype == dtype else {
            throw FormatError.invalidRecord("\"\(name)\" holds \(dtype.shortName), not \(T.dtype.shortName)")
        }
        let count = elementCount
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: src)
            }
            initialized = count
        }
    }

    public func uint8s() throws -> [UInt8] { try values(as: UInt8.self) }
    public func int32s() throws -> [Int32] { try values(as: Int32.self) }
    public func int64s() throws -> [Int64] { try values(as: Int64.self) }
    public func floats() throws -> [Float] { try values(as: Float.self) }
    public func doubles() throws -> [Double] { try values(as: Double.self) }

    /// Names are `/`-separated paths of printable characters, 1…1024 UTF-8 bytes; shapes have at most 32
    /// non-negative dimensions; metadata is a JSON object.
    static func validate(name: String, shape: [Int], metadata: JSONValue) throws {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= FormatConstants.maxNameBytes else {
            throw FormatError.invalidRecord("name must be 1…\(FormatConstants.maxNameBytes) bytes long")
        }
        guard !utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw FormatError.invalidRecord("name \(name.debugDescription) contains a control character")
        }
        guard shape.count <= FormatConstants.maxRank else {
            throw FormatError.invalidRecord("\"\(name)\": rank \(shape.count) exceeds \(FormatConstants.maxRank)")
        }
        guard !shape.contains(where: { $0 < 0 }) else {
            throw FormatError.invalidRecord("\"\(name)\": negative dimension in \(shape)")
        }
        guard case .object = metadata else {
            throw FormatError.invalidRecord("\"\(name)\": metadata must be a JSON object")
        }
    }
}

/// What a stream carries, declared by its begin record. Open-ended so newer producers can add kinds.
public struct StreamKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// Real data: `images`, `labels`, optional `groups`, `bias_labels`, `soft_labels`.
    public static let dataset = StreamKind("dataset")
    /// A distilled set: the records of a dataset plus method metadata.
    public static let synthetic = StreamKind("synthetic")
    /// Expert checkpoints, one flat f32 record per epoch, emitted as produced.
    public static let trajectory = StreamKind("trajectory")

    public var description: String { rawValue }
}

/// The begin record of one stream segment: its kind and stream-level metadata.
public struct StreamHeader: Equatable, Sendable {
    public var kind: StreamKind
    public var metadata: JSONValue
    public init(kind: StreamKind, metadata: JSONValue = [:]) {
        self.kind = kind
        self.metadata = metadata
    }
}

/// What a tensor record's header says, before its payload is read.
public struct RecordInfo: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var metadata: JSONValue
    /// Decompressed payload size, = prod(shape) × dtype.itemSize (checked by the reader).
    public var byteCount: Int
}
