import DDKernels

/// Element type of an array. Float64 exists so gradient checks have headroom; models run in Float32.
public enum DType: UInt8, Sendable, CustomStringConvertible {
    case float32, float64
    public var description: String { self == .float32 ? "float32" : "float64" }
    public var byteSize: Int { self == .float32 ? 4 : 8 }
}

/// The Swift element types an `NDArray` can hold.
public protocol ArrayElement: KernelFloat {
    static var dtype: DType { get }
}
extension Float: ArrayElement { public static var dtype: DType { .float32 } }
extension Double: ArrayElement { public static var dtype: DType { .float64 } }

/// Raw, owned, 64-byte aligned buffer of `count` elements of `dtype`.
public final class ArrayStorage: @unchecked Sendable {
    public let count: Int
    public let dtype: DType
    @usableFromInline let raw: UnsafeMutableRawPointer

    init(count: Int, dtype: DType, zeroed: Bool) {
        self.count = count
        self.dtype = dtype
        let bytes = max(1, count) * dtype.byteSize
        // Large storage is reused through the kernels' buffer cache (no page faults for repeated shapes).
        raw = BufferCache.allocate(bytes: bytes)
        if zeroed { raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
    }
    deinit { BufferCache.deallocate(raw, bytes: max(1, count) * dtype.byteSize) }
}

public enum ShapeError: Error, CustomStringConvertible {
    case mismatch(String)
    public var description: String { if case .mismatch(let s) = self { return s }; return "" }
}

/// Dense, contiguous, row-major (NCHW) array of Float32 or Float64 with copy-on-write storage.
/// Every operation returns a new array; arrays are never views of each other.
public struct NDArray: @unchecked Sendable {
    public let shape: [Int]
    public private(set) var storage: ArrayStorage

    public var dtype: DType { storage.dtype }
    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// A new array; contents are undefined unless `zeroed`.
    public init(shape: [Int], dtype: DType, zeroed: Bool = true) {
        require(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        storage = ArrayStorage(count: shape.reduce(1, *), dtype: dtype, zeroed: zeroed)
    }

    init(shape: [Int], storage: ArrayStorage) {
        require(shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) elements")
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], scalars: [Float]) {
        self.init(shape: shape, dtype: .float32, zeroed: false)
        require(scalars.count == count, "\(scalars.count) scalars for shape \(shape)")
        if count > 0 { scalars.withUnsafeBufferPointer { mutablePointer(Float.self).update(from: $0.baseAddress!, count: count) } }
    }

    public init(shape: [Int], doubles: [Double]) {
        self.init(shape: shape, dtype: .float64, zeroed: false)
        require(doubles.count == count, "\(doubles.count) doubles for shape \(shape)")
        if count > 0 { doubles.withUnsafeBufferPointer { mutablePointer(Double.self).update(from: $0.baseAddress!, count: count) } }
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> NDArray { NDArray(shape: shape, dtype: dtype) }
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> NDArray { full(shape, 1, dtype: dtype) }
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) -> NDArray {
        var a = NDArray(shape: shape, dtype: dtype, zeroed: false)
        switch dtype {
        case .float32: a.mutablePointer(Float.self).update(repeating: Float(value), count: a.count)
        case .float64: a.mutablePointer(Double.self).update(repeating: value, count: a.count)
        }
        return a
    }
    public static func scalar(_ value: Double, dtype: DType = .float32) -> NDArray { full([], value, dtype: dtype) }

    /// Typed read pointer. The element type must match `dtype`.
    @inlinable public func pointer<T: ArrayElement>(_: T.Type) -> UnsafePointer<T> {
        require(T.dtype == dtype, "array is \(dtype), not \(T.dtype)")
        return UnsafePointer(storage.raw.assumingMemoryBound(to: T.self))
    }

    /// Typed write pointer; copies the storage first when it is shared (copy-on-write).
    public mutating func mutablePointer<T: ArrayElement>(_: T.Type) -> UnsafeMutablePointer<T> {
        require(T.dtype == dtype, "array is \(dtype), not \(T.dtype)")
        if !isKnownUniquelyReferenced(&storage) {
            let copy = ArrayStorage(count: count, dtype: dtype, zeroed: false)
            copy.raw.copyMemory(from: storage.raw, byteCount: count * dtype.byteSize)
            storage = copy
        }
        return storage.raw.assumingMemoryBound(to: T.self)
    }

    /// Elements as Float (converting from Float64 if needed).
    public var scalars: [Float] {
        switch dtype {
        case .float32: return Array(UnsafeBufferPointer(start: pointer(Float.self), count: count))
        case .float64: return UnsafeBufferPointer(start: pointer(Double.self), count: count).map { Float($0) }
        }
    }

    /// Elements as Double (converting from Float32 if needed).
    public var doubles: [Double] {
        switch dtype {
        case .float32: return UnsafeBufferPointer(start: pointer(Float.self), count: count).map { Double($0) }
        case .float64: return Array(UnsafeBufferPointer(start: pointer(Double.self), count: count))
        }
    }

    /// The single element of a one-element array.
    public func item() -> Double {
        require(count == 1, "item() on an array of \(count) elements")
        return dtype == .float32 ? Double(pointer(Float.self)[0]) : pointer(Double.self)[0]
    }

    public func converted(to target: DType) -> NDArray {
        if target == dtype { return self }
        var out = NDArray(shape: shape, dtype: target, zeroed: false)
        if target == .float64 {
            let src = pointer(Float.self), dst = out.mutablePointer(Double.self)
            for i in 0..<count { dst[i] = Double(src[i]) }
        } else {
            let src = pointer(Double.self), dst = out.mutablePointer(Float.self)
            for i in 0..<count { dst[i] = Float(src[i]) }
        }
        return out
    }

    /// Same elements, new shape (one dimension may be -1). Shares storage.
    public func reshaped(_ newShape: [Int]) -> NDArray {
        NDArray(shape: resolveShape(newShape, count: count), storage: storage)
    }
}

/// Resolves a single -1 in `shape` so the element count matches.
public func resolveShape(_ shape: [Int], count: Int) -> [Int] {
    var shape = shape
    if let hole = shape.firstIndex(of: -1) {
        let known = shape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
        require(known > 0 && count % known == 0, "cannot reshape \(count) elements to \(shape)")
        shape[hole] = count / known
    }
    require(shape.reduce(1, *) == count, "cannot reshape \(count) elements to \(shape)")
    return shape
}

/// Row-major strides of `shape`.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = s; s *= shape[i] }
    return strides
}

/// Result shape of broadcasting `a` with `b` (numpy rules), or nil if incompatible.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let da = i < r - a.count ? 1 : a[i - (r - a.count)]
        let db = i < r - b.count ? 1 : b[i - (r - b.count)]
        if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
    }
    return out
}

/// Checks an API contract (shapes, dtypes, indices). Unlike `precondition` it stays active in the
/// -Ounchecked release build: a wrong shape must stop the program, not silently corrupt memory.
@inlinable @inline(__always)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
