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
        let partialPath = directory + "/" + ExpertResumePoint.partialName(k)
        let resumePath = directory + "/" + ExpertResumePoint.resumeName(k)
        let epochs = configuration.recipe.epochs
        var (file, writer) = try openExpert(k)
        var start: ExpertResumePoint?
        do {
            start = try continueInterrupted(expert: k, writer: writer, partialPath: partialPath, resumePath: resumePath)
        } catch {
            log("warning: expert \(k): cannot continue its interrupted run (\(error)); starting over")
            file.abandon()
            unlink(partialPath)
            unlink(resumePath)
            (file, writer) = try openExpert(k)
        }
        if let start {
            log("expert \(k): continuing its interrupted run after epoch \(start.epoch) of \(epochs)")
        } else {
            log("expert \(k): training \(epochs) epochs, seed \(ExpertSeed.seed(base: configuration.baseSeed, expert: k))")
        }
        var saveState: (() throws -> [UInt8])?, savedEpoch = 0
        do {
            try trainer.train(seed: ExpertSeed.seed(base: configuration.baseSeed, expert: k), epochs: epochs,
                              resume: start?.trainerState, shouldStop: shouldStop) { checkpoint, save in
                try writer.append(checkpoint)
                if let save { saveState = save; savedEpoch = checkpoint.epoch }
                log("expert \(k): " + describe(writer.diagnostics[writer.diagnostics.count - 1], epochs: epochs))
            }
        } catch {
            file.abandon()
            throw error
        }
        guard writer.diagnostics.count == epochs + 1 else {
            if shouldStop() {
                // Keep what this run finished for the re-run (a run that finished no epoch leaves the
                // previous resume point, if any, as it was).
                if let saveState {
                    try ExpertResumePoint(key: key, expert: k, epoch: savedEpoch, trainerState: try saveState())
                        .write(toPath: resumePath)
                    try file.keep(as: partialPath)
                    log("expert \(k): epochs 0…\(savedEpoch) kept; the same command continues after epoch \(savedEpoch)")
                } else {
                    file.abandon()
                }
                throw interrupted(k)
            }
            file.abandon()
            throw ExpertError(.badData, "expert \(k): the trainer stopped after \(writer.diagnostics.count) of \(epochs + 1) checkpoints")
        }
        try writer.finish()
        try file.commit()
        unlink(partialPath)
        unlink(resumePath)
        try writeSidecar(expert: k, diagnostics: writer.diagnostics, digest: file.digest, bytes: file.byteCount)
        try updateIndex()
        log("expert \(k): wrote \(ExpertFile.name(k)) (\(file.byteCount) bytes)")
    }

    private func openExpert(_ k: Int) throws -> (HashingAtomicFile, TrajectoryWriter) {
        let file = try HashingAtomicFile(path: path(expert: k))
        let writer = try TrajectoryWriter(
            sink: file,
            metadata: ExpertFile.beginMetadata(configuration: configuration, key: key, expert: k,
                                               stepsPerEpoch: configuration.stepsPerEpoch),
            parameterCount: configuration.parameterCount, options: writerOptions)
        return (file, writer)
    }

    /// When expert k was interrupted before: copies its kept checkpoints 0…e into `writer` (the same records
    /// an uninterrupted run writes) and returns the resume point of epoch e; nil when there is none.
    private func continueInterrupted(expert k: Int, writer: TrajectoryWriter, partialPath: String,
                                     resumePath: String) throws -> ExpertResumePoint? {
        let p = configuration.parameterCount
        guard let point = try ExpertResumePoint.read(path: resumePath, key: key, expert: k,
                                                     limit: max(16 << 20, 16 * p + (1 << 20))) else { return nil }
        guard point.epoch < configuration.recipe.epochs else {
            throw ExpertError(.badData, "its resume point is at epoch \(point.epoch) of \(configuration.recipe.epochs)")
        }
        let fd = open(partialPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ExpertError(.badData, "\(ExpertResumePoint.partialName(k)) cannot be opened") }
        defer { close(fd) }
        let reader = StreamReader(source: FileDescriptorSource(fileDescriptor: fd),
                                  limits: ReaderLimits(maxPayloadBytes: UInt64(max(1 << 20, p * 4))))
        let header = try reader.requireKind(StreamKind.trajectory)
        guard header.metadata["cache_key"]?.stringValue == key, header.metadata["expert"]?.intValue == k else {
            throw ExpertError(.badData, "\(ExpertResumePoint.partialName(k)) belongs to another key or expert")
        }
        for epoch in 0...point.epoch {
            guard let info = try reader.nextInfo(), info.name == ExpertFile.recordName(epoch: epoch),
                  info.dtype == DDFormat.DType.f32, info.shape == [p] else {
                throw ExpertError(.badData, "\(ExpertResumePoint.partialName(k)) lacks checkpoint \(epoch)")
            }
            let d = ExpertFile.diagnostics(from: info.metadata, epoch: epoch)
            try writer.append(EpochCheckpoint(epoch: epoch, parameters: try reader.readPayload(as: Float.self),
                                              trainLoss: d.trainLoss, trainAccuracy: d.trainAccuracy,
                                              testLoss: d.testLoss, testAccuracy: d.testAccuracy))
        }
        return point
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
                              epochs: configuration.recipe.epochs, resume: nil, shouldStop: shouldStop) { checkpoint, _ in
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

    /// Keeps the unfinished file under `path` (an interrupted expert's part, for the re-run).
    func keep(as path: String) throws { try file.commit(as: path) }

    func abandon() { file.abandon() }
}
