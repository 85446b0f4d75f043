import DDData
import DDFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The producing side of a cache: decides per expert whether to skip, recompute or make it, writes each
/// expert atomically, and keeps the expert index (`experts.json`) current.
public final class ExpertCacheBuilder {
    public let configuration: ExpertConfiguration
    public let key: String
    /// `ROOT/<key>`.
    public let directory: String
    public var writerOptions = WriterOptions()
    /// One line per event (skip, recompute, epoch, done): stderr under a scheduler is a log file.
    public var log: (String) -> Void = { _ in }

    public init(root: String, configuration: ExpertConfiguration) {
        self.configuration = configuration
        key = configuration.key
        directory = (root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root) + "/" + key
    }

    public func path(expert: Int) -> String { directory + "/" + ExpertFile.name(expert) }

    public func status(expert: Int) -> ExpertFileStatus {
        verifyExpertFile(path: path(expert: expert), key: key, expert: expert, epochs: configuration.recipe.epochs,
                         parameterCount: configuration.parameterCount)
    }

    /// Indices among `experts` with no verifying file (nothing is created or renamed).
    public func missing(_ experts: [Int]) -> [Int] {
        experts.filter { if case .valid = status(expert: $0) { return false } else { return true } }
    }

    /// Creates `ROOT/<key>/` and its manifest (or checks the existing one).
    public func prepare() throws {
        try configuration.validate()
        let root = AtomicFileSink.split(directory).directory
        var info = stat()
        if stat(root, &info) != 0 { try makeDirectory(root) }
        try makeDirectory(directory)
        try Manifest.create(in: directory, configuration: configuration, key: key)
    }

    public struct Summary: Equatable, Sendable {
        public var made: [Int] = []
        public var skipped: [Int] = []
        public var recomputedCorrupt: [Int] = []
    }

    /// Makes every expert of `experts` that does not verify (all of them with `force`). A corrupt file is
    /// renamed aside to `.corrupt` first. When `shouldStop` becomes true the expert in progress is dropped
    /// (its temp file removed) and `ExpertError(.interrupted)` is thrown; finished experts stay.
    @discardableResult
    public func run(experts: [Int], trainer: ExpertTrainer, force: Bool = false,
                    shouldStop: () -> Bool = { false }) throws -> Summary {
        try prepare()
        var summary = Summary()
        for k in experts {
            if shouldStop() { throw interrupted(k) }
            let target = path(expert: k)
            if !force {
                switch status(expert: k) {
                case .valid(let diagnostics):
                    log("expert \(k): \(ExpertFile.name(k)) exists and verifies; skipped")
                    if !fileExists(directory + "/" + ExpertFile.sidecarName(k)) {
                        try writeSidecar(expert: k, diagnostics: diagnostics, digest: nil, bytes: nil)
                        try updateIndex()
                    }
                    summary.skipped.append(k)
                    continue
                case .corrupt(let reason):
                    let aside = target + ".corrupt"
                    if rename(target, aside) != 0 {
                        throw ExpertError.io("\(target): cannot rename aside: \(String(cString: strerror(errno)))")
                    }
                    log("warning: expert \(k): \(ExpertFile.name(k)) is corrupt (\(reason)); moved to \(ExpertFile.name(k)).corrupt, recomputing")
                    summary.recomputedCorrupt.append(k)
                case .missing:
                    break
                }
            }
            try make(expert: k, trainer: trainer, shouldStop: shouldStop)
            summary.made.append(k)
        }
        return summary
    }

    private func interrupted(_ k: Int) -> ExpertError {
        ExpertError(.interrupted, "interrupted before expert \(k) was complete; finished experts are kept, re-run the same command to continue")
    }

    private func make(expert k: Int, trainer: ExpertTrainer, shouldStop: () -> Bool) throws {
        let target = path(expert: k)
        let file = try HashingAtomicFile(path: target)
        let seed = ExpertSeed.seed(base: configuration.baseSeed, expert: k)
        let writer = try TrajectoryWriter(
            sink: file,
            metadata: ExpertFile.beginMetadata(configuration: configuration, key: key, expert: k,
                                               stepsPerEpoch: configuration.stepsPerEpoch),
            parameterCount: configuration.parameterCount, options: writerOptions)
        let epochs = configuration.recipe.epochs
        log("expert \(k): training \(epochs) epochs, seed \(seed)")
        do {
            try trainer.train(seed: seed, epochs: epochs, shouldStop: shouldStop) { checkpoint in
                try writer.append(checkpoint)
                log("expert \(k): " + describe(writer.diagnostics[writer.diagnostics.count - 1], epochs: epochs))
            }
        } catch {
            file.abandon()
            throw error
        }
        guard writer.diagnostics.count == epochs + 1 else {
            file.abandon()
            if shouldStop() { throw interrupted(k) }
            throw ExpertError(.badData, "expert \(k): the trainer stopped after \(writer.diagnostics.count) of \(epochs + 1) checkpoints")
        }
        try writer.finish()
        try file.commit()
        try writeSidecar(expert: k, diagnostics: writer.diagnostics, digest: file.digest, bytes: file.byteCount)
        try updateIndex()
        log("expert \(k): wrote \(ExpertFile.name(k)) (\(file.byteCount) bytes)")
    }

