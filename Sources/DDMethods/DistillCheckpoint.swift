import DDFormat
import DDNN
import DDTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A resumable snapshot of a run: a dd stream of kind `dd-distill-checkpoint`. Begin metadata: `method`
/// (every hyper-parameter), `source_digest`, `iteration`, `wall_seconds`, `optimizer_step`. Records:
/// `images` f32 S×C×H×W, `optimizer/momentum` f32 S×C×H×W (absent before the first step or without
/// momentum), `rng_state` i64[4] (the xoshiro words as bit patterns), `losses` f64[iteration]. Trajectory
/// matching adds `step_size` f64[3] (α, its momentum buffer, its update count) and, with soft labels,
/// `soft_labels` f32 S×K; metadata `nonfinite_streak` counts the skipped iterations just before it.
public struct DistillCheckpoint {
    public static let kind = StreamKind("dd-distill-checkpoint")

    public var config: JSONValue
    public var sourceDigest: String
    public var images: NDArray
    public var optimizerStep: Int
    public var optimizerTensors: [NDArray]
    public var rng: RandomGenerator
    public var iteration: Int
    public var losses: [Double]
    public var wallSeconds: Double
    public var trajectory: TrajectoryState?
    public var nonFiniteStreak: Int

    init(config: DistillConfig, sourceDigest: String, images: NDArray, optimizerStep: Int, optimizerTensors: [NDArray],
         rng: RandomGenerator, iteration: Int, losses: [Double], wallSeconds: Double,
         trajectory: TrajectoryState? = nil, nonFiniteStreak: Int = 0) {
        self.config = config.metadata
        self.sourceDigest = sourceDigest
        self.images = images
        self.optimizerStep = optimizerStep
        self.optimizerTensors = optimizerTensors
        self.rng = rng
        self.iteration = iteration
        self.losses = losses
        self.wallSeconds = wallSeconds
        self.trajectory = trajectory
        self.nonFiniteStreak = nonFiniteStreak
    }

    /// A checkpoint belongs to a run when the method, every hyper-parameter except the iteration count, and
    /// the source dataset agree; anything else would silently continue a different experiment.
    func checkCompatible(config expected: DistillConfig, sourceDigest expectedDigest: String) throws {
        let storedMethod = config["name"]?.stringValue ?? "?"
        guard storedMethod == expected.method.rawValue else {
            throw DistillError.badData("checkpoint is from method \(storedMethod), this run is \(expected.method.rawValue)")
        }
        guard sourceDigest == expectedDigest else {
            throw DistillError.badData("checkpoint was distilled from dataset \(sourceDigest), the input is \(expectedDigest)")
        }
        var stored = config.objectValue ?? [:]
        for key in DistillConfig.resumeExempt { stored[key] = nil }
        let wanted = expected.resumeIdentity
        let differing = Set(stored.keys).union(wanted.keys).filter { stored[$0] != wanted[$0] }.sorted()
        guard differing.isEmpty else {
            let detail = differing.map { "\($0) \(stored[$0]?.serialized() ?? "-") vs \(wanted[$0]?.serialized() ?? "-")" }
            throw DistillError.badData("checkpoint hyper-parameters differ from this run: \(detail.joined(separator: ", "))")
        }
        guard iteration <= expected.iterations else {
            throw DistillError.usage("checkpoint is at iteration \(iteration), beyond --iterations \(expected.iterations)")
        }
    }

    public func write(to sink: ByteSink) throws {
        let metadata: JSONValue = .object([
            "method": config, "source_digest": .string(sourceDigest), "iteration": .number(Double(iteration)),
            "wall_seconds": .number(wallSeconds), "optimizer_step": .number(Double(optimizerStep)),
            "tool": .string("dd-distill"), "nonfinite_streak": .number(Double(nonFiniteStreak)),
        ])
        let writer = try StreamWriter(sink: sink, kind: Self.kind, metadata: metadata)
        try writer.write(name: "images", shape: images.shape, values: images.scalars)
        for tensor in optimizerTensors {
            try writer.write(name: "optimizer/momentum", shape: tensor.shape, values: tensor.scalars)
        }
        try writer.write(name: "rng_state", shape: [rng.state.count], values: rng.state.map { Int64(bitPattern: $0) })
        try writer.write(name: "losses", shape: [losses.count], values: losses)
        if let trajectory {
            try writer.write(name: "step_size", shape: [3],
                             values: [trajectory.stepSize, trajectory.velocity, Double(trajectory.updates)])
            if let soft = trajectory.softLabels {
                try writer.write(name: "soft_labels", shape: soft.shape, values: soft.scalars)
            }
        }
        try writer.finish()
    }

