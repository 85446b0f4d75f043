import DDExpert
import DDNN
import Foundation

/// Finds and checks the expert cache of a trajectory-matching run.
enum ExpertSource {
    /// `path` is a key directory (holds manifest.json) or a cache root: then the one key whose dataset
    /// digest and network match the run is used, and a root with none or several is an error listing its keys.
    static func open(_ path: String, datasetDigest: String, network: NetworkSpec) throws -> ExpertCache {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DistillError.noInput("--experts \(path): no such directory (make experts with dd-expert)")
        }
        let root = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if FileManager.default.fileExists(atPath: root + "/" + Manifest.fileName) {
            let cache = try mapped { try ExpertCache(directory: root) }
            try mapped { try cache.check(datasetDigest: datasetDigest, network: network) }
            return cache
        }
        let keys = ExpertCache.keys(root: root).sorted()
        guard !keys.isEmpty else {
            throw DistillError.noInput("--experts \(path): no expert cache here (neither manifest.json nor <key>/manifest.json)")
        }
        var matching: [ExpertCache] = [], described: [String] = []
        for key in keys {
            guard let cache = try? ExpertCache(directory: root + "/" + key) else {
                described.append("\(key.prefix(12)) (unreadable manifest)")
                continue
            }
            described.append("\(key.prefix(12)) (dataset \(short(cache.datasetDigest)), \(cache.network), \(cache.epochs) epochs)")
            if cache.datasetDigest == datasetDigest && cache.network == network.description { matching.append(cache) }
        }
        if matching.count == 1 { return matching[0] }
        if matching.isEmpty {
            throw DistillError.badData("--experts \(path): no cache for dataset \(short(datasetDigest)) with \(network); "
                                       + "present: \(described.joined(separator: "; "))")
        }
        throw DistillError.usage("--experts \(path): \(matching.count) caches match this dataset and network ("
                                 + matching.map { "\($0.key.prefix(12)), \($0.epochs) epochs" }.joined(separator: "; ")
                                 + "); pass the key directory")
    }

    /// "sha256:0123456789ab": enough of a digest to tell caches apart in a message.
    static func short(_ digest: String) -> String {
        let hex = digest.hasPrefix("sha256:") ? digest.dropFirst(7) : Substring(digest)
        return "sha256:" + hex.prefix(12)
    }

    /// Runs a DDExpert call, turning its errors into distillation errors of the same class.
    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExpertError {
            switch error.kind {
            case .usage: throw DistillError.usage(error.message)
            case .missing: throw DistillError.noInput(error.message)
            case .io: throw DistillError.io(error.message)
            default: throw DistillError.badData(error.message)
            }
        }
    }
}
