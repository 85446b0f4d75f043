import DDFormat
import DDNN
import DDTensor
import DDTrain
import Foundation

/// A `TrainingSnapshot` as a dd stream of kind `dd-train-snapshot`: records `parameter/i`, `buffer/i`,
/// `optimizer/i` (f32, their own shapes) and `rng_state` (i64, the generator's words as bit patterns); begin
/// metadata `epoch`, `optimizer_step` and `history` (the epoch statistics as JSON text). Stored uncompressed:
/// it is written once, at an interruption, and read once.
public enum TrainingSnapshotCoding {
    static let kind = StreamKind("dd-train-snapshot")

    public static func encode(_ s: TrainingSnapshot) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let history = String(decoding: try encoder.encode(s.history), as: UTF8.self)
        let sink = MemorySink()
        let writer = try StreamWriter(sink: sink, kind: kind, metadata: [
            "epoch": .number(Double(s.epoch)), "optimizer_step": .number(Double(s.optimizer.step)),
            "history": .string(history),
        ], options: WriterOptions(level: 0))
        for (prefix, arrays) in [("parameter", s.parameters), ("buffer", s.buffers), ("optimizer", s.optimizer.tensors)] {
            for (i, array) in arrays.enumerated() {
                try writer.write(name: "\(prefix)/\(i)", shape: array.shape, values: array.scalars)
            }
        }
        try writer.write(name: "rng_state", shape: [s.rng.state.count], values: s.rng.state.map { Int64(bitPattern: $0) })
        try writer.finish()
        return sink.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> TrainingSnapshot {
        func bad(_ why: String) -> ExpertError { ExpertError(.badData, "resume state: \(why)") }
        let reader = StreamReader(bytes: bytes)
        let header = try reader.requireKind(kind)
        var groups: [String: [(Int, NDArray)]] = [:], words: [UInt64] = []
        while let record = try reader.next() {
            if record.name == "rng_state" { words = try record.int64s().map { UInt64(bitPattern: $0) }; continue }
            let parts = record.name.split(separator: "/")
            guard parts.count == 2, let index = Int(parts[1]), record.dtype == .f32 else { throw bad("unexpected record \(record.name)") }
            groups[String(parts[0]), default: []].append((index, NDArray(shape: record.shape, scalars: try record.floats())))
        }
        func ordered(_ name: String) throws -> [NDArray] {
            let items = (groups[name] ?? []).sorted { $0.0 < $1.0 }
            guard items.map(\.0) == Array(items.indices) else { throw bad("\(name) records are not numbered 0…n−1") }
            return items.map(\.1)
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let epoch = header.metadata["epoch"]?.intValue, let step = header.metadata["optimizer_step"]?.intValue,
              let historyText = header.metadata["history"]?.stringValue,
              let history = try? decoder.decode([EpochStats].self, from: Data(historyText.utf8)),
              let rng = RandomGenerator(state: words) else {
            throw bad("incomplete (needs epoch, optimizer_step, history and rng_state)")
        }
        return TrainingSnapshot(epoch: epoch, parameters: try ordered("parameter"), buffers: try ordered("buffer"),
                                optimizer: OptimizerState(step: step, tensors: try ordered("optimizer")), rng: rng,
                                history: history)
    }
}

/// What an interrupted expert leaves for the re-run that continues it, beside the cache files:
/// `.expert-NNNNN.partial`, its trajectory stream up to the last finished epoch (no end record), and
/// `.expert-NNNNN.resume`, a stream of kind `dd-expert-resume` (begin metadata `cache_key`, `expert`,
/// `epoch`; one u8 record `trainer_state`, the trainer's `saveState` bytes at that epoch).
struct ExpertResumePoint {
    static let kind = StreamKind("dd-expert-resume")

    static func partialName(_ expert: Int) -> String { ".expert-" + ExpertFile.padded(expert, 5) + ".partial" }
    static func resumeName(_ expert: Int) -> String { ".expert-" + ExpertFile.padded(expert, 5) + ".resume" }

    var key: String
    var expert: Int
    var epoch: Int
    var trainerState: [UInt8]

    func write(toPath path: String) throws {
        let sink = MemorySink()
        let writer = try StreamWriter(sink: sink, kind: Self.kind, metadata: [
            "cache_key": .string(key), "expert": .number(Double(expert)), "epoch": .number(Double(epoch)),
        ])
        try writer.write(name: "trainer_state", shape: [trainerState.count], values: trainerState)
        try writer.finish()
        try AtomicFileSink.writeCacheFile(sink.bytes, to: path)
    }

    /// The resume point at `path` if it is one of (key, expert); nil when there is none, an error when it is
    /// unreadable or belongs elsewhere.
    static func read(path: String, key: String, expert: Int, limit: Int) throws -> ExpertResumePoint? {
        guard fileExists(path) else { return nil }
        let reader = StreamReader(bytes: try readSmallFile(path, limit: limit))
        let header = try reader.requireKind(kind)
        guard header.metadata["cache_key"]?.stringValue == key, header.metadata["expert"]?.intValue == expert,
              let epoch = header.metadata["epoch"]?.intValue, epoch >= 1 else {
            throw ExpertError(.badData, "\(path): a resume point of another cache key or expert")
        }
        guard let record = try reader.next(), record.name == "trainer_state" else {
            throw ExpertError(.badData, "\(path): no trainer_state record")
        }
        return ExpertResumePoint(key: key, expert: expert, epoch: epoch, trainerState: try record.uint8s())
    }
}
