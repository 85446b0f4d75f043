import DDData
import DDFormat
import Foundation

/// Options that look only in `mirror`: no system directories, no cache, no network.
func offlineOptions(mirror: String) -> FetchOptions {
    var options = FetchOptions(mirror: mirror, cacheDirectory: nil, verify: true)
    options.useSystemDirectories = false
    options.allowDownload = false
    return options
}

/// A tiny grayscale u8 dataset: `perClass` images per class (labels cycle), 4×4 pixels, each a distinct
/// pattern with zero pixels (background) and bright ones (strokes, up to 255).
func greyDataset(classes: Int = 10, perClass: Int = 20, seed: UInt64 = 1) -> Dataset {
    var state = seed
    func next() -> UInt8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
    let n = classes * perClass
    var pixels: [UInt8] = []
    for _ in 0..<n {
        for p in 0..<16 { pixels.append(p % 3 == 0 ? 0 : (p == 1 ? 255 : max(1, next()))) }
    }
    return Dataset(name: "toy", images: .u8(pixels), geometry: ImageGeometry(channels: 1, height: 4, width: 4),
                   labels: (0..<n).map { Int32($0 % classes) }, classNames: (0..<classes).map { "c\($0)" },
                   mean: [0.1307], std: [0.3081], provenance: ["dataset": "mnist"])
}

func streamBytes(_ dataset: Dataset) throws -> [UInt8] {
    let sink = MemorySink()
    try dataset.write(to: sink)
    return sink.bytes
}
