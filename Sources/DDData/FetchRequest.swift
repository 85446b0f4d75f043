/// What dd-fetch was asked for: a dataset split, optionally narrowed to some classes and to N images per
/// class. Lives here (not in the executable) so the selection logic is tested as a library.
public struct FetchRequest: Sendable {
    public var name: String
    public var split: Split
    /// Class indices or class names (case-insensitive), e.g. ["0", "7"] or ["cat", "dog"].
    public var classes: [String]?
    public var perClass: Int?
    /// With `perClass`: take the first N of each class in file order instead of a seeded random draw.
    public var firstPerClass = false
    public var seed: UInt64 = 0
    public var options: FetchOptions

    public init(name: String, split: Split = .train, classes: [String]? = nil, perClass: Int? = nil,
                firstPerClass: Bool = false, seed: UInt64 = 0, options: FetchOptions) {
        self.name = name
        self.split = split
        self.classes = classes
        self.perClass = perClass
        self.firstPerClass = firstPerClass
        self.seed = seed
        self.options = options
    }

    /// Parses a comma-separated class list ("0,3,7" or "cat,dog"); items are trimmed, empty items rejected.
    public static func parseClassList(_ text: String) throws -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw DataError.usage("--classes: expected a comma-separated list of class indices or names, got '\(text)'")
        }
        return items
    }

    /// Resolves class indices or names against `classNames`; an unknown item lists the valid ones.
    public static func classIndices(_ items: [String], classNames: [String]) throws -> [Int] {
        try items.map { item in
            if let index = Int(item) {
                guard index >= 0, index < classNames.count else {
                    throw DataError.usage("--classes: class \(index) outside 0..<\(classNames.count)")
                }
                return index
            }
            if let index = classNames.firstIndex(where: { $0.lowercased() == item.lowercased() }) { return index }
            throw DataError.usage("--classes: unknown class '\(item)'; classes are \(classNames.joined(separator: ", "))")
        }
    }

    /// Fetches, verifies, decodes and selects; the result is validated and has its content digest.
    public func run() throws -> Dataset {
        if let perClass, perClass < 1 { throw DataError.usage("--per-class must be at least 1, got \(perClass)") }
        var dataset = try DatasetLoader.load(name, split: split, options: options)
        var selection: [String] = []
        if let classes {
            let indices = try Self.classIndices(classes, classNames: dataset.classNames)
            dataset = try dataset.subset(classes: indices)
            selection.append("classes=\(indices.map(String.init).joined(separator: ","))")
        }
        if let perClass {
            if firstPerClass {
                dataset = try dataset.firstPerClass(perClass)
                selection.append("per_class=\(perClass) first")
            } else {
                dataset = try dataset.randomPerClass(perClass, seed: seed)
                selection.append("per_class=\(perClass) seed=\(seed)")
            }
        }
        guard !selection.isEmpty else { return dataset }   // the loader already computed the digest
        dataset.provenance["selection"] = selection.joined(separator: " ")
        return dataset.withContentDigest()
    }
}
