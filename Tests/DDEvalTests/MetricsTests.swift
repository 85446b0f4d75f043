import DDData
import DDFormat
import DDTrain
import Foundation
import Testing
@testable import DDEval

@Suite struct MetricsTests {
    @Test func meanStdIsThePopulationStd() {
        let s = MeanStd([0.90, 0.92, 0.94, 0.96])
        #expect(abs(s.mean - 0.93) < 1e-12)
        // ddof 0: sqrt(((0.03)² + (0.01)² + (0.01)² + (0.03)²) / 4) = sqrt(0.0005)
        #expect(abs(s.std - 0.0005.squareRoot()) < 1e-12)
        #expect(MeanStd([0.5]).std == 0)
        #expect(MeanStd([]).mean.isNaN)
    }

    @Test func biasMetricsOnAHandComputedGrid() throws {
        // 2 classes × 2 colours. Cells (class, colour) with (correct/total):
        //   (0,0) 3/4 = 0.75 aligned   (0,1) 1/2 = 0.5 conflicting
        //   (1,0) 0/2 = 0.0 conflicting (1,1) 2/2 = 1.0 aligned
        var labels: [Int] = [], bias: [Int] = [], predictions: [Int] = []
        func add(_ y: Int, _ b: Int, right: Int, wrong: Int) {
            for _ in 0..<right { labels.append(y); bias.append(b); predictions.append(y) }
            for _ in 0..<wrong { labels.append(y); bias.append(b); predictions.append(1 - y) }
        }
        add(0, 0, right: 3, wrong: 1); add(0, 1, right: 1, wrong: 1)
        add(1, 0, right: 0, wrong: 2); add(1, 1, right: 2, wrong: 0)
        let counts = ClassificationCounts(labels: labels, predictions: predictions, classCount: 2, biasLabels: bias)
        let m = try #require(BiasMetrics(counts))
        #expect(m.alignedAccuracy == (0.75 + 1.0) / 2)
        #expect(m.conflictingAccuracy == (0.5 + 0.0) / 2)
        #expect(m.groupBalancedAccuracy == (0.75 + 0.5 + 0.0 + 1.0) / 4)
        #expect(m.worstGroupAccuracy == 0)              // no group labels: worst (class, colour) cell
        // Per class spread over colours: class 0: 0.75 − 0.5 = 0.25; class 1: 1.0 − 0.0 = 1.0.
        #expect(abs(m.deoMax! - 100) < 1e-9)
        #expect(abs(m.deoMean! - 62.5) < 1e-9)
    }

    @Test func worstGroupUsesGroupLabelsWhenPresent() throws {
        let counts = ClassificationCounts(labels: [0, 0, 1, 1, 1], predictions: [0, 1, 1, 1, 0], classCount: 2,
                                          groups: [5, 5, 7, 7, 7])
        let m = try #require(BiasMetrics(counts))
        #expect(m.groupAccuracy == [5: 0.5, 7: 2.0 / 3])
        #expect(m.worstGroupAccuracy == 0.5)
        #expect(m.deoMax == nil && m.alignedAccuracy == nil)
        #expect(BiasMetrics(ClassificationCounts(labels: [0], predictions: [0], classCount: 1)) == nil)
    }

    @Test func ddRankingFormulas() {
        #expect(abs(DDRanking.improvementOverRandom(synthetic: 0.97, random: 0.95) - 0.02) < 1e-12)
        #expect(abs(DDRanking.hardLabelRecovery(fullData: 0.995, synthetic: 0.97) - 0.025) < 1e-12)
        let r = RankingScores(synthetic: 0.9, random: 0.8, fullData: nil)
        #expect(abs(r.ior - 0.1) < 1e-12 && r.hlr == nil)
    }
}

@Suite struct InputTests {
    func dataset(classes: Int = 3, perClass: [Int] = [2, 2, 2], side: Int = 4, name: String = "toy") -> Dataset {
        var labels: [Int32] = []
        for (c, n) in perClass.enumerated() { labels += [Int32](repeating: Int32(c), count: n) }
        let pixels = (0..<(labels.count * side * side)).map { UInt8($0 % 251) }
        return Dataset(name: name, images: .u8(pixels), geometry: ImageGeometry(channels: 1, height: side, width: side),
                       labels: labels, classNames: (0..<classes).map { "c\($0)" }, mean: [0.5], std: [0.25])
    }

