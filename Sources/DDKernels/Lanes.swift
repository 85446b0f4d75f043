/// Unaligned SIMD loads and stores of kernel scalars and widening to Double lanes: written out where the
/// compiler's own vectoriser gives up (pointer alias checks, Double accumulators it may not reassociate).
public enum Lanes {
    @inlinable @inline(__always)
    public static func load4<T: KernelFloat>(_ p: UnsafePointer<T>) -> SIMD4<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<T>.self)
    }

    @inlinable @inline(__always)
    public static func load8<T: KernelFloat>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }

    @inlinable @inline(__always)
    public static func store4<T: KernelFloat>(_ v: SIMD4<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<T>.self)
    }

    @inlinable @inline(__always)
    public static func store8<T: KernelFloat>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
    }

    @inlinable @inline(__always)
    public static func widen<T: KernelFloat>(_ v: SIMD8<T>) -> SIMD8<Double> {
        SIMD8(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]),
              Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
    }
}
