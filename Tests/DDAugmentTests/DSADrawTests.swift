import DDTestSupport
import DDAugment
import DDAutograd
import DDTensor
import Foundation
import Testing

/// Strategy parsing, dataset defaults, and the distribution, determinism and replay of parameter draws.
@Suite struct DSADrawTests {
    @Test func parsesReferenceStrategies() throws {
        #expect(try DSAStrategy(parsing: "color_crop_cutout_flip_scale_rotate") == .full)
        #expect(try DSAStrategy(parsing: "color_crop_cutout_scale_rotate") == .noFlip)
        #expect(try DSAStrategy(parsing: "rotate_color").families == [.rotate, .color])
        #expect(try DSAStrategy(parsing: "none").isNone)
        #expect(try DSAStrategy(parsing: " None ").isNone)
        for strategy in [DSAStrategy.full, .noFlip, .none, DSAStrategy(families: [.scale])] {
            #expect(try DSAStrategy(parsing: strategy.description) == strategy)
        }
    }

    @Test func rejectsUnknownEmptyAndDuplicateFamilies() {
        #expect(throws: DSAStrategyError.unknownFamily("translate", strategy: "color_crop_rotate_translate_cutout")) {
            try DSAStrategy(parsing: "color_crop_rotate_translate_cutout")
        }
        #expect(throws: DSAStrategyError.unknownFamily("", strategy: "color__crop")) { try DSAStrategy(parsing: "color__crop") }
        #expect(throws: DSAStrategyError.empty) { try DSAStrategy(parsing: "  ") }
        #expect(throws: DSAStrategyError.duplicateFamily("crop", strategy: "crop_flip_crop")) {
            try DSAStrategy(parsing: "crop_flip_crop")
        }
        let message = DSAStrategyError.unknownFamily("blur", strategy: "color_blur").description
        #expect(message.contains("'blur'") && message.contains("color, crop, cutout, flip, scale, rotate"))
    }

    @Test func digitDatasetsDropFlip() {
        for name in ["MNIST", "mnist", "SVHN", "cmnist", "Colored-MNIST", "mnist/train", "mnist-color-digit/train",
                     "mnist-color-background", "svhn-color-digit/val"] {
            #expect(DSAStrategy.defaultStrategy(forDataset: name) == .noFlip, "\(name)")
        }
        for name in ["FashionMNIST", "fashion-mnist", "CIFAR10", "cifar-100", "fashion-mnist-color-background/train",
                     "cifar10/test", "mnist-fashion"] {
            #expect(DSAStrategy.defaultStrategy(forDataset: name) == .full, "\(name)")
        }
    }

    @Test func sameSeedSameDrawsAndDrawsAdvanceTheStream() {
        let geometry = DSAGeometry(height: 28, width: 28)
        func draws(seed: UInt64) -> [DSAParams] {
            var rng = RandomGenerator(seed: seed)
            return (0..<20).map { k in
                DSA.draw(strategy: .full, batch: k % 2 == 0 ? .siamese : .perSample(3), geometry: geometry, rng: &rng)
            }
        }
        let first = draws(seed: 42)
        #expect(first == draws(seed: 42))
        #expect(first != draws(seed: 43))
        #expect(Set(first.map(\.families)).count > 1)
    }

    /// A kept draw replays the same augmentation, also after an encode/decode round trip (TESLA's second pass).
    @Test func aKeptDrawReplaysExactly() throws {
        var rng = RandomGenerator(seed: 5)
        let params = DSA.draw(strategy: .full, batch: .perSample(2), geometry: DSAGeometry(height: 8, width: 8),
                              mode: .multiple, rng: &rng)
        let images = randomTensor([2, 3, 8, 8], seed: 1)
        let once = DSA.apply(params, to: images).doubles
        #expect(DSA.apply(params, to: images).doubles == once)
        let decoded = try JSONDecoder().decode(DSAParams.self, from: JSONEncoder().encode(params))
        #expect(decoded == params)
        #expect(DSA.apply(decoded, to: images).doubles == once)
        #expect(once != images.doubles)
    }

    @Test func siameseDrawsHoldOneValueAndPerSampleDrawsOnePerImage() {
        var rng = RandomGenerator(seed: 6)
        let geometry = DSAGeometry(height: 32, width: 32)
        let shared = DSA.draw(strategy: .full, batch: .siamese, geometry: geometry, mode: .multiple, rng: &rng)
        #expect(shared.isValid && shared.transforms.allSatisfy { $0.valueCount == 1 })
        let each = DSA.draw(strategy: .full, batch: .perSample(7), geometry: geometry, mode: .multiple, rng: &rng)
        #expect(each.isValid && each.transforms.allSatisfy { $0.valueCount == 7 })
        #expect(!DSAParams(families: [], transforms: [.flip([true])], sampling: .perSample(2), geometry: geometry).isValid)
        #expect(DSA.draw(strategy: .none, batch: .siamese, geometry: geometry, rng: &rng).transforms.isEmpty)
    }

    @Test func modeSPicksOneFamilyUniformlyAndModeMAppliesAllInOrder() {
        var rng = RandomGenerator(seed: 7)
        let geometry = DSAGeometry(height: 28, width: 28)
        var counts: [DSAFamily: Int] = [:]
        let trials = 6000
        for _ in 0..<trials {
            let params = DSA.draw(strategy: .full, batch: .siamese, geometry: geometry, mode: .single, rng: &rng)
            #expect(params.families.count == 1)
            counts[params.families[0], default: 0] += 1
        }
        // Each of 6 families ~1000 times; ±150 is over 5 standard deviations.
        for family in DSAFamily.allCases { #expect(abs((counts[family] ?? 0) - trials / 6) < 150, "\(family)") }
        let noFlip = DSA.draw(strategy: .noFlip, batch: .siamese, geometry: geometry, mode: .multiple, rng: &rng)
        #expect(noFlip.families == [.color, .crop, .cutout, .scale, .rotate])
        let kinds = noFlip.transforms.map { "\($0)".prefix { $0 != "(" } }
        #expect(kinds == ["brightness", "saturation", "contrast", "crop", "cutout", "scale", "rotate"])
    }

    /// The reference constants: ranges and sizes of every drawn number, at 28 and 32 pixels.
    @Test(arguments: [28, 32])
    func drawnNumbersFollowTheReferenceConstants(side: Int) throws {
        var rng = RandomGenerator(seed: UInt64(side))
        let n = 4000
        let params = DSA.draw(strategy: .full, batch: .perSample(n), geometry: DSAGeometry(height: side, width: side),
                              mode: .multiple, rng: &rng)
        for transform in params.transforms {
            switch transform {
            case let .brightness(shift): try checkUniform(shift, -0.5, 0.5)
            case let .saturation(factor): try checkUniform(factor, 0, 2)
            case let .contrast(factor): try checkUniform(factor, 0.5, 1.5)
            case let .crop(rows, columns):
                // int(H·0.125 + 0.5) = 4 at both sizes; every shift in −4…4 occurs.
                #expect(Set(rows) == Set(-4...4) && Set(columns) == Set(-4...4))
            case let .cutout(rows, columns, height, width):
                #expect(height == (side == 28 ? 14 : 16) && width == height)
                #expect(Set(rows) == Set(0...side) && Set(columns) == Set(0...side))
            case let .flip(flags):
                #expect(abs(flags.filter { $0 }.count - n / 2) < 200)
            case let .scale(x, y):
                try checkUniform(x, 1 / 1.2, 1.2); try checkUniform(y, 1 / 1.2, 1.2)
                #expect(x != y)
            case let .rotate(radians):
                try checkUniform(radians, -15 * Double.pi / 180, 15 * Double.pi / 180)
            }
        }
    }

    /// All values in [low, high), spread over the whole interval (mean near the midpoint, both ends reached).
    func checkUniform(_ values: [Double], _ low: Double, _ high: Double,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let span = high - low
        #expect(values.allSatisfy { $0 >= low && $0 < high }, sourceLocation: sourceLocation)
        let mean = values.reduce(0, +) / Double(values.count)
        #expect(abs(mean - (low + high) / 2) < 0.03 * span, sourceLocation: sourceLocation)
        let lowest = try #require(values.min()), highest = try #require(values.max())
        #expect(lowest < low + 0.01 * span && highest > high - 0.01 * span, sourceLocation: sourceLocation)
    }

    /// Non-Siamese training augmentation: draws per sample from the stream, and 'none' is a no-op.
    @Test func augmentDrawsPerSampleAndNoneIsANoOp() {
        let images = randomTensor([3, 1, 28, 28], seed: 2)
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let augmented = DSA.augment(images, strategy: .noFlip, rng: &a)
        let params = DSA.draw(strategy: .noFlip, batch: .perSample(3), geometry: DSAGeometry(height: 28, width: 28), rng: &b)
        #expect(augmented.doubles == DSA.apply(params, to: images).doubles)
        #expect(a == b)
        var c = RandomGenerator(seed: 9)
        #expect(DSA.augment(images, strategy: .none, rng: &c).doubles == images.doubles)
        #expect(c == RandomGenerator(seed: 9))
    }
}

