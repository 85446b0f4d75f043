import DDTestSupport
import Testing
import DDFormat
@testable import DDData

/// A small synthetic dataset: image i holds i in its first two pixels (low byte, high byte) and the low
/// byte elsewhere; label i % classes.
func toyDataset(count: Int = 30, classes: Int = 3, channels: Int = 1) -> Dataset {
    let geometry = ImageGeometry(channels: channels, height: 2, width: 3)
    let pixels = (0..<count).flatMap { i -> [UInt8] in
        var image = [UInt8](repeating: UInt8(i & 255), count: geometry.valuesPerImage)
        image[1] = UInt8(i >> 8)
        return image
    }
    return Dataset(name: "toy", images: .u8(pixels), geometry: geometry,
                   labels: (0..<count).map { Int32($0 % classes) },
                   classNames: (0..<classes).map { "c\($0)" },
                   mean: [Float](repeating: 0.5, count: channels), std: [Float](repeating: 0.25, count: channels))
}

/// Which original images a subset holds (decoded from the first two pixels).
func originalIndices(_ dataset: Dataset) -> [Int] {
    guard case .u8(let pixels) = dataset.images else { return [] }
    return stride(from: 0, to: pixels.count, by: dataset.geometry.valuesPerImage).map { Int(pixels[$0]) | Int(pixels[$0 + 1]) << 8 }
}

@Suite struct DatasetTests {
    @Test func validateCatchesBrokenInvariants() throws {
        try toyDataset().validate()
        var d = toyDataset()
        d.labels.removeLast()
        #expect(expectDataError(.badData, containing: ["label count must equal image count"]) { try d.validate() } == nil)
        d = toyDataset()
        d.labels[4] = 3
        #expect(expectDataError(.badData, containing: ["label 3 of image 4 is outside 0..<3"]) { try d.validate() } == nil)
        d = toyDataset()
        d.std = [0]
        #expect(expectDataError(.badData, containing: ["std[0]"]) { try d.validate() } == nil)
        d = toyDataset()
        d.mean = [0.1, 0.2]
        #expect(expectDataError(.badData, containing: ["2 means"]) { try d.validate() } == nil)
        d = toyDataset()
        d.groups = [Int32](repeating: 0, count: 29)
        #expect(expectDataError(.badData, containing: ["29 group labels for 30 images"]) { try d.validate() } == nil)
        d = toyDataset()
        d.softLabels = [Float](repeating: 0, count: 30 * 2)
        #expect(expectDataError(.badData, containing: ["soft-label values"]) { try d.validate() } == nil)
    }

