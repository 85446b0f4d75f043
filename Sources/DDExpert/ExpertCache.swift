import DDFormat
import DDNN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry of a cache's parameter layout table.
public struct ParameterSlot: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var count: Int
}

/// What a scan of a cache found. Readers go on with `valid` and report the rest (reference §5.4.5).
public struct ExpertListing: Equatable, Sendable {
    public var valid: [Int] = []
    /// Indices below the largest present one (or below `expected`) with no file.
    public var missing: [Int] = []
    public var corrupt: [(index: Int, reason: String)] = []

    public static func == (a: ExpertListing, b: ExpertListing) -> Bool {
        a.valid == b.valid && a.missing == b.missing && a.corrupt.map(\.index) == b.corrupt.map(\.index)
            && a.corrupt.map(\.reason) == b.corrupt.map(\.reason)
    }

    /// "12 experts; missing 3, 7-9; corrupt 5 (…)": one line for a log.
    public var summary: String {
        var text = "\(valid.count) expert\(valid.count == 1 ? "" : "s")"
        if !missing.isEmpty { text += "; missing \(ranges(missing))" }
        for c in corrupt { text += "; corrupt \(c.index) (\(c.reason))" }
        return text
    }
}

/// Compresses sorted indices into "0-3, 7, 9-10".
public func ranges(_ indices: [Int]) -> String {
    var parts: [String] = []
    var i = 0
    while i < indices.count {
        var j = i
        while j + 1 < indices.count && indices[j + 1] == indices[j] + 1 { j += 1 }
        parts.append(i == j ? "\(indices[i])" : "\(indices[i])-\(indices[j])")
        i = j + 1
    }
    return parts.joined(separator: ", ")
}

/// The reading side of an expert cache, for trajectory-matching distillers: the manifest, the experts
/// present, key checks, and checkpoint s and s+M of expert k without holding the rest of the file.
public struct ExpertCache: Sendable {
    /// `ROOT/<key>`.
    public let directory: String
    public let key: String
    public let manifest: JSONValue
    public let datasetDigest: String
    /// Canonical network spec string (`NetworkSpec.description`).
    public let network: String
    public let epochs: Int
    public let stepsPerEpoch: Int
    public let parameterCount: Int
    public let layout: [ParameterSlot]

