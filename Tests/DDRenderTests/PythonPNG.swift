import Foundation
import DDTestSupport
import Testing

/// An independent PNG decoder for the tests: a short Python program using only struct and zlib checks the
/// signature, every chunk's CRC-32, IHDR, un-filters each row and returns the samples. Nothing of the Swift
/// encoder is reused, so a bug there cannot hide behind the same bug here.
struct DecodedPNG: Decodable {
    var width: Int
    var height: Int
    var colorType: Int
    var bitDepth: Int
    var chunks: [String]
    var filters: [Int]
    var texts: [String: String]
    var hex: String

    var samples: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(hex.count / 2)
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            out.append(UInt8(hexValue(high) << 4 | hexValue(low)))
        }
        return out
    }

    private func hexValue(_ c: UInt8) -> Int { c <= 57 ? Int(c) - 48 : Int(c) - 87 }
}

struct DecodeFailure: Error, CustomStringConvertible { var description: String }

enum PythonPNG {
    static let program = #"""
import json, struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
if data[:8] != b'\x89PNG\r\n\x1a\n': sys.exit('bad signature')
pos, chunks, idat, texts, ihdr = 8, [], b'', {}, None
while pos < len(data):
    if pos + 12 > len(data): sys.exit('truncated chunk')
    length, = struct.unpack('>I', data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
    crc, = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
    if zlib.crc32(kind + body) & 0xffffffff != crc: sys.exit('CRC mismatch in ' + kind.decode('latin-1'))
    chunks.append(kind.decode('latin-1'))
    pos += 12 + length
    if kind == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT': idat += body
    elif kind == b'tEXt':
        k, v = body.split(b'\0', 1); texts[k.decode('latin-1')] = v.decode('latin-1')
    elif kind == b'iTXt':
        k, rest = body.split(b'\0', 1); texts[k.decode('latin-1')] = rest[2:].split(b'\0', 2)[2].decode('utf-8')
    elif kind == b'IEND': break
if pos != len(data): sys.exit('bytes after IEND')
if chunks[0] != 'IHDR' or chunks[-1] != 'IEND': sys.exit('bad chunk order')
w, h, depth, ctype, method, filt, interlace = ihdr
if depth != 8 or method != 0 or filt != 0 or interlace != 0: sys.exit('unsupported IHDR')
bpp = {0: 1, 2: 3, 6: 4}[ctype]
stride = w * bpp
raw = zlib.decompress(idat)
if len(raw) != h * (stride + 1): sys.exit('IDAT holds %d bytes, expected %d' % (len(raw), h * (stride + 1)))
out, prev, filters = bytearray(), bytearray(stride), []
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    filters.append(f)
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 0: p = 0
        elif f == 1: p = a
        elif f == 2: p = b
        elif f == 3: p = (a + b) // 2
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        else: sys.exit('bad filter type %d' % f)
        line[i] = (line[i] + p) & 255
    out += line
    prev = line
print(json.dumps({'width': w, 'height': h, 'colorType': ctype, 'bitDepth': depth, 'chunks': chunks,
                  'filters': filters, 'texts': texts, 'hex': out.hex()}))
"""#

    /// Writes `bytes` to a temporary file and returns its path; the caller removes it.
    static func temporaryFile(_ bytes: [UInt8], suffix: String = ".png") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dd-render-test-\(UUID().uuidString)\(suffix)")
        try Data(bytes).write(to: url)
        return url
    }

    /// Runs a program and returns (status, stdout, stderr).
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, Data, String) {
        let outcome = try ToolRunner.run(executable, arguments)
        return (outcome.status, Data(outcome.stdout), outcome.stderr)
    }

    static func decode(_ png: [UInt8]) throws -> DecodedPNG {
        let file = try temporaryFile(png)
        let script = try temporaryFile(Array(program.utf8), suffix: ".py")
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: script)
        }
        let (status, stdout, stderr) = try run("python3", [script.path, file.path])
        guard status == 0 else { throw DecodeFailure(description: "python decoder: \(stderr)") }
        return try JSONDecoder().decode(DecodedPNG.self, from: stdout)
    }

    static var pngcheckPath: String? {
        ["/usr/bin/pngcheck", "/usr/local/bin/pngcheck", "/opt/homebrew/bin/pngcheck"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// pngcheck's verdict (exit status and text) on `png`.
    static func pngcheck(_ png: [UInt8]) throws -> (Int32, String) {
        let file = try temporaryFile(png)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, stdout, stderr) = try run(pngcheckPath ?? "pngcheck", ["-v", file.path])
        return (status, String(decoding: stdout, as: UTF8.self) + stderr)
    }
}

/// A small deterministic generator so test images are varied but reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
