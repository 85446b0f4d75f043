import DDAutograd
import DDTensor
import Foundation
import Testing

/// Forward values against numpy (golden/conv_groupnorm_pool.py; its printed output is pasted below).
@Suite struct GoldenValueTests {
    static let expected: [Double] = [0.8400252140918183, 1.1758386006135684, 0.6927507883731296, 0.0, 0.08685175885309138, 0.3183584339428071, 0.4554767509949277, 0.35060009413065524, 0.03011828047837447, 0.0, 0.0, 0.007337394771549832, 0.0, 0.0, 2.1634111970465428e-05, 1.1210966234354491, 1.1681672641845782, 0.4414074899336984, 0.7569275163243421, 0.11983741216165704, 0.0, 0.9262455119726327, 1.0093549751446222, 0.9136432385601692, 0.0, 0.15952042012855924, 0.7580202625026748, 0.9500650341366869, 0.29118414798481335, 0.0, 0.6726891348132682, 0.8579506890291753, 0.718036396504786, 0.03383875906707848, 0.0, 0.421966056987859, 0.168582244684105, 1.0961077534840236, 1.2994971651296265, 0.0, 0.0, 0.0, 0.21496231753159084, 0.0, 0.0, 0.0, 0.25478592207250034, 0.5014053249579514, 0.5054753692896862, 0.2909631125211497, 0.0, 0.5691590356565971, 1.301836242030277, 1.1243624694389935]

    func closedForm(_ n: Int, _ f: (Double) -> Double) -> [Double] { (0..<n).map { f(Double($0)) } }

    @Test(arguments: [DType.float64, DType.float32])
    func convGroupNormReluAvgPool(dtype: DType) {
        let x = Tensor(NDArray(shape: [2, 2, 6, 6], doubles: closedForm(144) { sin(0.37 * $0 + 0.1) }).converted(to: dtype))
        let w = Tensor(NDArray(shape: [3, 2, 3, 3], doubles: closedForm(54) { 0.3 * cos(0.11 * $0 + 0.2) }).converted(to: dtype))
        let b = Tensor(NDArray(shape: [3], doubles: closedForm(3) { 0.05 * ($0 - 1) }).converted(to: dtype))
        let gamma = Tensor(NDArray(shape: [3], doubles: closedForm(3) { 1 + 0.1 * $0 }).converted(to: dtype))
        let beta = Tensor(NDArray(shape: [3], doubles: closedForm(3) { -0.02 * $0 }).converted(to: dtype))
        let out = x.conv2d(weight: w, bias: b, stride: 1, padding: 1)
            .groupNorm(groups: 3, weight: gamma, bias: beta).relu().avgPool2d(kernel: 2)
        #expect(out.shape == [2, 3, 3, 3])
        let tolerance = dtype == .float64 ? 1e-12 : 2e-5
        let got = out.doubles
        #expect(got.count == Self.expected.count)
        for (g, e) in zip(got, Self.expected) { #expect(Swift.abs(g - e) <= tolerance, "\(g) vs \(e)") }
    }
}
