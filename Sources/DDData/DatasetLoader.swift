#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fetches a registered dataset split from the first place that has it, verifies it and decodes it.
public enum DatasetLoader {
    /// Loads `split` of the dataset called `name` (aliases accepted). The result is validated and carries
    /// provenance (source paths, their SHA-256) and its content digest.
    public static func load(_ name: String, split: Split, options: FetchOptions) throws -> Dataset {
        let spec = try DatasetRegistry.spec(named: name)
        let locator = SourceLocator(options)
        var provenance: [String: String] = ["dataset": spec.name, "split": split.rawValue]
        var dataset: Dataset
        switch spec.layout {
        case .idx(let imageFiles, let labelFiles):
            guard let imageFile = imageFiles[split], let labelFile = labelFiles[split] else {
                throw DataError.usage("\(spec.name) has no \(split.rawValue) split")
            }
            let imagesBytes = try readVerified(imageFile, of: spec, locator: locator, provenance: &provenance)
            let images = try IDX.parseImages(imagesBytes.bytes, file: imagesBytes.path)
            let labelsBytes = try readVerified(labelFile, of: spec, locator: locator, provenance: &provenance)
            let labels = try IDX.parseLabels(labelsBytes.bytes, file: labelsBytes.path)
            guard labels.count == images.count else {
                throw DataError.badData("\(labelsBytes.path): \(labels.count) labels for the \(images.count) images of \(imagesBytes.path)")
            }
            guard images.rows == spec.geometry.height, images.cols == spec.geometry.width else {
                throw DataError.badData("\(imagesBytes.path): images are \(images.rows)×\(images.cols), \(spec.name) expects "
                                        + "\(spec.geometry.height)×\(spec.geometry.width)")
            }
            dataset = Dataset(name: spec.name, images: .u8(images.pixels), geometry: spec.geometry, labels: labels,
                              classNames: spec.classNames, mean: spec.mean ?? [], std: spec.std ?? [])
        case .cifar10Binary(let archiveFile):
            let located = try locator.locate(archiveFile, of: spec)
            let contents = try CIFAR10Binary.read(path: located.path, split: split)
            provenance["source.archive"] = located.path
            for (member, digest) in contents.memberDigests { provenance["sha256.\(member)"] = digest }
            if options.verify {
                // No trustworthy published digest exists for the members (see the registry), so
                // verification cannot succeed; say how to proceed and what was read.
                let listed = contents.memberDigests.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.prefix(16))…" }
                throw DataError.usage("\(located.path): no built-in SHA-256 for the CIFAR-10 members to verify against "
                                      + "(read \(listed.joined(separator: ", "))); re-run with --no-verify")
            }
            if let names = contents.classNames, names.count != spec.classNames.count {
                throw DataError.badData("\(located.path): batches.meta.txt lists \(names.count) classes, expected \(spec.classNames.count)")
            }
            dataset = Dataset(name: spec.name, images: .u8(contents.pixels), geometry: spec.geometry, labels: contents.labels,
                              classNames: contents.classNames ?? spec.classNames, mean: spec.mean ?? [], std: spec.std ?? [])
        }
        if spec.mean == nil || spec.std == nil {
            let (mean, std) = channelStatistics(dataset)
            dataset.mean = mean
            dataset.std = std
            provenance["normalization"] = "computed from this split (no published constant)"
        }
        provenance["verified"] = options.verify ? "sha256" : "no"
        dataset.provenance = provenance
        try dataset.validate()
        return dataset.withContentDigest()
    }

    struct VerifiedBytes {
        var bytes: [UInt8]
        var path: String
    }

    /// Locates, decompresses (bounded) and checks one file against the registry digest.
    static func readVerified(_ file: SourceFile, of spec: DatasetSpec, locator: SourceLocator,
                             provenance: inout [String: String]) throws -> VerifiedBytes {
        let located = try locator.locate(file, of: spec)
        let bytes = try Gzip.readFile(located.path, maxOutput: file.maxBytes)
        let digest = SHA256.hexDigest(of: bytes)
        let key = file.decompressedName
        provenance["source.\(key)"] = located.path
        provenance["sha256.\(key)"] = digest
        if locator.options.verify {
            guard let expected = file.sha256 else {
                throw DataError.usage("\(located.path): no built-in SHA-256 for \(spec.name) \(key) (content is \(digest)); "
                                      + "re-run with --no-verify")
            }
            guard expected == digest else {
                if located.origin == .download { unlink(located.path) }
                throw DataError.badData("\(located.path): SHA-256 mismatch for \(key): expected \(expected), got \(digest)")
            }
        }
        return VerifiedBytes(bytes: bytes, path: located.path)
    }

    /// Per-channel mean and (population) std of pixels scaled to [0,1].
    static func channelStatistics(_ dataset: Dataset) -> ([Float], [Float]) {
        guard case .u8(let pixels) = dataset.images else { return ([], []) }
        let channels = dataset.geometry.channels
        let plane = dataset.geometry.height * dataset.geometry.width
        var sums = [Double](repeating: 0, count: channels)
        var squares = [Double](repeating: 0, count: channels)
        for (i, pixel) in pixels.enumerated() {
            let c = (i / plane) % channels
            let value = Double(pixel) / 255
            sums[c] += value
            squares[c] += value * value
        }
        let n = Double(max(1, pixels.count / channels))
        let mean = sums.map { $0 / n }
        let std = zip(squares, mean).map { max(($0 / n) - $1 * $1, 1e-12).squareRoot() }
        return (mean.map { Float($0) }, std.map { Float($0) })
    }
}
