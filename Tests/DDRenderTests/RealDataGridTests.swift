import DDData
import DDTestSupport
import Foundation
import Testing
@testable import DDRender

/// The real Fashion-MNIST test split from the shared mirror ($DD_DATA or ../shared/datasets), when present.
func realFashionMNIST() -> Dataset? {
    guard let mirror = sharedDatasetsDirectory(containing: "fashion-mnist") else { return nil }
    var options = FetchOptions(mirror: mirror, cacheDirectory: nil, verify: true)
    options.useSystemDirectories = false
    options.allowDownload = false
    return try? DatasetLoader.load("fashion-mnist", split: .test, options: options)
}

@Suite struct RealDataGridTests {
    /// Loaded once: the trait and the test both need it.
    static let fashion = realFashionMNIST()

    @Test(.enabled(if: fashion != nil, "no Fashion-MNIST mirror"))
    func fashionMNISTCellsHoldTheFirstImagesOfEachClass() throws {
        let dataset = try #require(Self.fashion)
        guard case .u8(let pixels) = dataset.images else { Issue.record("Fashion-MNIST is not u8"); return }
        var options = GridOptions()
        options.scale = 2
        let decoded = try PythonPNG.decode(try GridRenderer.png(dataset, options: options))
        // Geometry as in fashionMNISTGridSizeMatchesAHandComputation: 709×571, label column 138 px.
        #expect(decoded.width == 709 && decoded.height == 571 && decoded.colorType == 0)
        let samples = decoded.samples
        for (cls, column) in [(0, 0), (3, 9), (7, 4), (9, 2)] {
            // The column-th image of class cls in file order, found here without the renderer's help.
            let image = try #require(dataset.labels.indices.filter { dataset.labels[$0] == cls }.dropFirst(column).first)
            let left = 1 + 138 + column * 57, top = 1 + cls * 57
            for y in 0..<56 {
                for x in 0..<56 {
                    let expected = pixels[image * 784 + (y / 2) * 28 + x / 2]
                    guard samples[(top + y) * 709 + left + x] == expected else {
                        Issue.record("class \(cls) column \(column): pixel (\(x), \(y)) differs")
                        return
                    }
                }
            }
        }
    }
}
