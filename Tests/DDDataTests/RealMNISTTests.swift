import Foundation
import DDTestSupport
import Testing
@testable import DDData

@Suite struct RealMNISTTests {
    /// Label histogram of a gzip IDX label file computed by Python's gzip module, independent of our code.
    func pythonHistogram(_ path: String) throws -> [Int] {
        let script = """
        import gzip, sys
        data = gzip.open(sys.argv[1]).read()
        assert data[:4] == bytes([0, 0, 8, 1])
        counts = [0] * 10
        for b in data[8:]: counts[b] += 1
        print(" ".join(map(str, counts)))
        """
        let output = String(decoding: try run("python3", ["-c", script, path]), as: UTF8.self)
        return output.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
    }

    @Test func testSplitParsesVerifiesAndMatchesPython() throws {
        let mirror = try #require(sharedDatasetsDirectory(), "real MNIST not found ($DD_DATA or ../shared/datasets)")
        let dataset = try DatasetLoader.load("mnist", split: .test, options: offlineOptions(mirror: mirror))
        #expect(dataset.count == 10_000)
        #expect(dataset.geometry == ImageGeometry(channels: 1, height: 28, width: 28))
        #expect(dataset.images.elementCount == 10_000 * 784)
        #expect(dataset.provenance["verified"] == "sha256")
        #expect(sourceDigest(dataset, "t10k-images-idx3-ubyte") == "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7")
        let ours = dataset.indicesByClass().map(\.count)
        let theirs = try pythonHistogram(mirror + "/mnist/t10k-labels-idx1-ubyte.gz")
        #expect(theirs.count == 10)
        #expect(ours == theirs)
        #expect(dataset.mean == [0.1307] && dataset.std == [0.3081])
        #expect(dataset.contentDigest == dataset.computeContentDigest())
        #expect(dataset.contentDigest?.hasPrefix("sha256:") == true)
        // Pixels: the first and last image sums, computed by Python.
        let script = """
        import gzip, sys
        data = gzip.open(sys.argv[1]).read()
        print(sum(data[16:16 + 784]), sum(data[-784:]))
        """
        let output = String(decoding: try run("python3", ["-c", script, mirror + "/mnist/t10k-images-idx3-ubyte.gz"]), as: UTF8.self)
        let sums = output.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        guard case .u8(let pixels) = dataset.images else { Issue.record("expected u8 images"); return }
        #expect(sums == [pixels.prefix(784).reduce(0) { $0 + Int($1) }, pixels.suffix(784).reduce(0) { $0 + Int($1) }])
    }
}