    /// Opens `directory` (the `ROOT/<key>` folder holding manifest.json); its key must hash its content.
    public init(directory: String) throws {
        let doc = try Manifest.load(directory: directory)
        let c = doc["configuration"] ?? .null
        let path = directory + "/" + Manifest.fileName
        guard let key = doc["key"]?.stringValue,
              let digest = c["dataset"]?["content_digest"]?.stringValue,
              let spec = c["architecture"]?["spec"]?.stringValue,
              let epochs = doc["derived"]?["epochs"]?.intValue, epochs >= 0,
              let steps = doc["derived"]?["steps_per_epoch"]?.intValue,
              let slots = c["parameters"]?.arrayValue else {
            throw ExpertError.badData("\(path): manifest lacks dataset digest, architecture, epochs or parameter layout")
        }
        var layout: [ParameterSlot] = []
        var offset = 0
        for slot in slots {
            guard let name = slot["name"]?.stringValue, let shape = slot["shape"]?.arrayValue?.compactMap(\.intValue),
                  let count = slot["count"]?.intValue, slot["offset"]?.intValue == offset,
                  count >= 0, shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue }) == count,
                  count <= 1 << 31 else {
                throw ExpertError.badData("\(path): malformed parameter layout entry \(layout.count)")
            }
            layout.append(ParameterSlot(name: name, shape: shape, offset: offset, count: count))
            offset += count
        }
        self.directory = directory
        self.key = key
        manifest = doc
        datasetDigest = digest
        network = spec
        self.epochs = epochs
        stepsPerEpoch = steps
        parameterCount = offset
        self.layout = layout
    }

    /// The keys (subdirectories with a manifest) under a cache root.
    public static func keys(root: String) -> [String] {
        listDirectory(root).filter { fileExists(root + "/" + $0 + "/" + Manifest.fileName) }
    }

    /// Refuses a cache made from another dataset or network than the distillation's.
    public func check(datasetDigest expectedDigest: String, network expectedNetwork: NetworkSpec) throws {
        let expected = expectedNetwork.description
        guard datasetDigest == expectedDigest, network == expected else {
            throw ExpertError.badData("expert cache \(key) does not match this distillation: the cache was trained on dataset \(datasetDigest) with \(network), the distillation uses dataset \(expectedDigest) with \(expected)")
        }
    }

    /// Refuses a cache whose key differs from the key of the configuration the caller expects.
    public func check(configuration: ExpertConfiguration) throws {
        let expected = configuration.key
        guard expected == key else {
            throw ExpertError.badData("expert cache key mismatch: the cache in \(directory) has key \(key) (dataset \(datasetDigest), \(network), \(epochs) epochs); expected key \(expected) (dataset \(configuration.dataset.digest), \(configuration.network.description), \(configuration.recipe.epochs) epochs)")
        }
    }

    public func path(expert: Int) -> String { directory + "/" + ExpertFile.name(expert) }

    /// Scans the expert files. With `verify`, every file is read through (CRCs, counts, end record: a few
    /// ms per MB); without, only the presence of well-named files is checked.
    public func scan(expected: Int? = nil, verify: Bool = true) -> ExpertListing {
        var listing = ExpertListing()
        let present = Set(listDirectory(directory).compactMap(ExpertFile.index(fromName:)))
        for k in present.sorted() {
            guard verify else { listing.valid.append(k); continue }
            switch verifyExpertFile(path: path(expert: k), key: key, expert: k, epochs: epochs, parameterCount: parameterCount) {
            case .valid: listing.valid.append(k)
            case .corrupt(let reason): listing.corrupt.append((k, reason))
            case .missing: listing.missing.append(k)
            }
        }
        let upper = max(expected ?? 0, (present.max() ?? -1) + 1)
        listing.missing = (0..<upper).filter { !present.contains($0) } + listing.missing
        listing.missing.sort()
        return listing
    }

    /// Checkpoints `epochs` of expert `k` (each P floats, in the order asked), reading only those payloads:
    /// the other records are skipped with their CRCs checked, so memory is one checkpoint per request.
    public func loadCheckpoints(expert k: Int, epochs wanted: [Int]) throws -> [[Float]] {
        for e in wanted where !(0...epochs).contains(e) {
            throw ExpertError.usage("epoch \(e) is outside the cache's checkpoints 0…\(epochs)")
        }
        let path = path(expert: k)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw ExpertError(code == ENOENT ? .missing : .io, "\(path): cannot open: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        let reader = StreamReader(source: FileDescriptorSource(fileDescriptor: fd),
                                  limits: ReaderLimits(maxPayloadBytes: UInt64(max(1 << 20, parameterCount * 4))))
        var found: [Int: [Float]] = [:]
        let last = wanted.max() ?? -1
        do {
            let header = try reader.requireKind(StreamKind.trajectory)
            guard header.metadata["cache_key"]?.stringValue == key, header.metadata["expert"]?.intValue == k else {
                throw ExpertError.badData("\(path): belongs to cache \(header.metadata["cache_key"]?.stringValue ?? "?") expert \(header.metadata["expert"]?.intValue ?? -1), not \(key) expert \(k)")
            }
            var epoch = 0
            while epoch <= last, let info = try reader.nextInfo() {
                guard info.name == ExpertFile.recordName(epoch: epoch), info.dtype == DDFormat.DType.f32, info.shape == [parameterCount] else {
                    throw ExpertError.badData("\(path): record \(epoch) is \(info.name) \(info.shape), expected \(ExpertFile.recordName(epoch: epoch)) [\(parameterCount)]")
                }
                if wanted.contains(epoch) { found[epoch] = try reader.readPayload(as: Float.self) } else { try reader.skipPayload() }
                epoch += 1
            }
        } catch let error as ExpertError {
            throw error
        } catch {
            throw ExpertError.badData("\(path): \(error)")
        }
        return try wanted.map { e in
            guard let v = found[e] else { throw ExpertError.badData("\(path): ends before checkpoint \(e)") }
            return v
        }
    }

    /// Per-epoch diagnostics of every expert, from `experts.json` (empty when absent).
    public func diagnostics() -> [Int: [EpochDiagnostics]] {
        guard let bytes = try? readSmallFile(directory + "/" + Manifest.indexFileName),
              let doc = try? JSONValue.parse(bytes), let experts = doc["experts"]?.arrayValue else { return [:] }
        var result: [Int: [EpochDiagnostics]] = [:]
        for e in experts {
            guard let k = e["expert"]?.intValue, let epochs = e["epochs"]?.arrayValue else { continue }
            result[k] = epochs.enumerated().map { ExpertFile.diagnostics(from: $1, epoch: $0) }
        }
        return result
    }
}
