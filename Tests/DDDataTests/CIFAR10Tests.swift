import DDTestSupport
import Foundation
import Testing
@testable import DDData

@Suite struct CIFAR10Tests {
    /// Writes a miniature cifar-10-binary.tar.gz with `tar` and `gzip`: 3 records per train batch and 4 in
    /// the test batch, labels and pixels derived from (batch, record) so every byte is checkable.
    func writeArchive(in root: String, format: String = "ustar", dropMember: String? = nil) throws -> String {
        let work = root + "/work"
        let inner = work + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
        let members = (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"]
        for (batch, member) in members.enumerated() where member != dropMember {
            var bytes: [UInt8] = []
            for record in 0..<(member == "test_batch.bin" ? 4 : 3) {
                bytes.append(UInt8((batch * 3 + record) % 10))
                bytes += (0..<3072).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ batch * 31 &+ record * 5) }
            }
            try writeFile(inner + "/" + member, bytes)
        }
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        try writeFile(inner + "/batches.meta.txt", Array((names.joined(separator: "\n") + "\n\n").utf8))
        try writeFile(inner + "/readme.html", Array("<html></html>".utf8))
        let mirror = root + "/mirror/cifar10"
        try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
        let tarPath = root + "/cifar-10-binary.tar"
        try run("tar", ["--format=\(format)", "-cf", tarPath, "-C", work, "cifar-10-batches-bin"])
        try run("gzip", ["-f", tarPath])
        try FileManager.default.moveItem(atPath: tarPath + ".gz", toPath: mirror + "/cifar-10-binary.tar.gz")
        return root + "/mirror"
    }

    func expectedRecord(batch: Int, record: Int) -> (label: Int32, pixels: [UInt8]) {
        (Int32((batch * 3 + record) % 10), (0..<3072).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ batch * 31 &+ record * 5) })
    }

    @Test(arguments: ["ustar", "gnu", "pax"])
    func readsBothSplitsFromATarball(format: String) throws {
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        let mirror = try writeArchive(in: root, format: format)
        let train = try DatasetLoader.load("cifar10", split: .train, options: offlineOptions(mirror: mirror, verify: false))
        #expect(train.count == 15)
        #expect(train.geometry == ImageGeometry(channels: 3, height: 32, width: 32))
        #expect(train.classNames[0] == "airplane" && train.classNames[9] == "truck" && train.classCount == 10)
        #expect(train.mean == [0.4914, 0.4822, 0.4465])
        guard case .u8(let pixels) = train.images else { Issue.record("expected u8"); return }
        for (index, (batch, record)) in [(0, 0), (2, 1), (4, 2)].enumerated() {
            let position = batch * 3 + record
            let expected = expectedRecord(batch: batch, record: record)
            #expect(train.labels[position] == expected.label, "record \(index)")
            #expect(Array(pixels[(position * 3072)..<((position + 1) * 3072)]) == expected.pixels)
        }
        let test = try DatasetLoader.load("cifar10", split: .test, options: offlineOptions(mirror: mirror, verify: false))
        #expect(test.count == 4)
        #expect(test.labels == (0..<4).map { expectedRecord(batch: 5, record: $0).label })
        #expect(sourceDigest(test, "test_batch.bin")?.count == 64)
    }

    @Test func verificationNeedsNoVerifyAndMissingMembersAreErrors() throws {
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        let mirror = try writeArchive(in: root, dropMember: "data_batch_3.bin")
        #expect(expectDataError(.badData, containing: ["lacks data_batch_3.bin"]) {
            _ = try DatasetLoader.load("cifar10", split: .train, options: offlineOptions(mirror: mirror, verify: false))
        } == nil)
        #expect(expectDataError(.usage, containing: ["--no-verify", "test_batch.bin="]) {
            _ = try DatasetLoader.load("cifar-10", split: .test, options: offlineOptions(mirror: mirror))
        } == nil)
    }

    @Test func truncatedOrForeignArchives() throws {
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        let mirror = try writeArchive(in: root)
        let path = mirror + "/cifar10/cifar-10-binary.tar.gz"
        let tar = try Gzip.readFile(path, maxOutput: 1 << 24)
        // Cut inside the first batch member and re-compress: the reader must report truncation.
        try writeFile(path, try [UInt8](run("gzip", ["-c"], stdin: Data(tar.prefix(3000)))))
        #expect(expectDataError(.badData, containing: ["truncated"]) {
            _ = try CIFAR10Binary.read(path: path, split: .train)
        } == nil)
        try writeFile(path, Array(repeating: 0x41, count: 2048))
        #expect(expectDataError(.badData, containing: ["checksum mismatch"]) {
            _ = try CIFAR10Binary.read(path: path, split: .train)
        } == nil)
    }
}