    @Test func testGeometryAndClassCountMustMatchTrain() {
        let train = dataset()
        #expect(throws: EvalInputError.self) { try EvalInputs.checkCompatible(train: train, test: dataset(side: 5)) }
        #expect(throws: EvalInputError.self) {
            try EvalInputs.checkCompatible(train: train, test: dataset(classes: 4, perClass: [1, 1, 1, 1]))
        }
        #expect(throws: Never.self) { try EvalInputs.checkCompatible(train: train, test: dataset(perClass: [1, 3, 5])) }
    }

    @Test func emptyClassOrNoImagesIsRejected() {
        #expect(throws: EvalInputError.self) { try EvalInputs.checkTrainingSet(dataset(perClass: [2, 0, 2])) }
        #expect(throws: EvalInputError.self) { try EvalInputs.checkTrainingSet(dataset(perClass: [0, 0, 0])) }
        do {
            try EvalInputs.checkTrainingSet(dataset(perClass: [2, 0, 2]))
        } catch {
            #expect("\(error)".contains("class 1 (c1) has no images"))
        }
    }

    @Test func randomSubsetKeepsPerClassCountsAndIsSeeded() throws {
        let train = dataset(perClass: [1, 2, 3])
        let source = dataset(perClass: [10, 10, 10], name: "source")
        let a = try EvalInputs.randomSubset(like: train, from: source, seed: 1)
        let b = try EvalInputs.randomSubset(like: train, from: source, seed: 1)
        let c = try EvalInputs.randomSubset(like: train, from: source, seed: 2)
        #expect(a.labels == [0, 1, 1, 2, 2, 2])
        #expect(a == b)
        #expect(a.images != c.images)
        #expect(throws: EvalInputError.self) {
            try EvalInputs.randomSubset(like: dataset(perClass: [11, 1, 1]), from: source, seed: 0)
        }
    }

    @Test func learnedRateIsReadFromTopLevelOrMethodMetadata() throws {
        #expect(EvalInputs.learnedRate(in: try JSONValue.parse(#"{"syn_lr": 0.02}"#)) == 0.02)
        #expect(EvalInputs.learnedRate(in: try JSONValue.parse(#"{"method": {"name": "mtt", "syn_lr": 0.005}}"#)) == 0.005)
        #expect(EvalInputs.learnedRate(in: try JSONValue.parse(#"{"method": {"name": "dc"}}"#)) == nil)
    }
}

@Suite struct RecipeOptionsTests {
    @Test func defaultsAreTheStandardProtocol() throws {
        var mnist = toyDataset()
        mnist.provenance["dataset"] = "mnist"
        let (dsa, source) = try RecipeOptions().recipe(for: mnist, metadata: nil)
        #expect(dsa.epochs == 1001 && dsa.schedule == .stepDecay(epoch: 502, factor: 0.1))
        #expect(dsa.learningRate == 0.01 && dsa.momentum == 0.9 && dsa.weightDecay == 5e-4 && dsa.batchSize == 256)
        #expect(dsa.augmentation == .dsa(strategy: .noFlip, mode: .single))   // digits: no flip
        #expect(source.contains("default"))
        var options = RecipeOptions()
        options.augment = .none
        let plain = try options.recipe(for: mnist, metadata: nil).recipe
        #expect(plain.epochs == 301 && plain.schedule == .stepDecay(epoch: 152, factor: 0.1) && plain.augmentation == .none)
    }

    /// DC's protocol: MNIST trains E = 1000 with crop_scale_rotate; Fashion-MNIST has no DC augmentation, so
    /// it falls back to E = 300 without any.
    @Test func dcAugmentationFollowsTheDataset() throws {
        var options = RecipeOptions()
        options.augment = .dc
        var mnist = toyDataset()
        mnist.provenance["dataset"] = "mnist"
        let dc = try options.recipe(for: mnist, metadata: nil).recipe
        #expect(dc.epochs == 1001 && dc.augmentation == .dc(strategy: .cropScaleRotate))
        #expect(dc.summary.contains("DC augment crop_scale_rotate"))
        mnist.provenance["dataset"] = "fashion-mnist"
        let fashion = try options.recipe(for: mnist, metadata: nil).recipe
        #expect(fashion.epochs == 301 && fashion.augmentation == .none)
        options.dcStrategy = "crop_warp"
        #expect(throws: EvalInputError.self) { try options.recipe(for: mnist, metadata: nil) }
    }

    @Test func learnedRateAndSoftLabelsComeFromTheSet() throws {
        var synthetic = toyDataset(perClass: [1, 1, 1])
        synthetic.softLabels = [Float](repeating: 1.0 / 3, count: 9)
        var options = RecipeOptions()
        options.learningRateFromSet = true
        options.temperature = 2
        let (recipe, source) = try options.recipe(for: synthetic, metadata: try JSONValue.parse(#"{"syn_lr": 0.03}"#))
        #expect(recipe.learningRate == 0.03 && source.contains("syn_lr"))
        #expect(recipe.loss == .softCrossEntropy(temperature: 2))
        options.hardLabels = true
        #expect(try options.recipe(for: synthetic, metadata: try JSONValue.parse(#"{"syn_lr": 0.03}"#)).recipe.loss == .hardCrossEntropy)
        #expect(throws: EvalInputError.self) { try options.recipe(for: synthetic, metadata: nil) }
        #expect(throws: EvalInputError.self) { try options.recipe(for: synthetic, metadata: try JSONValue.parse(#"{"syn_lr": -1}"#)) }
    }

    /// `--balance groups` sets group-balanced sampling, and needs group labels.
    @Test func groupBalancingNeedsGroupLabels() throws {
        var options = RecipeOptions()
        options.balanceGroups = true
        var data = toyDataset(perClass: [2, 2])
        #expect(throws: EvalInputError.self) { try options.recipe(for: data, metadata: nil) }
        data.groups = [0, 1, 2, 3]
        #expect(try options.recipe(for: data, metadata: nil).recipe.sampling == .groupBalanced)
        #expect(try RecipeOptions().recipe(for: data, metadata: nil).recipe.sampling == nil)
    }
}
