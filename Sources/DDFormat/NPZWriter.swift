// NPZ export: a zip archive of .npy members that plain `numpy.load` opens (no pickle needed). Members are
// written one by one to any byte sink (local headers carry the final sizes, so no seeking); the central
// directory follows at `finish()`. ZIP64 fields are used when a size or offset reaches 4 GiB.
import Foundation

public final class NPZWriter {
    public enum Compression: Sendable, Equatable {
        case stored
        /// Raw DEFLATE at a zlib level 1…9.
        case deflated(level: Int)
    }

    public let compression: Compression
    private let sink: ByteSink
    private var offset: UInt64 = 0
    private var entries: [CentralEntry] = []
    private var names = Set<String>()
    private var isFinished = false
    /// Sizes at or above this use ZIP64 fields. Only tests lower it, to exercise ZIP64 on small files.
    let zip64Threshold: UInt64

    private struct CentralEntry {
        var name: [UInt8]
        var method: UInt16
        var crc: UInt32
        var compressedSize: UInt64
        var size: UInt64
        var offset: UInt64
    }

    public convenience init(sink: ByteSink, compression: Compression = .deflated(level: 1)) {
        self.init(sink: sink, compression: compression, zip64Threshold: 0xFFFF_FFFF)
    }

    init(sink: ByteSink, compression: Compression, zip64Threshold: UInt64) {
        self.sink = sink
        self.compression = compression
        self.zip64Threshold = zip64Threshold
    }

    /// Adds `<record.name>.npy`.
    public func add(_ record: Record) throws {
        try record.bytes.withUnsafeBytes { try add(name: record.name, dtype: record.dtype.rawValue, shape: record.shape, data: $0) }
    }

    /// Adds a 0-d unicode string member `<name>.npy` (dtype `<U n`), e.g. the stream metadata as JSON text.
    /// `numpy.load(f)[name].item()` returns the string.
    public func addString(_ text: String, name: String) throws {
        let scalars = text.unicodeScalars.map { $0.value.littleEndian }
        try scalars.withUnsafeBytes { try add(name: name, dtype: "<U\(scalars.count)", shape: [], data: $0) }
    }

    /// Adds an .npy member from raw little-endian row-major bytes with a numpy dtype descriptor.
    public func add(name: String, dtype: String, shape: [Int], data: UnsafeRawBufferPointer) throws {
        guard !isFinished else { throw FormatError.misuse("add after finish()") }
        guard names.insert(name).inserted else { throw FormatError.invalidRecord("duplicate member \"\(name)\" in the NPZ export") }
        let memberName = Array((name + ".npy").utf8)
        guard memberName.count < 0xFFFF else { throw FormatError.invalidRecord("member name too long") }
        let header = NPZWriter.npyHeader(dtype: dtype, shape: shape)
        var crc = CRC32()
        crc.update(header)
        crc.update(data)
        let size = UInt64(header.count + data.count)
        var deflated: [UInt8]? = nil
        if case .deflated(let level) = compression {
            deflated = try header.withUnsafeBytes { try Zlib.rawDeflate([$0, data], level: level) }
        }
        let compressedSize = deflated.map { UInt64($0.count) } ?? size
        let entry = CentralEntry(name: memberName, method: deflated == nil ? 0 : 8, crc: crc.value,
                                 compressedSize: compressedSize, size: size, offset: offset)
        let zip64 = size >= zip64Threshold || compressedSize >= zip64Threshold
        var local: [UInt8] = []
        appendLE(UInt32(0x0403_4B50), to: &local)
        appendLE(UInt16(zip64 ? 45 : 20), to: &local)  // version needed
        appendLE(UInt16(0x0800), to: &local)  // flags: UTF-8 names
        appendLE(entry.method, to: &local)
        appendLE(UInt16(0), to: &local)  // time 00:00:00
        appendLE(UInt16(0x21), to: &local)  // date 1980-01-01: fixed so exports are deterministic
        appendLE(entry.crc, to: &local)
        appendLE(UInt32(zip64 ? 0xFFFF_FFFF : compressedSize), to: &local)
        appendLE(UInt32(zip64 ? 0xFFFF_FFFF : size), to: &local)
        appendLE(UInt16(memberName.count), to: &local)
        appendLE(UInt16(zip64 ? 20 : 0), to: &local)
        local += memberName
        if zip64 {
            appendLE(UInt16(1), to: &local)
            appendLE(UInt16(16), to: &local)
            appendLE(size, to: &local)
            appendLE(compressedSize, to: &local)
        }
        try emit(local)
        if let deflated {
            try emit(deflated)
        } else {
            try emit(header)
            try sink.write(data)
            offset += UInt64(data.count)
        }
        entries.append(entry)
    }

