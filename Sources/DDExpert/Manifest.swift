import DDData
import DDFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `DIR/<key>/manifest.json`: the configuration whose hash is the key (reference §4 A–I), written once.
public enum Manifest {
    public static let fileName = "manifest.json"
    public static let indexFileName = "experts.json"

    static func document(_ c: ExpertConfiguration, key: String) -> JSONValue {
        [
            "manifest_version": 1, "key": .string(key), "configuration": c.keyJSON,
            "derived": [
                "steps_per_epoch": .number(Double(c.stepsPerEpoch)),
                "epochs": .number(Double(c.recipe.epochs)),
                "checkpoints_per_expert": .number(Double(c.recipe.epochs + 1)),
                "checkpoint_bytes": .number(Double(c.parameterCount * 4)),
                "expert_file": "expert-NNNNN.ddt: trajectory stream, records checkpoint/0000 (init) … checkpoint/EEEE, f32 [P]",
                "seed_of_expert_k": .string(ExpertSeed.rule),
            ],
            "provenance": [
                "tool": .string(ExpertConfiguration.toolVersion), "float": "f32",
                "determinism": "same key → same bytes on one machine; BLAS summation order may differ across CPUs",
                "note": "creation time and host are deliberately absent: the manifest is identical for every shard",
            ],
        ]
    }

    /// Creates the manifest exclusively, or checks that the one already there holds the same configuration
    /// (concurrent shards race here; `link` lets exactly one win and the others compare).
    static func create(in directory: String, configuration c: ExpertConfiguration, key: String) throws {
        let path = directory + "/" + fileName
        let bytes = document(c, key: key).serializedBytes() + [0x0A]
        if !fileExists(path) {
            let file = try AtomicFileSink.cacheFile(path)
            try bytes.withUnsafeBytes { try file.write($0) }
            if try file.commitExclusive() { return }
        }
        let existing = try readSmallFile(path)
        guard existing == bytes else {
            let stored = (try? JSONValue.parse(existing))?["key"]?.stringValue ?? "unreadable"
            throw ExpertError.badData("\(path): manifest differs from this configuration (stored key \(stored), this run \(key)); remove the directory or choose another --out")
        }
    }

    /// Loads and checks a manifest: its key must be the hash of its configuration.
    public static func load(directory: String) throws -> JSONValue {
        let path = directory + "/" + fileName
        let bytes = try readSmallFile(path)
        let doc: JSONValue
        do { doc = try JSONValue.parse(bytes) } catch { throw ExpertError.badData("\(path): \(error)") }
        guard let key = doc["key"]?.stringValue, let configuration = doc["configuration"] else {
            throw ExpertError.badData("\(path): not an expert-cache manifest (no key or configuration)")
        }
        let computed = SHA256.hexDigest(of: configuration.serializedBytes())
        guard computed == key else {
            throw ExpertError.badData("\(path): manifest key \(key) is not the hash of its configuration (\(computed)): edited or corrupt")
        }
        return doc
    }
}

extension ExpertConfiguration {
    /// SGD steps per epoch with the last partial batch kept (MTT keeps it).
    public var stepsPerEpoch: Int {
        recipe.dropLast ? dataset.count / recipe.batchSize : (dataset.count + recipe.batchSize - 1) / recipe.batchSize
    }

    /// Usage errors before any directory is created or any training starts.
    public func validate() throws {
        do { try recipe.validate() } catch { throw ExpertError.usage("\(error)") }
        guard recipe.epochs >= 1 else { throw ExpertError.usage("--epochs must be at least 1, got \(recipe.epochs)") }
        guard dataset.count > 0 else { throw ExpertError.usage("the training set \(dataset.name) has no images") }
        if let empty = dataset.classCounts.firstIndex(of: 0) {
            throw ExpertError.usage("class \(empty) (\(dataset.classNames[empty])) of \(dataset.name) has no training images")
        }
        if let test = testSet {
            guard test.geometry == dataset.geometry else {
                throw ExpertError.usage("the test set \(test.name) has \(test.geometry) images, the training set \(dataset.geometry)")
            }
            guard test.classNames.count == dataset.classNames.count else {
                throw ExpertError.usage("the test set \(test.name) has \(test.classNames.count) classes, the training set \(dataset.classNames.count)")
            }
        }
    }
}

/// Runs `body` holding an exclusive `flock` on `DIR/.lock`, so shards regenerating the expert index do not
/// interleave their scans and renames.
func withDirectoryLock<T>(_ directory: String, _ body: () throws -> T) throws -> T {
    let fd = open(directory + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return try body() }   // read-only cache: no index update contention to guard
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    defer { flock(fd, LOCK_UN) }
    return try body()
}
