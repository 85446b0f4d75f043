#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A pool of large buffers (tensor storage, convolution scratch). Each is its own anonymous mapping,
/// and a freed one is kept, keyed by its size class, for the next request of that class.
///
/// Why: a training step allocates and frees the same few activation shapes over and over. From malloc
/// each large block is a fresh mmap the kernel must zero page by page on first touch (on this VM a first
/// touch costs ≈ 2.5 s per GiB: a third of an inference pass went there), and glibc's brk heap, told
/// never to return memory, fragmented and kept growing by 128 MiB a DC iteration. Exact reuse of whole
/// mappings has neither cost. Idle memory is bounded (`idleLimit`); beyond it the longest-idle buffers
/// are unmapped.
public final class BufferPool: @unchecked Sendable {
    /// Most bytes kept idle; beyond it freed buffers are unmapped.
    public var idleLimit: Int {
        get { lock.lock(); defer { lock.unlock() }; return limit }
        set { lock.lock(); limit = newValue; lock.unlock() }
    }
    private var limit: Int
    /// Idle buffers by size class, oldest first, each with the stamp of its release.
    private var idle: [Int: [(raw: UnsafeMutableRawPointer, stamp: Int)]] = [:]
    private var stamp = 0
    private var idleBytes = 0
    private var mappedBytes = 0
    private let lock = NSLock()

    public init(idleLimit: Int) { limit = idleLimit }

    /// Bytes currently held idle and bytes mapped in total (idle + in use), for tests and diagnostics.
    public var statistics: (idle: Int, mapped: Int) {
        lock.lock(); defer { lock.unlock() }
        return (idleBytes, mappedBytes)
    }

    /// The mapping size a request of `bytes` gets: pages, then up to the next of eight steps per power
    /// of two (at most 12.5 % more), so nearby sizes share buffers.
    public static func sizeClass(_ bytes: Int) -> Int {
        let page = 4096
        let pages = (bytes + page - 1) / page * page
        let top = Int.bitWidth - 1 - pages.leadingZeroBitCount  // 2^top ≤ pages
        if top < 3 { return pages }
        let step = 1 << (top - 3)
        return (pages + step - 1) / step * step
    }

    /// A buffer of at least `bytes` bytes, 4096-byte aligned, contents undefined.
    public func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let size = BufferPool.sizeClass(bytes)
        lock.lock()
        if var list = idle[size], let reused = list.popLast() {
            idle[size] = list.isEmpty ? nil : list
            idleBytes -= size
            lock.unlock()
            return reused.raw
        }
        mappedBytes += size
        lock.unlock()
        guard let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else {
            fatalError("out of memory: could not map \(size) bytes")
        }
        return raw
    }

    /// Returns a buffer from `allocate(bytes:)` (with the same `bytes`). When the idle bytes would pass the
    /// limit, the longest-idle buffers are unmapped first (the shapes of the current phase stay).
    public func deallocate(_ raw: UnsafeMutableRawPointer, bytes: Int) {
        let size = BufferPool.sizeClass(bytes)
        var evicted: [(UnsafeMutableRawPointer, Int)] = []
        lock.lock()
        if size > limit {
            evicted.append((raw, size))
        } else {
            while idleBytes + size > limit {
                guard let oldest = idle.min(by: { $0.value[0].stamp < $1.value[0].stamp })?.key else { break }
                let entry = idle[oldest]!.removeFirst()
                if idle[oldest]!.isEmpty { idle[oldest] = nil }
                idleBytes -= oldest
                evicted.append((entry.raw, oldest))
            }
            stamp += 1
            idle[size, default: []].append((raw, stamp))
            idleBytes += size
        }
        for (_, size) in evicted { mappedBytes -= size }
        lock.unlock()
        for (raw, size) in evicted { munmap(raw, size) }
    }

    /// Unmaps every idle buffer.
    public func trim() {
        lock.lock()
        let all = idle
        idle = [:]
        for (size, list) in all { mappedBytes -= size * list.count }
        idleBytes = 0
        lock.unlock()
        for (size, list) in all { for entry in list { munmap(entry.raw, size) } }
    }
}

/// The process-wide pool behind tensor storage and kernel scratch.
public enum BufferCache {
    /// Requests of at least this many bytes are served by the pool; smaller ones go to malloc.
    public static let threshold = 1 << 20
    /// Idle bytes kept: a quarter of physical memory unless `DD_BUFFER_CACHE_MB` says otherwise.
    public static let shared: BufferPool = {
        if let text = ProcessInfo.processInfo.environment["DD_BUFFER_CACHE_MB"], let mb = Int(text), mb >= 0 {
            return BufferPool(idleLimit: mb << 20)
        }
        return BufferPool(idleLimit: Int(clamping: ProcessInfo.processInfo.physicalMemory / 4))
    }()

    /// At least `bytes` bytes (≥ 1), 64-byte aligned, contents undefined: from the pool when large, else malloc.
    public static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        bytes >= threshold ? shared.allocate(bytes: bytes)
            : UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, bytes), alignment: 64)
    }

    /// Returns a buffer from `allocate(bytes:)`, with the same `bytes`.
    public static func deallocate(_ raw: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= threshold { shared.deallocate(raw, bytes: bytes) } else { raw.deallocate() }
    }
}

/// Typed scratch memory for kernels (`BufferCache`); release it with `release()`.
public struct ScratchBuffer<T> {
    public let pointer: UnsafeMutablePointer<T>
    @usableFromInline let bytes: Int

    @inlinable public init(count: Int) {
        bytes = Swift.max(1, count) * MemoryLayout<T>.stride
        pointer = BufferCache.allocate(bytes: bytes).bindMemory(to: T.self, capacity: Swift.max(1, count))
    }

    @inlinable public func release() { BufferCache.deallocate(UnsafeMutableRawPointer(pointer), bytes: bytes) }
}
