import DDTestSupport
import DDAutograd
import DDNN
import DDTensor
import Testing

/// Parameter counts from /work/shared/reference/networks.md (recomputed there by hand from layer shapes).
@Suite struct ParameterCountTests {
    @Test func convNetFamily() throws {
        #expect(try network("convnet").parameterCount == 317_706)
        #expect(try network("convnet", channels: 3, size: 32).parameterCount == 320_010)
        #expect(try network("convnet", channels: 3, size: 32, classes: 100).parameterCount == 504_420)
        #expect(try network("convnet-d4", channels: 3, size: 64, classes: 200).parameterCount == 857_160)
        let cifar: [(String, Int)] = [
            ("convnet-d1", 331_530), ("convnet-d2", 233_610), ("convnet-d4", 452_490),
            ("convnet-w32", 24_714), ("convnet-w256", 1_229_834), ("convnet-nn", 319_242),
            ("convnet-bn", 320_010), ("convnet-gn", 320_010), ("convnet-sigmoid", 320_010),
            ("convnet-nopool", 1_610_250), ("convnet-maxpool", 320_010),
            // LayerNorm γ, β are [128, H, W] at 32², 16², 8²: 320,010 − 768 + 2·128·(1024 + 256 + 64).
            ("convnet-ln", 663_306),
        ]
        for (name, count) in cifar {
            #expect(try network(name, channels: 3, size: 32).parameterCount == count, "\(name)")
        }
    }

    @Test func evaluationNetworks() throws {
        let expected: [(String, mnist: Int, cifar: Int)] = [
            ("mlp", 118_282, 411_146), ("lenet", 61_706, 62_006), ("alexnet", 1_865_802, 1_872_202),
            ("vgg11", 9_229_962, 9_231_114), ("vgg11-bn", 9_229_962, 9_231_114),
            ("resnet18", 11_172_810, 11_173_962), ("resnet18-bn", 11_172_810, 11_173_962),
            ("resnet18-bn-ap", 11_213_770, 11_250_762),
            // AlexNetBN: γ, β for the five convs (128, 192, 256, 192, 192 channels) = 1,920 more.
            ("alexnet-bn", 1_867_722, 1_874_122),
        ]
        for (name, mnist, cifar) in expected {
            #expect(try network(name).parameterCount == mnist, "\(name) MNIST")
            #expect(try network(name, channels: 3, size: 32).parameterCount == cifar, "\(name) CIFAR")
        }
    }

    @Test func convNet3OrderNamesAndShapes() throws {
        let net = try network("convnet")
        let names = net.parameterInfo.map(\.name)
        #expect(names == ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                          "features.4.weight", "features.4.bias", "features.5.weight", "features.5.bias",
                          "features.8.weight", "features.8.bias", "features.9.weight", "features.9.bias",
                          "classifier.weight", "classifier.bias"])
        #expect(net.parameterShapes == [[128, 1, 3, 3], [128], [128], [128], [128, 128, 3, 3], [128], [128], [128],
                                        [128, 128, 3, 3], [128], [128], [128], [10, 2048], [10]])
        #expect(net.embeddingSize == 2048)
        #expect(net.bufferNames.isEmpty)
        #expect(try network("convnet-bn").bufferNames == ["features.1", "features.5", "features.9"])
        let resnet = try network("resnet18")
        #expect(resnet.parameterInfo.prefix(3).map(\.name) == ["conv1.weight", "bn1.weight", "bn1.bias"])
        #expect(resnet.parameterInfo.map(\.name).contains("layer2.0.shortcut.0.weight"))
        #expect(resnet.parameterInfo.suffix(2).map(\.shape) == [[10, 512], [10]])
    }

    @Test func inputTooSmallIsAnError() {
        #expect(throws: NetworkBuildError.self) { try network("convnet-d5", size: 16) }
        #expect(throws: NetworkBuildError.self) { try network("lenet", channels: 3, size: 8) }
        #expect(throws: NetworkBuildError.self) { try network("convnet-w6-gn") }
    }
}

