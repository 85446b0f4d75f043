/// A small sequential reader of POSIX ustar / GNU tar archives over a decompressed byte stream, enough for
/// dataset tarballs: regular files, directories skipped, GNU long names (`L`) and pax `path` records.
public final class TarReader {
    public struct Entry: Sendable {
        public var name: String
        public var size: Int
        public var isRegularFile: Bool
    }

    private let decoder: GzipDecoder
    private let archiveName: String
    private var remainingInEntry = 0   // content bytes of the current entry not yet consumed
    private var paddingAfterEntry = 0
    private var block = [UInt8](repeating: 0, count: 512)

    public init(_ decoder: GzipDecoder, archiveName: String) {
        self.decoder = decoder
        self.archiveName = archiveName
    }

    /// The next entry's header, or nil at the end-of-archive marker. Unread content of the previous entry
    /// is skipped.
    public func nextEntry() throws -> Entry? {
        try skipContents()
        var overrideName: String?
        while true {
            guard try readBlock() else {
                throw DataError.badData("\(archiveName): tar archive truncated (no end-of-archive blocks)")
            }
            if block.allSatisfy({ $0 == 0 }) { return nil }
            try checkHeaderChecksum()
            let size = try parseSize()
            let type = block[156]
            let name = overrideName ?? headerName()
            overrideName = nil
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "x"):
                // GNU long name or pax extended header: their content names the following entry.
                guard size <= 1 << 20 else { throw DataError.badData("\(archiveName): tar extended header of \(size) bytes") }
                begin(size: size)
                let content = try readContents(maxSize: size)
                try skipContents()   // the padding to the next header
                overrideName = type == UInt8(ascii: "L")
                    ? String(decoding: content.prefix { $0 != 0 }, as: UTF8.self)
                    : Self.paxPath(content)
            case UInt8(ascii: "g"):
                begin(size: size)
                try skipContents()
            default:
                begin(size: size)
                let regular = type == 0 || type == UInt8(ascii: "0") || type == UInt8(ascii: "7")
                return Entry(name: name, size: size, isRegularFile: regular)
            }
        }
    }

    /// The current entry's content; `maxSize` bounds the allocation against a lying header.
    public func readContents(maxSize: Int) throws -> [UInt8] {
        guard remainingInEntry <= maxSize else {
            throw DataError.badData("\(archiveName): tar member of \(remainingInEntry) bytes exceeds the limit of \(maxSize)")
        }
        var content = [UInt8](repeating: 0, count: remainingInEntry)
        let got = try content.withUnsafeMutableBytes { try decoder.readFully(into: $0) }
        guard got == remainingInEntry else {
            throw DataError.badData("\(archiveName): tar member truncated (\(got) of \(remainingInEntry) bytes)")
        }
        remainingInEntry = 0
        return content
    }

    /// Discards what is left of the current entry and its padding to the 512-byte boundary.
    public func skipContents() throws {
        var toSkip = remainingInEntry + paddingAfterEntry
        remainingInEntry = 0
        paddingAfterEntry = 0
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        while toSkip > 0 {
            let want = min(toSkip, scratch.count)
            let got = try scratch.withUnsafeMutableBytes {
                try decoder.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]))
            }
            guard got == want else { throw DataError.badData("\(archiveName): tar archive truncated inside a member") }
            toSkip -= got
        }
    }

    private func begin(size: Int) {
        remainingInEntry = size
        paddingAfterEntry = (512 - size % 512) % 512
    }

    private func readBlock() throws -> Bool {
        let got = try block.withUnsafeMutableBytes { try decoder.readFully(into: $0) }
        if got == 0 { return false }
        guard got == 512 else { throw DataError.badData("\(archiveName): tar header truncated (\(got) of 512 bytes)") }
        return true
    }

    private func checkHeaderChecksum() throws {
        let stored = Self.octal(block[148..<156])
        var sum = 0
        for (i, byte) in block.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard let stored, stored == sum else {
            throw DataError.badData("\(archiveName): tar header checksum mismatch (not a tar archive, or corrupt)")
        }
    }

    private func parseSize() throws -> Int {
        let field = block[124..<136]
        if let first = field.first, first & 0x80 != 0 {
            // GNU base-256 size: big-endian binary in the remaining bytes.
            var value = 0
            for byte in field.dropFirst() {
                guard value < (1 << 48) else { throw DataError.badData("\(archiveName): tar member size too large") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        guard let size = Self.octal(field) else { throw DataError.badData("\(archiveName): bad tar size field") }
        return size
    }

    private func headerName() -> String {
        let name = String(decoding: block[0..<100].prefix { $0 != 0 }, as: UTF8.self)
        let isUstar = block[257..<262].elementsEqual("ustar".utf8)
        let prefix = isUstar ? String(decoding: block[345..<500].prefix { $0 != 0 }, as: UTF8.self) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// An octal number field (NUL or space terminated, leading spaces allowed); nil if malformed.
    static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || (byte == 32 && seenDigit) { break }
            if byte == 32 { continue }
            guard byte >= 48, byte <= 55, value < (1 << 48) else { return nil }
            value = value * 8 + Int(byte - 48)
            seenDigit = true
        }
        return seenDigit ? value : nil
    }

    /// The `path` value of pax records ("LEN path=VALUE\n").
    static func paxPath(_ content: [UInt8]) -> String? {
        let text = String(decoding: content, as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let record = line[line.index(after: space)...]
            if record.hasPrefix("path=") { return String(record.dropFirst(5)) }
        }
        return nil
    }
}