    /// Pipe mode: the selected experts as concatenated trajectory streams on `sink`, each record sent as
    /// soon as its epoch ends; nothing is written to the cache.
    public func stream(experts: [Int], trainer: ExpertTrainer, to sink: ByteSink,
                       shouldStop: () -> Bool = { false }) throws {
        try configuration.validate()
        for k in experts {
            if shouldStop() { throw interrupted(k) }
            let writer = try TrajectoryWriter(
                sink: sink,
                metadata: ExpertFile.beginMetadata(configuration: configuration, key: key, expert: k,
                                                   stepsPerEpoch: configuration.stepsPerEpoch),
                parameterCount: configuration.parameterCount, options: writerOptions)
            try trainer.train(seed: ExpertSeed.seed(base: configuration.baseSeed, expert: k),
                              epochs: configuration.recipe.epochs, shouldStop: shouldStop) { checkpoint in
                try writer.append(checkpoint)
                log("expert \(k): " + describe(writer.diagnostics[writer.diagnostics.count - 1], epochs: configuration.recipe.epochs))
            }
            // An interrupted pipe stream ends without its end record: readers see it as truncated.
            guard writer.diagnostics.count == configuration.recipe.epochs + 1 else { throw interrupted(k) }
            try writer.finish()
        }
    }

    private func writeSidecar(expert k: Int, diagnostics: [EpochDiagnostics], digest: String?, bytes: Int?) throws {
        let doc: JSONValue = [
            "expert": .number(Double(k)), "file": .string(ExpertFile.name(k)),
            "seed": .string(String(ExpertSeed.seed(base: configuration.baseSeed, expert: k))),
            "sha256": digest.map { .string($0) } ?? .null, "bytes": bytes.map { .number(Double($0)) } ?? .null,
            "epochs": .array(diagnostics.map(ExpertFile.recordMetadata)),
        ]
        try AtomicFileSink.writeCacheFile(doc.serializedBytes() + [0x0A], to: directory + "/" + ExpertFile.sidecarName(k))
    }

    /// Regenerates `experts.json` from the sidecars of experts whose file is present, under the directory
    /// lock: the per-epoch curves of every expert in one place (reference §4 F).
    public func updateIndex() throws {
        try withDirectoryLock(directory) {
            var entries: [(Int, JSONValue)] = []
            for name in listDirectory(directory) {
                guard name.hasPrefix("expert-"), name.hasSuffix(".json") else { continue }
                let ddt = String(name.dropLast(5)) + ".ddt"
                guard let k = ExpertFile.index(fromName: ddt), fileExists(directory + "/" + ddt),
                      let doc = try? JSONValue.parse(readSmallFile(directory + "/" + name)) else { continue }
                entries.append((k, doc))
            }
            entries.sort { $0.0 < $1.0 }
            let curves: [String: JSONValue] = Dictionary(uniqueKeysWithValues: entries.map { k, doc in
                (ExpertFile.padded(k, 5), .array((doc["epochs"]?.arrayValue ?? []).map { $0["test_accuracy"] ?? .null }))
            })
            let index: JSONValue = [
                "key": .string(key), "count": .number(Double(entries.count)),
                "experts": .array(entries.map(\.1)), "test_accuracy_by_epoch": .object(curves),
            ]
            try AtomicFileSink.writeCacheFile(index.serializedBytes() + [0x0A], to: directory + "/" + Manifest.indexFileName)
        }
    }
}

func describe(_ d: EpochDiagnostics, epochs: Int) -> String {
    func pct(_ x: Double?) -> String { x.map { String(Double(Int(($0 * 10000).rounded())) / 100) + "%" } ?? "-" }
    func num(_ x: Double?) -> String { x.map { String(Double(Int(($0 * 10000).rounded())) / 10000) } ?? "-" }
    return "epoch \(d.epoch)/\(epochs)  train loss \(num(d.trainLoss)) acc \(pct(d.trainAccuracy))  test acc \(pct(d.testAccuracy))  ‖Δθ‖² \(num(d.distanceSquared))"
}

func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// An atomic file that also computes the SHA-256 and size of what it wrote (recorded in the sidecar).
final class HashingAtomicFile: ByteSink {
    private let file: AtomicFileSink
    private var hasher = SHA256()
    private(set) var byteCount = 0
    private(set) var digest: String?

    init(path: String) throws { file = try AtomicFileSink.cacheFile(path) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
        hasher.update(bytes)
        byteCount += bytes.count
    }

    func commit() throws {
        digest = "sha256:" + hasher.finalizeHex()
        try file.commit()
    }

    func abandon() { file.abandon() }
}
