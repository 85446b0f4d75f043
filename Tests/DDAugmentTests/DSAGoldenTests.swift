import DDTestSupport
import DDAugment
import DDAutograd
import DDTensor
import Foundation
import Testing

/// Forward values of each transform with fixed parameters against numpy (golden/dsa.py, whose printed
/// output is committed as golden/dsa.txt and read here).
@Suite struct DSAGoldenTests {
    static let shape = [2, 3, 6, 7]

    /// The same closed-form input as dsa.py: sin(0.37·k + 0.1) in NCHW order.
    static func input(_ dtype: DType) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(NDArray(shape: shape, doubles: (0..<count).map { sin(0.37 * Double($0) + 0.1) }).converted(to: dtype))
    }

    /// The transforms of each case in dsa.py, with identical numbers.
    static let cases: [String: [DSATransform]] = {
        let brightness = DSATransform.brightness(shift: [0.3, -0.2])
        let saturation = DSATransform.saturation(factor: [1.7, 0.4])
        let contrast = DSATransform.contrast(factor: [1.3, 0.6])
        let crop = DSATransform.crop(rows: [2, -1], columns: [-3, 1])
        let cutout = DSATransform.cutout(centreRows: [1, 6], centreColumns: [0, 4], height: 3, width: 4)
        let flip = DSATransform.flip([true, false])
        let scale = DSATransform.scale(x: [1.15, 0.87], y: [0.9, 1.19])
        let rotate = DSATransform.rotate(radians: [0.2, -0.25])
        return [
            "brightness": [brightness], "saturation": [saturation], "contrast": [contrast], "crop": [crop],
            "cutout": [cutout], "flip": [flip], "scale": [scale], "rotate": [rotate],
            "siamese_rotate": [.rotate(radians: [-0.1])],
            "chain": [brightness, saturation, contrast, crop, cutout, flip, scale, rotate],
        ]
    }()

    static func golden() throws -> [String: [Double]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("golden/dsa.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var table: [String: [Double]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let name = fields.first else { continue }
            table[String(name)] = try fields.dropFirst().map { try #require(Double(String($0))) }
        }
        return table
    }

    @Test func everyGoldenCaseIsCovered() throws {
        #expect(Set(try Self.golden().keys) == Set(Self.cases.keys))
    }

    @Test(arguments: [DType.float64, DType.float32])
    func matchesNumpy(dtype: DType) throws {
        let golden = try Self.golden()
        let geometry = DSAGeometry(height: Self.shape[2], width: Self.shape[3])
        for (name, transforms) in Self.cases.sorted(by: { $0.key < $1.key }) {
            let expected = try #require(golden[name], "no golden line for \(name)")
            let sampling: DSASampling = transforms[0].valueCount == 1 ? .siamese : .perSample(2)
            let params = DSAParams(families: [], transforms: transforms, sampling: sampling, geometry: geometry)
            let out = DSA.apply(params, to: Self.input(dtype))
            #expect(out.shape == Self.shape)
            #expect(out.dtype == dtype)
            let error = maxRelativeError(out.doubles, expected)
            #expect(error <= (dtype == .float64 ? 1e-12 : 1e-5), "\(name) \(dtype): max error \(error)")
        }
    }
}