/// Validation of hand-built and decoded draws, and the Siamese convenience.
@Suite struct DSAParamsValidationTests {
    let geometry = DSAGeometry(height: 8, width: 8)

    @Test func outOfRangeOrInconsistentValuesAreInvalid() {
        func valid(_ t: DSATransform) -> Bool {
            DSAParams(families: [], transforms: [t], sampling: .siamese, geometry: geometry).isValid
        }
        #expect(valid(.crop(rows: [8], columns: [-8])))
        #expect(!valid(.crop(rows: [9], columns: [0])))
        #expect(!valid(.crop(rows: [Int.min], columns: [0])))
        #expect(valid(.cutout(centreRows: [8], centreColumns: [0], height: 4, width: 4)))
        #expect(!valid(.cutout(centreRows: [-1], centreColumns: [0], height: 4, width: 4)))
        #expect(!valid(.cutout(centreRows: [0], centreColumns: [0], height: 9, width: 4)))
        #expect(!valid(.rotate(radians: [.nan])))
        #expect(!DSAParams(families: [], transforms: [.scale(x: [1, 1], y: [1])], sampling: .perSample(2), geometry: geometry).isValid)
    }

    @Test func decodingRejectsInvalidDraws() throws {
        let bad = DSAParams(families: [.crop], transforms: [.crop(rows: [1000], columns: [0])], sampling: .siamese, geometry: geometry)
        let data = try JSONEncoder().encode(bad)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DSAParams.self, from: data) }
    }

    @Test func augmentSiameseSharesOneDrawAcrossBatches() {
        let real = randomTensor([5, 3, 8, 8], seed: 1), synthetic = randomTensor([2, 3, 8, 8], seed: 2)
        var rng = RandomGenerator(seed: 3), replay = RandomGenerator(seed: 3)
        let (augmented, params) = DSA.augmentSiamese([real, synthetic], strategy: .full, mode: .multiple, rng: &rng)
        #expect(params.sampling == .siamese && params.families == DSAStrategy.full.families)
        #expect(params == DSA.draw(strategy: .full, batch: .siamese, geometry: geometry, mode: .multiple, rng: &replay))
        #expect(augmented[0].doubles == DSA.apply(params, to: real).doubles)
        #expect(augmented[1].doubles == DSA.apply(params, to: synthetic).doubles)
    }
}