    @Test func perClassIndicesAndFirstN() throws {
        let d = toyDataset()
        #expect(d.indicesByClass() == [Array(stride(from: 0, to: 30, by: 3)), Array(stride(from: 1, to: 30, by: 3)),
                                       Array(stride(from: 2, to: 30, by: 3))])
        let first = try d.firstPerClass(2)
        #expect(originalIndices(first) == [0, 3, 1, 4, 2, 5])
        #expect(first.labels == [0, 0, 1, 1, 2, 2])
        #expect(expectDataError(.usage, containing: ["has 10 images, fewer than the 11"]) { _ = try d.firstPerClass(11) } == nil)
    }

    @Test func seededRandomPerClassIsDeterministicDistinctAndSeedDependent() throws {
        let d = toyDataset(count: 300)
        let a = try d.randomPerClass(5, seed: 42), b = try d.randomPerClass(5, seed: 42), c = try d.randomPerClass(5, seed: 43)
        #expect(a == b)
        #expect(originalIndices(a) != originalIndices(c))
        let picked = originalIndices(a)
        #expect(Set(picked).count == 15)
        for (position, original) in picked.enumerated() {
            #expect(original % 3 == position / 5)   // grouped by class, each image of the right class
            #expect(Int(a.labels[position]) == original % 3)
        }
        // Over many seeds every image of a class gets picked: the draw is not stuck on a prefix.
        var seen = Set<Int>()
        for seed in 0..<200 { seen.formUnion(originalIndices(try d.randomPerClass(1, seed: UInt64(seed)))) }
        #expect(seen.count > 250)
    }

    @Test func classSubsetRelabelsInTheGivenOrder() throws {
        var d = toyDataset()
        d.groups = (0..<30).map { Int32($0 % 2) }
        d.softLabels = (0..<30).flatMap { i in (0..<3).map { Float(i * 10 + $0) } }
        let s = try d.subset(classes: [2, 0])
        #expect(s.classNames == ["c2", "c0"])
        #expect(s.count == 20)
        for (position, original) in originalIndices(s).enumerated() {
            #expect(s.labels[position] == (original % 3 == 2 ? 0 : 1))
            #expect(s.groups?[position] == Int32(original % 2))
            #expect(s.softLabels?[position * 2] == Float(original * 10 + 2))
            #expect(s.softLabels?[position * 2 + 1] == Float(original * 10))
        }
        try s.validate()
        #expect(expectDataError(.usage, containing: ["class 3 outside"]) { _ = try d.subset(classes: [3]) } == nil)
        #expect(expectDataError(.usage, containing: ["repeats"]) { _ = try d.subset(classes: [1, 1]) } == nil)
    }

    @Test func normalisationRoundTrip() {
        let d = toyDataset(count: 3)
        let normalised = d.normalizedImages()
        #expect(abs(normalised[6] - (1 / 255 - 0.5) / 0.25) < 1e-6)
        var f = d
        f.images = .normalized(normalised)
        let back = f.unnormalizedImages()
        for (x, y) in zip(back, d.unnormalizedImages()) { #expect(abs(x - y) < 1e-6) }
        #expect(abs(back[14] - 2 / 255) < 1e-6)
    }

    @Test func contentDigestTracksContentNotMetadata() {
        let d = toyDataset()
        var renamed = d
        renamed.name = "other"
        renamed.provenance["x"] = "y"
        #expect(d.computeContentDigest() == renamed.computeContentDigest())
        var relabelled = d
        relabelled.labels[0] = 1
        #expect(d.computeContentDigest() != relabelled.computeContentDigest())
        var grouped = d
        grouped.groups = [Int32](repeating: 0, count: 30)
        #expect(d.computeContentDigest() != grouped.computeContentDigest())
    }

    @Test func streamRoundTripKeepsEveryField() throws {
        var d = toyDataset(count: 12, classes: 3, channels: 3)
        d.groups = (0..<12).map { Int32($0 % 4) }
        d.biasLabels = (0..<12).map { Int32($0 % 5) }
        d.softLabels = (0..<36).map { Float($0) / 7 }
        d.mean = [0.4914, 0.4822, 0.4465]
        d.provenance = ["dataset": "toy", "tool": "test"]
        let sink = MemorySink()
        try d.write(to: sink)
        let back = try Dataset.read(from: StreamReader(bytes: sink.bytes), verifyDigest: true)
        #expect(back == d.withContentDigest())
        // Record names and dtypes as docs/format.md §6.1 lists them.
        let records = try StreamReader(bytes: sink.bytes).readAll()
        #expect(records.map(\.name) == ["images", "labels", "groups", "bias_labels", "soft_labels"])
        #expect(records.map(\.dtype) == [.u8, .i32, .i32, .i32, .f32])
        // Normalised float images survive too.
        var f = d
        f.images = .normalized(d.normalizedImages())
        let sink2 = MemorySink()
        try f.write(to: sink2, kind: .synthetic, options: WriterOptions(level: 6),
                    extraMetadata: ["method": ["name": "dm", "ipc": 4], "name": "not-replaced"])
        let reader = StreamReader(bytes: sink2.bytes)
        #expect(try Dataset.read(from: reader) == f.withContentDigest())
        #expect(reader.streamHeader?.kind == .synthetic)
        #expect(reader.streamHeader?.metadata["method"]?["ipc"]?.intValue == 4)
        #expect(reader.streamHeader?.metadata["name"]?.stringValue == "toy")
    }

    @Test func streamReadRejectsInconsistentDatasets() throws {
        let sink = MemorySink()
        let writer = try StreamWriter(sink: sink, kind: .dataset, metadata: toyDataset().streamMetadata())
        try writer.write(name: "images", shape: [30, 1, 2, 3], values: [UInt8](repeating: 0, count: 180))
        try writer.write(name: "labels", shape: [29], values: [Int32](repeating: 0, count: 29))
        try writer.finish()
        #expect(expectDataError(.badData, containing: ["29 labels for 30 images"]) {
            _ = try Dataset.read(from: StreamReader(bytes: sink.bytes))
        } == nil)
        // A stored digest that does not match the content.
        var d = toyDataset()
        d.contentDigest = "sha256:" + String(repeating: "0", count: 64)
        let sink2 = MemorySink()
        try d.write(to: sink2)
        #expect(expectDataError(.badData, containing: ["digest mismatch"]) {
            _ = try Dataset.read(from: StreamReader(bytes: sink2.bytes), verifyDigest: true)
        } == nil)
    }

    @Test func fetchRequestSelectsClassesByNameAndPerClass() throws {
        let mirror = try #require(sharedDatasetsDirectory())
        var request = FetchRequest(name: "mnist", split: .test, classes: try FetchRequest.parseClassList("7, 1"),
                                   perClass: 20, seed: 5, options: offlineOptions(mirror: mirror))
        let d = try request.run()
        #expect(d.count == 40 && d.classNames == ["7", "1"])
        #expect(d.labels == [Int32](repeating: 0, count: 20) + [Int32](repeating: 1, count: 20))
        #expect(d.provenance["selection"] == "classes=7,1 per_class=20 seed=5")
        #expect(d.provenance["classes"] == "7,1")
        #expect(d.contentDigest == d.computeContentDigest())
        request.firstPerClass = true
        request.classes = nil
        request.options.verify = false   // verified above; saves a debug-build hash
        #expect(try request.run().count == 200)
        #expect(expectDataError(.usage, containing: ["unknown class 'cat'", "0, 1, 2"]) {
            _ = try FetchRequest.classIndices(["cat"], classNames: (0...9).map(String.init))
        } == nil)
        #expect(expectDataError(.usage, containing: ["--classes"]) { _ = try FetchRequest.parseClassList("1,,2") } == nil)
    }
}
