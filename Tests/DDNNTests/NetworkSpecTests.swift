import DDNN
import Testing

@Suite struct NetworkSpecTests {
    @Test func parsesNamesAndPrintsCanonicalForm() throws {
        let cases: [(String, String)] = [
            ("convnet", "convnet"), ("ConvNet-D3-W128-relu-in-avgpool", "convnet"), ("convnet-d4", "convnet-d4"),
            ("convnet-w64", "convnet-w64"), ("convnet-bn", "convnet-bn"), ("convnet-nn", "convnet-nn"),
            ("convnet-in", "convnet"), ("convnet-maxpool-swish-bn-w32-d2", "convnet-d2-w32-swish-bn-maxpool"),
            ("mlp", "mlp"), ("lenet", "lenet"), ("alexnet", "alexnet"), ("alexnet-bn", "alexnet-bn"),
            ("vgg11", "vgg11"), ("vgg11-bn", "vgg11-bn"), ("resnet18", "resnet18"), ("resnet18-bn", "resnet18-bn"),
            ("resnet18-ap-bn", "resnet18-bn-ap"),
        ]
        for (text, canonical) in cases {
            let spec = try NetworkSpec(parsing: text)
            #expect(spec.description == canonical, "\(text)")
            #expect(try NetworkSpec(parsing: spec.description) == spec, "round trip of \(text)")
        }
        let deep = try NetworkSpec(parsing: "convnet-d4-w64-sigmoid-ln-nopool")
        #expect(deep.depth == 4 && deep.width == 64 && deep.activation == .sigmoid)
        #expect(deep.norm == .layer && deep.pooling == .none)
        #expect(try NetworkSpec(parsing: "resnet18-bn") == NetworkSpec(.resnet18, norm: .batch))
    }

    @Test func rejectsUnknownNamesListingValidOnes() {
        for bad in ["convnet3", "resnet50", "", "convnet-d0", "convnet-w", "convnet-bn-bn", "mlp-bn", "lenet-d4",
                    "vgg11-ap", "convnet--bn", "convnet-dx"] {
            do {
                _ = try NetworkSpec(parsing: bad)
                Issue.record("'\(bad)' was accepted")
            } catch let error as NetworkSpecError {
                #expect(error.description.contains("resnet18-bn"), "error for '\(bad)' lists the valid names")
                #expect(error.description.contains("'\(bad)'"))
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}
