import DDFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Naming and the trajectory-stream layout of one expert (docs/format.md §6.3, docs/expert.md).
public enum ExpertFile {
    public static func name(_ expert: Int) -> String { "expert-" + padded(expert, 5) + ".ddt" }
    public static func sidecarName(_ expert: Int) -> String { "expert-" + padded(expert, 5) + ".json" }
    public static func recordName(epoch: Int) -> String { "checkpoint/" + padded(epoch, 4) }

    /// Parses `expert-00042.ddt` → 42.
    public static func index(fromName name: String) -> Int? {
        guard name.hasPrefix("expert-"), name.hasSuffix(".ddt") else { return nil }
        let digits = name.dropFirst(7).dropLast(4)
        guard digits.count >= 5, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Begin-record metadata of expert `expert`.
    static func beginMetadata(configuration c: ExpertConfiguration, key: String, expert: Int,
                              stepsPerEpoch: Int) -> JSONValue {
        [
            "cache_key": .string(key), "expert": .number(Double(expert)),
            "seed": .string(String(ExpertSeed.seed(base: c.baseSeed, expert: expert))),
            "architecture": c.architectureJSON, "parameters": c.layoutJSON,
            "parameter_count": .number(Double(c.parameterCount)), "dataset_digest": .string(c.dataset.digest),
            "test_digest": c.testSet.map { .string($0.digest) } ?? .null,
            "recipe": c.recipe.keyJSON, "steps_per_epoch": .number(Double(stepsPerEpoch)),
            "tool": .string(ExpertConfiguration.toolVersion),
        ]
    }

    static func json(_ x: Double?) -> JSONValue { x.map { .number($0) } ?? .null }

    static func recordMetadata(_ d: EpochDiagnostics) -> JSONValue {
        ["epoch": .number(Double(d.epoch)), "train_loss": json(d.trainLoss), "train_accuracy": json(d.trainAccuracy),
         "test_loss": json(d.testLoss), "test_accuracy": json(d.testAccuracy), "distance_sq": json(d.distanceSquared)]
    }

    static func diagnostics(from meta: JSONValue, epoch: Int) -> EpochDiagnostics {
        EpochDiagnostics(epoch: epoch, trainLoss: meta["train_loss"]?.doubleValue,
                         trainAccuracy: meta["train_accuracy"]?.doubleValue, testLoss: meta["test_loss"]?.doubleValue,
                         testAccuracy: meta["test_accuracy"]?.doubleValue, distanceSquared: meta["distance_sq"]?.doubleValue)
    }
}

/// Writes one expert's trajectory stream record by record as training produces it, into any sink: an
/// `AtomicFileSink` (cache) or stdout (pipe mode).
final class TrajectoryWriter {
    private let writer: StreamWriter
    private let parameterCount: Int
    private var previous: [Float]?
    private(set) var diagnostics: [EpochDiagnostics] = []

    init(sink: ByteSink, metadata: JSONValue, parameterCount: Int, options: WriterOptions) throws {
        writer = try StreamWriter(sink: sink, kind: .trajectory, metadata: metadata, options: options)
        self.parameterCount = parameterCount
    }

    func append(_ checkpoint: EpochCheckpoint) throws {
        guard checkpoint.epoch == diagnostics.count else {
            throw ExpertError(.badData, "trainer reported epoch \(checkpoint.epoch), expected \(diagnostics.count)")
        }
        guard checkpoint.parameters.count == parameterCount else {
            throw ExpertError(.badData, "trainer reported \(checkpoint.parameters.count) parameters, expected \(parameterCount)")
        }
        var distance: Double?
        if let previous {
            var sum = 0.0
            for i in 0..<parameterCount {
                let d = Double(checkpoint.parameters[i]) - Double(previous[i])
                sum += d * d
            }
            distance = sum
        }
        let d = EpochDiagnostics(epoch: checkpoint.epoch, trainLoss: checkpoint.trainLoss,
                                 trainAccuracy: checkpoint.trainAccuracy, testLoss: checkpoint.testLoss,
                                 testAccuracy: checkpoint.testAccuracy, distanceSquared: distance)
        try writer.write(name: ExpertFile.recordName(epoch: checkpoint.epoch), shape: [parameterCount],
                         values: checkpoint.parameters, metadata: ExpertFile.recordMetadata(d))
        diagnostics.append(d)
        previous = checkpoint.parameters
    }

    func finish() throws {
        let last = diagnostics.last
        try writer.finish(metadata: ["epochs": .number(Double(max(0, diagnostics.count - 1))),
                                     "final_train_accuracy": ExpertFile.json(last?.trainAccuracy),
                                     "final_test_accuracy": ExpertFile.json(last?.testAccuracy)])
    }
}

/// The outcome of checking an expert file.
public enum ExpertFileStatus: Equatable, Sendable {
    case missing
    case valid([EpochDiagnostics])
    case corrupt(String)
}

/// Full check of an expert file: every record's CRCs (payloads are skipped, never held), the kind, the
/// cache key and expert index in the begin record, record names, shapes and count, and the end record.
public func verifyExpertFile(path: String, key: String, expert: Int, epochs: Int,
                             parameterCount: Int) -> ExpertFileStatus {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return errno == ENOENT ? .missing : .corrupt("cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let reader = StreamReader(source: FileDescriptorSource(fileDescriptor: fd),
                              limits: ReaderLimits(maxPayloadBytes: UInt64(max(1 << 20, parameterCount * 4))))
    do {
        let header = try reader.requireKind(StreamKind.trajectory)
        let storedKey = header.metadata["cache_key"]?.stringValue ?? "(none)"
        guard storedKey == key else { return .corrupt("cache key \(storedKey) differs from \(key)") }
        guard header.metadata["expert"]?.intValue == expert else {
            return .corrupt("holds expert \(header.metadata["expert"]?.intValue.map(String.init) ?? "?"), expected \(expert)")
        }
        var diagnostics: [EpochDiagnostics] = []
        while let info = try reader.nextInfo() {
            let epoch = diagnostics.count
            guard info.name == ExpertFile.recordName(epoch: epoch), info.dtype == DDFormat.DType.f32, info.shape == [parameterCount] else {
                return .corrupt("record \(epoch) is \(info.name) \(info.dtype.shortName) \(info.shape), expected \(ExpertFile.recordName(epoch: epoch)) f32 [\(parameterCount)]")
            }
            try reader.skipPayload()
            diagnostics.append(ExpertFile.diagnostics(from: info.metadata, epoch: epoch))
        }
        guard reader.segmentCount == 1 else { return .corrupt("holds \(reader.segmentCount) streams, expected 1") }
        guard diagnostics.count == epochs + 1 else {
            return .corrupt("holds \(diagnostics.count) checkpoints, expected \(epochs + 1)")
        }
        return .valid(diagnostics)
    } catch {
        return .corrupt(String(describing: error))
    }
}
