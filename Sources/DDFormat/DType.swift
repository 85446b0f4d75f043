// Element types. The on-disk name is numpy's array-protocol string, so Python needs no lookup table and new
// types (e.g. "<f2", "|b1") can be added without changing the framing.

#if _endian(big)
#error("DDFormat stores little-endian payloads by memory copy; big-endian hosts need byte swapping added")
#endif

public enum DType: String, CaseIterable, Sendable {
    case u8 = "|u1"
    case i32 = "<i4"
    case i64 = "<i8"
    case f32 = "<f4"
    case f64 = "<f8"

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .u8: return 1
        case .i32, .f32: return 4
        case .i64, .f64: return 8
        }
    }

    /// The numpy string stored in headers, e.g. "<f4".
    public var numpyDescriptor: String { rawValue }

    /// Short name for messages: u8, i32, i64, f32, f64.
    public var shortName: String { String(describing: self) }

    /// Accepts the numpy descriptor (the on-disk form) or the short name.
    public init(parsing text: String) throws {
        if let d = DType(rawValue: text) { self = d; return }
        if let d = DType.allCases.first(where: { $0.shortName == text }) { self = d; return }
        throw FormatError.unknownDType(text)
    }
}

/// Swift scalar types a record can hold; each maps to exactly one DType.
public protocol TensorElement: Sendable {
    static var dtype: DType { get }
}
extension UInt8: TensorElement { public static var dtype: DType { .u8 } }
extension Int32: TensorElement { public static var dtype: DType { .i32 } }
extension Int64: TensorElement { public static var dtype: DType { .i64 } }
extension Float: TensorElement { public static var dtype: DType { .f32 } }
extension Double: TensorElement { public static var dtype: DType { .f64 } }

/// prod(shape) with overflow and negativity checks; nil when the product is not a valid element count.
public func elementCount(of shape: [Int]) -> Int? {
    var count = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow else { return nil }
        count = p
    }
    return count
}

/// prod(shape) × itemSize, or nil on overflow / negative dimensions.
public func byteCount(of shape: [Int], dtype: DType) -> Int? {
    guard let n = elementCount(of: shape) else { return nil }
    let (b, overflow) = n.multipliedReportingOverflow(by: dtype.itemSize)
    return overflow ? nil : b
}
