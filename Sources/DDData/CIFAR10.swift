/// The CIFAR-10 "binary version" tarball (cifar-10-binary.tar.gz): members `cifar-10-batches-bin/`
/// `data_batch_1.bin` … `data_batch_5.bin` (train), `test_batch.bin` (test) and `batches.meta.txt`
/// (class names, one per line). Each batch is a sequence of 3073-byte records: a label byte then
/// 3×32×32 pixels in CHW order (the red plane, then green, then blue), already the layout dd stores.
public enum CIFAR10Binary {
    public static let recordBytes = 1 + 3 * 32 * 32
    public static let trainMembers = (1...5).map { "data_batch_\($0).bin" }
    public static let testMembers = ["test_batch.bin"]
    public static let metaMember = "batches.meta.txt"

    public struct Contents: Sendable {
        public var pixels: [UInt8]
        public var labels: [Int32]
        public var classNames: [String]?
        /// SHA-256 (hex) of every member read, keyed by member base name.
        public var memberDigests: [String: String]
    }

    /// Reads the members of `split` from the archive at `path` (gzip-compressed or a plain tar), streaming:
    /// the tar is never held in memory, only the wanted members.
    public static func read(path: String, split: Split, maxBatchBytes: Int = 64 << 20) throws -> Contents {
        let decoder = try GzipDecoder(ByteInput(path: path), maxOutput: 1 << 30)
        let tar = TarReader(decoder, archiveName: path)
        let wanted = split == .train ? trainMembers : testMembers
        var batches: [String: [UInt8]] = [:]
        var digests: [String: String] = [:]
        var classNames: [String]?
        while let entry = try tar.nextEntry() {
            guard entry.isRegularFile else { continue }
            let base = entry.name.split(separator: "/").last.map(String.init) ?? entry.name
            if wanted.contains(base) {
                let content = try tar.readContents(maxSize: maxBatchBytes)
                digests[base] = SHA256.hexDigest(of: content)
                batches[base] = content
            } else if base == metaMember {
                let content = try tar.readContents(maxSize: 1 << 16)
                digests[base] = SHA256.hexDigest(of: content)
                classNames = String(decoding: content, as: UTF8.self)
                    .split(whereSeparator: \.isNewline)
                    .map { String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
                    .filter { !$0.isEmpty }
            }
        }
        let missing = wanted.filter { batches[$0] == nil }
        guard missing.isEmpty else {
            throw DataError.badData("\(path): CIFAR-10 archive lacks \(missing.joined(separator: ", "))")
        }
        var pixels: [UInt8] = []
        var labels: [Int32] = []
        let totalRecords = wanted.reduce(0) { $0 + (batches[$1]?.count ?? 0) / recordBytes }
        pixels.reserveCapacity(totalRecords * (recordBytes - 1))
        labels.reserveCapacity(totalRecords)
        for member in wanted {
            let batch = batches[member] ?? []
            guard batch.count % recordBytes == 0, !batch.isEmpty else {
                throw DataError.badData("\(path): \(member) has \(batch.count) bytes, not a whole number of \(recordBytes)-byte records")
            }
            try batch.withUnsafeBufferPointer { bytes in
                for start in stride(from: 0, to: bytes.count, by: recordBytes) {
                    let label = bytes[start]
                    guard label < 10 else {
                        throw DataError.badData("\(path): \(member) record \(start / recordBytes) has label \(label), expected 0…9")
                    }
                    labels.append(Int32(label))
                    pixels.append(contentsOf: bytes[(start + 1)..<(start + recordBytes)])
                }
            }
            batches[member] = nil
        }
        return Contents(pixels: pixels, labels: labels, classNames: classNames, memberDigests: digests)
    }
}
