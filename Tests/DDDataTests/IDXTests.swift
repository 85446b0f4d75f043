import DDTestSupport
import Foundation
import Testing
@testable import DDData

@Suite struct IDXTests {
    /// Big-endian IDX bytes written independently of `IDX.encode`.
    func idxBytes(magic: [UInt8], dims: [UInt32], payload: [UInt8]) -> [UInt8] {
        var out = magic
        for d in dims { out += [UInt8(d >> 24), UInt8((d >> 16) & 255), UInt8((d >> 8) & 255), UInt8(d & 255)] }
        return out + payload
    }

    @Test func parsesImagesAndLabels() throws {
        let pixels = (0..<(3 * 2 * 4)).map { UInt8($0 * 7 % 256) }
        let images = try IDX.parseImages(idxBytes(magic: [0, 0, 8, 3], dims: [3, 2, 4], payload: pixels), file: "i")
        #expect(images.count == 3 && images.rows == 2 && images.cols == 4)
        #expect(images.pixels == pixels)
        let labels = try IDX.parseLabels(idxBytes(magic: [0, 0, 8, 1], dims: [4], payload: [9, 0, 3, 255]), file: "l")
        #expect(labels == [9, 0, 3, 255])
        #expect(IDX.encode(dims: [3, 2, 4], data: pixels) == idxBytes(magic: [0, 0, 8, 3], dims: [3, 2, 4], payload: pixels))
    }

    @Test func wrongMagic() {
        let labelsAsImages = idxBytes(magic: [0, 0, 8, 1], dims: [2], payload: [1, 2])
        #expect(expectDataError(.badData, containing: ["f.idx", "wrong IDX magic 0x00000801", "0x00000803"]) {
            _ = try IDX.parseImages(labelsAsImages, file: "f.idx")
        } == nil)
        let floats = idxBytes(magic: [0, 0, 0x0d, 1], dims: [1], payload: [0, 0, 0, 0])
        #expect(expectDataError(.badData, containing: ["wrong IDX magic 0x00000d01"]) {
            _ = try IDX.parseLabels(floats, file: "f.idx")
        } == nil)
        #expect(expectDataError(.badData, containing: ["too short"]) { _ = try IDX.parseLabels([], file: "empty") } == nil)
    }

    @Test func dimensionsDisagreeWithByteCount() {
        let short = idxBytes(magic: [0, 0, 8, 3], dims: [3, 2, 2], payload: [UInt8](repeating: 1, count: 11))
        #expect(expectDataError(.badData, containing: ["3×2×2 need 12 data bytes, file has 11"]) {
            _ = try IDX.parseImages(short, file: "f")
        } == nil)
        let long = idxBytes(magic: [0, 0, 8, 1], dims: [2], payload: [1, 2, 3])
        #expect(expectDataError(.badData, containing: ["need 2 data bytes, file has 3"]) {
            _ = try IDX.parseLabels(long, file: "f")
        } == nil)
        let truncatedHeader = Array(idxBytes(magic: [0, 0, 8, 3], dims: [3, 2, 2], payload: []).prefix(10))
        #expect(expectDataError(.badData, containing: ["header truncated"]) {
            _ = try IDX.parseImages(truncatedHeader, file: "f")
        } == nil)
        // Huge declared sizes must fail on the length check, not allocate.
        let hostile = idxBytes(magic: [0, 0, 8, 3], dims: [0xffff_ffff, 60000, 60000], payload: [])
        #expect(expectDataError(.badData, containing: ["f"]) { _ = try IDX.parseImages(hostile, file: "f") } == nil)
    }

    /// A mirror with a 5-image test split whose label file has a different count.
    @Test func labelCountDifferentFromImageCount() throws {
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        try FileManager.default.createDirectory(atPath: root + "/mnist", withIntermediateDirectories: true)
        try writeFile(root + "/mnist/t10k-images-idx3-ubyte",
                      idxBytes(magic: [0, 0, 8, 3], dims: [5, 28, 28], payload: [UInt8](repeating: 0, count: 5 * 784)))
        try writeFile(root + "/mnist/t10k-labels-idx1-ubyte", idxBytes(magic: [0, 0, 8, 1], dims: [4], payload: [0, 1, 2, 3]))
        #expect(expectDataError(.badData, containing: ["4 labels for the 5 images", "t10k-labels-idx1-ubyte"]) {
            _ = try DatasetLoader.load("mnist", split: .test, options: offlineOptions(mirror: root, verify: false))
        } == nil)
        // With matching counts the same uncompressed mirror loads (already-decompressed files are accepted).
        try writeFile(root + "/mnist/t10k-labels-idx1-ubyte", idxBytes(magic: [0, 0, 8, 1], dims: [5], payload: [0, 1, 2, 3, 9]))
        let dataset = try DatasetLoader.load("mnist", split: .test, options: offlineOptions(mirror: root, verify: false))
        #expect(dataset.count == 5 && dataset.labels == [0, 1, 2, 3, 9])
        #expect(dataset.provenance["verified"] == "no")
    }
}