    /// Writes the central directory (ZIP64 end records when needed). The archive is valid only after this.
    public func finish() throws {
        guard !isFinished else { throw FormatError.misuse("finish() called twice") }
        isFinished = true
        let directoryStart = offset
        for e in entries {
            var fields: [UInt64] = []
            if e.size >= zip64Threshold { fields.append(e.size) }
            if e.compressedSize >= zip64Threshold { fields.append(e.compressedSize) }
            if e.offset >= zip64Threshold { fields.append(e.offset) }
            var c: [UInt8] = []
            appendLE(UInt32(0x0201_4B50), to: &c)
            appendLE(UInt16(fields.isEmpty ? 20 : 45), to: &c)  // made by
            appendLE(UInt16(fields.isEmpty ? 20 : 45), to: &c)  // needed
            appendLE(UInt16(0x0800), to: &c)
            appendLE(e.method, to: &c)
            appendLE(UInt16(0), to: &c)
            appendLE(UInt16(0x21), to: &c)
            appendLE(e.crc, to: &c)
            appendLE(UInt32(e.compressedSize >= zip64Threshold ? 0xFFFF_FFFF : e.compressedSize), to: &c)
            appendLE(UInt32(e.size >= zip64Threshold ? 0xFFFF_FFFF : e.size), to: &c)
            appendLE(UInt16(e.name.count), to: &c)
            appendLE(UInt16(fields.isEmpty ? 0 : 4 + 8 * fields.count), to: &c)
            appendLE(UInt16(0), to: &c)  // comment length
            appendLE(UInt16(0), to: &c)  // disk
            appendLE(UInt16(0), to: &c)  // internal attributes
            appendLE(UInt32(0o100644) << 16, to: &c)  // external attributes: a regular rw-r--r-- file
            appendLE(UInt32(e.offset >= zip64Threshold ? 0xFFFF_FFFF : e.offset), to: &c)
            c += e.name
            if !fields.isEmpty {
                appendLE(UInt16(1), to: &c)
                appendLE(UInt16(8 * fields.count), to: &c)
                for f in fields { appendLE(f, to: &c) }
            }
            try emit(c)
        }
        let directorySize = offset - directoryStart
        let needsZip64 = entries.count >= 0xFFFF || directorySize >= zip64Threshold || directoryStart >= zip64Threshold
        var end: [UInt8] = []
        if needsZip64 {
            let zip64EndOffset = offset
            appendLE(UInt32(0x0606_4B50), to: &end)
            appendLE(UInt64(44), to: &end)
            appendLE(UInt16(45), to: &end)
            appendLE(UInt16(45), to: &end)
            appendLE(UInt32(0), to: &end)
            appendLE(UInt32(0), to: &end)
            appendLE(UInt64(entries.count), to: &end)
            appendLE(UInt64(entries.count), to: &end)
            appendLE(directorySize, to: &end)
            appendLE(directoryStart, to: &end)
            appendLE(UInt32(0x0706_4B50), to: &end)  // locator
            appendLE(UInt32(0), to: &end)
            appendLE(zip64EndOffset, to: &end)
            appendLE(UInt32(1), to: &end)
        }
        appendLE(UInt32(0x0605_4B50), to: &end)
        appendLE(UInt16(0), to: &end)
        appendLE(UInt16(0), to: &end)
        appendLE(UInt16(min(entries.count, 0xFFFF)), to: &end)
        appendLE(UInt16(min(entries.count, 0xFFFF)), to: &end)
        appendLE(UInt32(needsZip64 ? 0xFFFF_FFFF : directorySize), to: &end)
        appendLE(UInt32(needsZip64 ? 0xFFFF_FFFF : directoryStart), to: &end)
        appendLE(UInt16(0), to: &end)
        try emit(end)
    }

    private func emit(_ bytes: [UInt8]) throws {
        try sink.write(bytes)
        offset += UInt64(bytes.count)
    }

    /// The .npy preamble: magic, version, header length, then the dict literal padded with spaces and a
    /// newline to a multiple of 64 bytes (version 2.0 when the header does not fit version 1.0's u16).
    static func npyHeader(dtype: String, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = Array("{'descr': '\(dtype)', 'fortran_order': False, 'shape': \(dims), }".utf8)
        func padded(fixed: Int) -> [UInt8] {
            let total = (fixed + dict.count + 1 + 63) / 64 * 64
            return dict + [UInt8](repeating: 0x20, count: total - fixed - dict.count - 1) + [0x0A]
        }
        var body = padded(fixed: 10)
        let version1 = body.count <= 0xFFFF
        if !version1 { body = padded(fixed: 12) }
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version1 ? 1 : 2, 0]
        if version1 { appendLE(UInt16(body.count), to: &out) } else { appendLE(UInt32(body.count), to: &out) }
        return out + body
    }
}

extension NPZWriter {
    /// Exports every remaining record of `reader` as `<name>.npy`, plus `__meta__.npy`: a 0-d unicode string
    /// holding the JSON `{"kind", "stream", "records": {name: meta}, "end": [meta…]}`. Returns the record count.
    @discardableResult
    public static func export(_ reader: StreamReader, to sink: ByteSink, compression: Compression = .deflated(level: 1)) throws -> Int {
        let writer = NPZWriter(sink: sink, compression: compression)
        var recordMeta: [String: JSONValue] = [:]
        var count = 0
        while let info = try reader.nextInfo() {
            let bytes = try reader.readPayload(as: UInt8.self)
            guard info.name != "__meta__" else { throw FormatError.invalidRecord("record name \"__meta__\" is reserved in NPZ exports") }
            try bytes.withUnsafeBytes { try writer.add(name: info.name, dtype: info.dtype.rawValue, shape: info.shape, data: $0) }
            recordMeta[info.name] = info.metadata
            count += 1
        }
        let header = reader.streamHeader
        let meta: JSONValue = ["kind": header.map { .string($0.kind.rawValue) } ?? .null,
                               "stream": header?.metadata ?? [:], "records": .object(recordMeta),
                               "end": .array(reader.endMetadata)]
        try writer.addString(meta.serialized(), name: "__meta__")
        try writer.finish()
        return count
    }
}