@Suite struct OutputShapeTests {
    @Test func smallNetworksForwardAndEmbed() throws {
        let cases: [(String, channels: Int, size: Int, embedding: Int)] = [
            ("convnet-w8", 1, 28, 8 * 16), ("convnet-w8-d4", 1, 28, 8 * 4), ("convnet-w8-d1-nopool", 3, 32, 8 * 32 * 32),
            ("convnet-w8-bn-maxpool-swish", 3, 32, 8 * 16), ("convnet-w8-ln-leakyrelu", 1, 28, 8 * 16),
            ("convnet-w8-gn-sigmoid", 3, 32, 8 * 16), ("convnet-w8-nn", 1, 28, 8 * 16),
            ("mlp", 1, 28, 128), ("lenet", 1, 28, 84), ("lenet", 3, 32, 84),
        ]
        for (name, c, size, embedding) in cases {
            let net = try network(name, channels: c, size: size)
            let params = net.initialParameters(seed: 1)
            let x = randomTensor([3, c, size, size], seed: 2, dtype: .float32)
            #expect(net.embed(x, parameters: params).shape == [3, embedding], "\(name)")
            #expect(net.embeddingSize == embedding, "\(name)")
            let logits = net.forward(x, parameters: params)
            #expect(logits.shape == [3, 10], "\(name)")
            #expect(logits.scalars.allSatisfy { $0.isFinite }, "\(name)")
        }
    }

    /// Without a graph, norm + ReLU runs as one fused sweep (`groupNormReLU`); it must give exactly what the
    /// recorded path (group norm, then ReLU) gives, for instance and group norm, and leave other nets alone.
    @Test func fusedNormReLUMatchesTheRecordedPath() throws {
        for (name, c) in [("convnet-w8", 1), ("convnet-w8-gn", 3), ("convnet-w8-ln-leakyrelu", 1), ("convnet-w8-bn", 3)] {
            let net = try network(name, channels: c, size: 28)
            let params = net.initialParameters(seed: 4)
            let x = randomTensor([3, c, 28, 28], seed: 5, dtype: .float32)
            let recorded = net.embed(x, parameters: params).scalars
            let fused = withNoGrad { net.embed(x, parameters: params) }.scalars
            #expect(recorded == fused, "\(name)")
            #expect(recorded.contains { $0 == 0 } || name.contains("leakyrelu") || name.contains("bn"), "\(name): ReLU had nothing to clamp")
        }
    }

    /// The large evaluation networks with zero weights (the shapes, not the values, are under test).
    @Test(arguments: [("alexnet", 3072), ("vgg11-bn", 512), ("resnet18", 512), ("resnet18-bn-ap", 512 * 9)])
    func largeNetworksOnMNISTGeometry(name: String, embedding: Int) throws {
        let net = try network(name)
        #expect(net.embeddingSize == embedding)
        let x = randomTensor([2, 1, 28, 28], seed: 3, dtype: .float32)
        let logits = withNoGrad { net.forward(x, parameters: zeroParameters(net)) }
        #expect(logits.shape == [2, 10])
    }
}

@Suite struct InitialisationTests {
    /// Bounds b = 1/√fan_in from the reference's table for ConvNet-3 on MNIST.
    @Test func convNet3BoundsFromReference() throws {
        let net = try network("convnet")
        let params = net.initialParameters(seed: 7)
        let bounds: [Double?] = [0.33333, 0.33333, nil, nil, 0.029463, 0.029463, nil, nil,
                                 0.029463, 0.029463, nil, nil, 0.022097, 0.022097]
        for (i, (p, bound)) in zip(params, bounds).enumerated() {
            #expect(p.requiresGrad)
            let values = p.doubles
            if let bound {
                let largest = values.map(Swift.abs).max() ?? 0
                #expect(largest <= bound + 1e-5, "parameter \(i) exceeds its bound")
                #expect(largest >= 0.8 * bound, "parameter \(i) does not fill U(−b, b)")
                let mean = values.reduce(0, +) / Double(values.count)
                #expect(Swift.abs(mean) < 0.25 * bound, "parameter \(i) is not centred")
            } else {
                let expected = i % 4 == 2 ? 1.0 : 0.0  // GroupNorm γ = 1, β = 0
                #expect(values.allSatisfy { $0 == expected }, "norm parameter \(i)")
            }
        }
    }

    @Test func sameSeedSameParametersDifferentSeedDifferent() throws {
        let net = try network("convnet-w16")
        let a = net.initialParameters(seed: 11).map(\.scalars)
        let b = net.initialParameters(seed: 11).map(\.scalars)
        let c = net.initialParameters(seed: 12).map(\.scalars)
        #expect(a == b)
        #expect(a[0] != c[0] && a[12] != c[12])
        let double = net.initialParameters(seed: 11, dtype: .float64)
        #expect(double[0].dtype == .float64)
        #expect(maxDifference(double[0].doubles, a[0].map(Double.init)) < 1e-7)
    }
}