    /// Writes atomically: a temp file beside the target, fsynced, renamed over it; a crash leaves the previous
    /// checkpoint or the new one, never a torn one.
    public func write(toPath path: String) throws {
        let sink = MemorySink()
        try write(to: sink)
        try FileWriting.atomicWrite(sink.bytes, toPath: path)
    }

    public static func read(from reader: StreamReader) throws -> DistillCheckpoint {
        let header = try reader.readStreamHeader()
        guard header.kind == kind else {
            throw DistillError.badData("not a dd-distill checkpoint (stream kind \(header.kind.rawValue))")
        }
        let meta = header.metadata
        var images: NDArray?, momentum: [NDArray] = [], rngWords: [UInt64] = [], losses: [Double] = []
        var stepSize: [Double]?, softLabels: NDArray?
        while let record = try reader.next() {
            switch record.name {
            case "images", "optimizer/momentum":
                guard record.dtype == .f32, record.shape.count == 4 else {
                    throw DistillError.badData("checkpoint record \(record.name) must be f32 S×C×H×W")
                }
                let array = NDArray(shape: record.shape, scalars: try record.floats())
                if record.name == "images" { images = array } else { momentum.append(array) }
            case "rng_state": rngWords = try record.int64s().map { UInt64(bitPattern: $0) }
            case "losses": losses = try record.doubles()
            case "step_size":
                let values = try record.doubles()
                guard values.count == 3, values[0].isFinite, values[0] > 0, values[1].isFinite,
                      let updates = Int(exactly: values[2]), updates >= 0 else {
                    throw DistillError.badData("checkpoint step_size must be [α > 0, momentum, updates ≥ 0]")
                }
                stepSize = values
            case "soft_labels":
                guard record.dtype == .f32, record.shape.count == 2 else {
                    throw DistillError.badData("checkpoint soft_labels must be f32 S×K")
                }
                softLabels = NDArray(shape: record.shape, scalars: try record.floats())
            default: continue
            }
        }
        guard let images, let config = meta["method"], config.objectValue != nil,
              let digest = meta["source_digest"]?.stringValue, let iteration = meta["iteration"]?.intValue,
              let rng = RandomGenerator(state: rngWords), losses.count == iteration else {
            throw DistillError.badData("checkpoint is incomplete (needs method, source_digest, iteration, images, "
                                       + "rng_state and one loss per iteration)")
        }
        var checkpoint = DistillCheckpoint(config: .defaults(for: .dm, ipc: 1, dataset: ""), sourceDigest: digest,
                                           images: images, optimizerStep: meta["optimizer_step"]?.intValue ?? 0,
                                           optimizerTensors: momentum, rng: rng, iteration: iteration, losses: losses,
                                           wallSeconds: meta["wall_seconds"]?.doubleValue ?? 0)
        checkpoint.config = config
        checkpoint.nonFiniteStreak = max(0, meta["nonfinite_streak"]?.intValue ?? 0)
        checkpoint.trajectory = stepSize.map {
            TrajectoryState(stepSize: $0[0], velocity: $0[1], updates: Int($0[2]), softLabels: softLabels)
        }
        return checkpoint
    }
}

/// Whole-buffer file writes with the durability the long runs need.
enum FileWriting {
    static func atomicWrite(_ bytes: [UInt8], toPath path: String) throws {
        try AtomicFileSink.write(bytes, to: path) { DistillError.io($0.message) }
    }

    static func append(_ bytes: [UInt8], toPath path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DistillError.io("\(path): cannot open for appending: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            try bytes.withUnsafeBytes { try FileDescriptorSink(fileDescriptor: fd).write($0) }
        } catch FormatError.io(_, let code) {
            throw DistillError.io("\(path): write failed: \(String(cString: strerror(code)))")
        }
    }
}
