import Foundation
import DDTestSupport
import Testing
@testable import DDData

@Suite struct SourceLocatorTests {
    @Test func unknownNameListsKnownOnes() {
        #expect(expectDataError(.usage, containing: ["unknown dataset 'imagenet'", "mnist", "fashion-mnist", "kmnist", "cifar10"]) {
            _ = try DatasetRegistry.spec(named: "imagenet")
        } == nil)
        #expect((try? DatasetRegistry.spec(named: "FMNIST"))?.name == "fashion-mnist")
    }

    @Test func missingMirrorListsEveryPlaceTried() throws {
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        var options = offlineOptions(mirror: root + "/absent")
        options.cacheDirectory = root + "/cache"
        options.allowDownload = true
        options.downloadBasesOverride = ["file://\(root)/nowhere/"]
        let error = expectDataError(.missingInput, containing: [
            "mnist: t10k-images-idx3-ubyte.gz not found",
            root + "/absent/mnist/t10k-images-idx3-ubyte{.gz,}",
            root + "/cache/mnist/t10k-images-idx3-ubyte{.gz,}",
            "file://\(root)/nowhere/t10k-images-idx3-ubyte.gz",
        ]) {
            _ = try DatasetLoader.load("mnist", split: .test, options: options)
        }
        #expect(error == nil, "\(String(describing: error))")
        // No partial download is left in the cache.
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: root + "/cache/mnist")) ?? []
        #expect(cached.isEmpty)
    }

    @Test func systemDirectoryIsTriedForFashionMNIST() {
        let spec = try? DatasetRegistry.spec(named: "fashion-mnist")
        #expect(spec?.systemDirectories == ["/usr/share/datasets/fashion-mnist"])
        var options = offlineOptions(mirror: "/nonexistent-mirror")
        options.useSystemDirectories = true
        let error = expectDataError(.missingInput, containing: ["/usr/share/datasets/fashion-mnist"]) {
            // A name the system directory cannot hold proves it was on the list tried.
            _ = try SourceLocator(options).locate(SourceFile("no-such-file.gz", sha256: nil, maxBytes: 1), of: spec!)
        }
        #expect(error == nil)
    }

    /// Downloads through curl from a file:// "server" into the cache, then finds it there.
    @Test func downloadsIntoTheCacheAtomically() throws {
        let mirror = try #require(sharedDatasetsDirectory())
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        var options = FetchOptions(mirror: nil, cacheDirectory: root + "/cache")
        options.useSystemDirectories = false
        options.downloadBasesOverride = ["file://\(root)/missing/", "file://\(mirror)/mnist/"]
        let spec = try DatasetRegistry.spec(named: "mnist")
        let file = spec.files(for: .test)[1]
        let located = try SourceLocator(options).locate(file, of: spec)
        #expect(located.origin == .download)
        #expect(located.path == root + "/cache/mnist/t10k-labels-idx1-ubyte.gz")
        #expect(try readFileBytes(located.path) == readFileBytes(mirror + "/mnist/t10k-labels-idx1-ubyte.gz"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/cache/mnist") == ["t10k-labels-idx1-ubyte.gz"])
        options.allowDownload = false
        #expect(try SourceLocator(options).locate(file, of: spec).origin == .cache)
    }

    @Test func checksumMismatchNamesFileExpectedAndGot() throws {
        let mirror = try #require(sharedDatasetsDirectory())
        let root = try makeTempDirectory()
        defer { cleanUp(root) }
        try FileManager.default.createDirectory(atPath: root + "/mnist", withIntermediateDirectories: true)
        // A decompressed copy with one pixel changed: still a valid IDX file, but not MNIST.
        var images = try Gzip.readFile(mirror + "/mnist/t10k-images-idx3-ubyte.gz", maxOutput: 1 << 24)
        images[5000] ^= 1
        let modified = root + "/mnist/t10k-images-idx3-ubyte"
        try writeFile(modified, images)
        try FileManager.default.copyItem(atPath: mirror + "/mnist/t10k-labels-idx1-ubyte.gz", toPath: root + "/mnist/t10k-labels-idx1-ubyte.gz")
        let got = SHA256.hexDigest(of: images)
        let error = expectDataError(.badData, containing: [modified, "SHA-256 mismatch",
                                                           "expected 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                                                           "got \(got)"]) {
            _ = try DatasetLoader.load("mnist", split: .test, options: offlineOptions(mirror: root))
        }
        #expect(error == nil, "\(String(describing: error))")
        // --no-verify accepts it and records the actual digest.
        let dataset = try DatasetLoader.load("mnist", split: .test, options: offlineOptions(mirror: root, verify: false))
        #expect(sourceDigest(dataset, "t10k-images-idx3-ubyte") == got)
    }

    @Test func environmentDefaults() {
        let a = FetchOptions.standard(from: nil, verify: true, environment: ["DD_DATA": "/m", "XDG_CACHE_HOME": "/x", "HOME": "/h"])
        #expect(a.mirror == "/m" && a.cacheDirectory == "/x/dd")
        let b = FetchOptions.standard(from: "/f", verify: false, environment: ["DD_DATA": "/m", "HOME": "/h"])
        #expect(b.mirror == "/f" && b.cacheDirectory == "/h/.cache/dd" && !b.verify)
    }
}
