public enum Split: String, CaseIterable, Sendable {
    case train, test
}

/// One original distribution file, named as its publisher names it.
public struct SourceFile: Equatable, Sendable {
    /// File name as downloaded, e.g. "train-images-idx3-ubyte.gz".
    public var name: String
    /// SHA-256 (hex) of the decompressed content; nil when no reliable value is known.
    public var sha256: String?
    /// Upper bound on the decompressed size, checked while inflating.
    public var maxBytes: Int

    public init(_ name: String, sha256: String?, maxBytes: Int) {
        self.name = name
        self.sha256 = sha256
        self.maxBytes = maxBytes
    }

    /// The name without a trailing ".gz": what a mirror holding decompressed files calls it.
    public var decompressedName: String {
        name.hasSuffix(".gz") ? String(name.dropLast(3)) : name
    }
}

public enum DatasetLayout: Equatable, Sendable {
    /// MNIST-style: one IDX images file and one IDX labels file per split.
    case idx(images: [Split: SourceFile], labels: [Split: SourceFile])
    /// The CIFAR-10 binary tarball, holding both splits.
    case cifar10Binary(archive: SourceFile)
}

/// Everything dd knows about a dataset it can fetch.
public struct DatasetSpec: Equatable, Sendable {
    public var name: String
    public var aliases: [String]
    public var layout: DatasetLayout
    public var classNames: [String]
    public var geometry: ImageGeometry
    /// Per-channel normalisation (../shared/reference/protocols.md §1); nil: not published, computed from
    /// the fetched split and recorded as such in provenance.
    public var mean: [Float]?
    public var std: [Float]?
    /// URL prefixes tried in order; the file name is appended.
    public var downloadBases: [String]
    /// Directories a system package installs the original files into.
    public var systemDirectories: [String]

    /// The files a split needs, in the order they are read.
    public func files(for split: Split) -> [SourceFile] {
        switch layout {
        case .idx(let images, let labels): return [images[split], labels[split]].compactMap { $0 }
        case .cifar10Binary(let archive): return [archive]
        }
    }
}

public enum DatasetRegistry {
    static func idxLayout(_ digests: [String: String]) -> DatasetLayout {
        func file(_ name: String, _ maxBytes: Int) -> SourceFile {
            SourceFile(name + ".gz", sha256: digests[name], maxBytes: maxBytes)
        }
        return .idx(images: [.train: file("train-images-idx3-ubyte", 64 << 20), .test: file("t10k-images-idx3-ubyte", 16 << 20)],
                    labels: [.train: file("train-labels-idx1-ubyte", 1 << 20), .test: file("t10k-labels-idx1-ubyte", 1 << 20)])
    }

    public static let all: [DatasetSpec] = [
        DatasetSpec(
            name: "mnist", aliases: [],
            layout: idxLayout([
                "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ]),
            classNames: (0...9).map(String.init),
            geometry: ImageGeometry(channels: 1, height: 28, width: 28), mean: [0.1307], std: [0.3081],
            downloadBases: ["http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"],
            systemDirectories: []),
        DatasetSpec(
            name: "fashion-mnist", aliases: ["fmnist", "fashionmnist"],
            layout: idxLayout([
                "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ]),
            classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            geometry: ImageGeometry(channels: 1, height: 28, width: 28), mean: [0.2861], std: [0.3530],
            downloadBases: ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
            systemDirectories: ["/usr/share/datasets/fashion-mnist"]),
        // KMNIST: no SHA-256 of the decompressed files is known reliably (only MD5s of the .gz files,
        // which changed between releases), so it verifies only with --no-verify; nor is a normalisation
        // constant in the project reference, so it is computed from the fetched split.
        DatasetSpec(
            name: "kmnist", aliases: ["kuzushiji-mnist"],
            layout: idxLayout([:]),
            classNames: ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
            geometry: ImageGeometry(channels: 1, height: 28, width: 28), mean: nil, std: nil,
            downloadBases: ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"],
            systemDirectories: []),
        // CIFAR-10: the publisher gives only the MD5 of the .tar.gz; no SHA-256 of the members is known
        // reliably, so it verifies only with --no-verify (the member digests are recorded in provenance).
        DatasetSpec(
            name: "cifar10", aliases: ["cifar-10"],
            layout: .cifar10Binary(archive: SourceFile("cifar-10-binary.tar.gz", sha256: nil, maxBytes: 1 << 30)),
            classNames: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
            geometry: ImageGeometry(channels: 3, height: 32, width: 32),
            mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010],
            downloadBases: ["https://www.cs.toronto.edu/~kriz/"],
            systemDirectories: []),
    ]

    public static var knownNames: [String] { all.map(\.name) }

    /// The dataset called `name` (or one of its aliases, case-insensitive); an unknown name is a usage
    /// error that lists the known ones.
    public static func spec(named name: String) throws -> DatasetSpec {
        let key = name.lowercased()
        if let spec = all.first(where: { $0.name == key || $0.aliases.contains(key) }) { return spec }
        throw DataError.usage("unknown dataset '\(name)'; known: \(knownNames.joined(separator: ", "))")
    }
}
