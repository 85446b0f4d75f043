import DDAutograd
import DDData
import DDFormat
import DDNN
import DDTensor
import Foundation
import Testing
@testable import DDMethods

/// `--match-by group`, `--group-loss sum` and `--reweight kde` in the library (tiny Colored-MNIST subsets).
@Suite struct DistillGroupTests {
    func error(_ body: () throws -> Void) -> DistillError? {
        do { try body() } catch let error as DistillError { return error } catch { return nil }
        return nil
    }

    func groupConfig(_ method: DistillMethodName, ipc: Int, iterations: Int, loss: GroupLoss = .partition) -> DistillConfig {
        var config = DistillTestData.config(method, ipc: ipc, iterations: iterations)
        config.matchBy = .group
        config.groupLoss = loss
        config.outerLoop = 2   // IPC outside the get_loops table would mean (50, 10)
        config.innerLoop = 1
        return config
    }

    @Test func allotmentIsEqualCappedBySizeRemainderToLargestGroups() {
        #expect(GroupPartition.allot(10, sizes: Array(repeating: 50, count: 10)) == Array(repeating: 1, count: 10))
        #expect(GroupPartition.allot(5, sizes: [9, 2, 1]) == [2, 2, 1])
        #expect(GroupPartition.allot(7, sizes: [1, 1, 100]) == [1, 1, 5])
        #expect(GroupPartition.allot(4, sizes: [3, 3]) == [2, 2])
        #expect(GroupPartition.allot(5, sizes: [3, 3]) == [3, 2])   // tie: lower group first
    }

    /// 3 classes × 12 digits, 3 conflicting per class: groups per class = aligned (9), two others (2 and 1).
    @Test func partitionSlotsCountsAndOutputLabels() throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 12, conflicting: 3, otherColours: 2)
        let pool = try RealPool(dataset, ipc: 5, matchBy: .group)
        #expect(pool.subPopulations.count == 9 && pool.matchingUnits.count == 9 && pool.syntheticCount == 15)
        let class1 = pool.subPopulations.filter { $0.label == 1 }
        #expect(class1.map(\.group) == [11, 12, 13])   // colour 1 aligned, then colours 2 and 3
        #expect(class1.map(\.realIndices.count) == [9, 2, 1])
        #expect(class1.map(\.syntheticSlots) == [[5, 6], [7, 8], [9]])
        #expect(pool.syntheticLabels == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
        #expect(pool.syntheticGroups?[5..<10] == [11, 11, 12, 12, 13])
        #expect(pool.syntheticBiasLabels?[5..<10] == [1, 1, 2, 2, 3])
        for population in pool.subPopulations {
            #expect(population.realIndices.allSatisfy { dataset.groups![$0] == Int32(population.group!) && dataset.labels[$0] == Int32(population.label) })
        }
        #expect(pool.absentGroups.isEmpty == false)   // colours seen in two classes but not in the third

        let distiller = try Distiller(config: groupConfig(.dm, ipc: 5, iterations: 1), dataset: dataset)
        _ = try distiller.run(DistillRunOptions())
        let output = distiller.syntheticDataset()
        #expect(output.groups == pool.syntheticGroups && output.biasLabels == pool.syntheticBiasLabels)
        let meta = distiller.syntheticMetadata(stop: .completed)
        let cells = meta["group_allotment"]?["sub_populations"]?.arrayValue ?? []
        #expect(cells.count == 9 && cells[4]["synthetic"]?.intValue == 2 && cells[4]["real"]?.intValue == 2)
        #expect(meta["method"]?["match_by"]?.stringValue == "group" && meta["method"]?["group_loss"]?.stringValue == "partition")
    }

    @Test func ipcBelowTheGroupCountAndMissingLabelsAreErrors() throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 12, conflicting: 3, otherColours: 2)
        let small = error { _ = try RealPool(dataset, ipc: 2, matchBy: .group) }
        #expect(small?.kind == .usage)
        #expect(small?.message.contains("--ipc 2 is smaller than the 3 groups of class 0 (0)") == true)
        #expect(small?.message.contains("0:9 1:2 2:1") == true, "\(small?.message ?? "")")
        // The FairDD sum shares the class's images, so any IPC works.
        #expect(try RealPool(dataset, ipc: 2, matchBy: .group, groupLoss: .sum).syntheticCount == 6)

        var plain = dataset
        plain.groups = nil
        let unlabelled = error { _ = try RealPool(plain, ipc: 3, matchBy: .group) }
        #expect(unlabelled?.kind == .badData && unlabelled?.message.contains("no `groups` record") == true)

        var both = groupConfig(.dm, ipc: 3, iterations: 1)
        both.reweight = .kde
        #expect(error { try both.validate() }?.message.contains("does not combine") == true)
        var lossWithoutGroups = DistillTestData.config(.dm, iterations: 1)
        lossWithoutGroups.groupLoss = .sum
        #expect(error { try lossWithoutGroups.validate() }?.message.contains("needs --match-by group") == true)
        let unknown = error { let _: GroupLoss = try parseChoice("mean", flag: "--group-loss") }
        #expect(unknown?.kind == .usage && unknown?.message.contains("valid: partition, sum") == true)
    }

    /// An attribute (here the bias label) present in two classes but not in a third is reported for it.
    @Test func absentGroupsAreReportedPerClass() throws {
        let gray = try DistillTestData.subset(classes: [0, 1, 7], perClass: 4)
        let colours = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2]   // class 0 {0,1}, class 1 {1,2}, class 2 {0,1,2}
        let pool = try RealPool(ColoredDigits.colour(gray, colours), ipc: 3, matchBy: .group)
        #expect(pool.absentGroups == [AbsentGroup(label: 0, attribute: 2), AbsentGroup(label: 1, attribute: 0)])
        #expect(pool.groupMetadata["absent"]?.arrayValue?.count == 2)
        // Class-unique group ids alone (no bias labels) never count as missing elsewhere.
        var groupsOnly = ColoredDigits.colour(gray, colours)
        groupsOnly.biasLabels = nil
        #expect(try RealPool(groupsOnly, ipc: 3, matchBy: .group).absentGroups.isEmpty)
    }

    @Test func sumSharesTheClassRowsAcrossItsGroups() throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 12, conflicting: 3, otherColours: 2)
        let pool = try RealPool(dataset, ipc: 2, matchBy: .group, groupLoss: .sum)
        #expect(pool.subPopulations.count == 9 && pool.matchingUnits.count == 3)
        #expect(pool.matchingUnits[1].map(\.syntheticSlots) == [[2, 3], [2, 3], [2, 3]])
        #expect(pool.syntheticGroups == nil && pool.syntheticLabels == [0, 0, 1, 1, 2, 2])
    }

    /// The FairDD losses with the synthetic side computed once equal the sum of per-group losses, in value
    /// and in the gradient w.r.t. the synthetic images (second order for gradient matching).
    @Test func sumLossGradientIsTheSumOfPerGroupGradients() throws {
        let network = try Network(try NetworkSpec(parsing: "convnet-d2-w4"), channels: 3, height: 28, width: 28, classes: 3)
        var rng = RandomGenerator(seed: 5)
        let parameters = network.initialParameters(rng: &rng)
        let reals = [4, 2, 1].map { Tensor(NDArray.normal([$0, 3, 28, 28], rng: &rng)) }
        let synthetic = Tensor(NDArray.normal([2, 3, 28, 28], rng: &rng), requiresGrad: true)
        let losses: [(String, ([Tensor]) -> Tensor)] = [
            ("dm", { DistributionMatching.groupSumDistance(network, parameters: parameters.map { $0.detach() },
                                                           reals: $0, synthetic: synthetic) }),
            ("dc", { GradientMatching.groupSumDistance(network, parameters: parameters, label: 1, reals: $0,
                                                       synthetic: synthetic) }),
        ]
        for (name, loss) in losses {
            let total = loss(reals)
            let gradient = grad(of: total, wrt: [synthetic])[0].array.scalars
            var sum = 0.0, summed = [Float](repeating: 0, count: gradient.count)
            for real in reals {
                let single = loss([real])
                sum += single.item()
                for (k, g) in grad(of: single, wrt: [synthetic])[0].array.scalars.enumerated() { summed[k] += g }
            }
            #expect(abs(total.item() - sum) <= 1e-5 * abs(sum), "\(name)")
            let scale = summed.map { abs($0) }.max() ?? 0
            #expect(scale > 0)
            let worst = zip(gradient, summed).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-4 * scale, "\(name): worst difference \(worst) of \(scale)")
        }
    }

    /// The objective on fixed probe draws falls over a few iterations for both group losses.
    @Test(arguments: [(DistillMethodName.dm, GroupLoss.partition), (.dm, .sum), (.dc, .partition), (.dc, .sum)])
    func groupLossDecreases(_ method: DistillMethodName, _ loss: GroupLoss) throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 16, conflicting: 4, otherColours: 2)
        var config = groupConfig(method, ipc: 3, iterations: 5, loss: loss)
        if method == .dm {
            // A one-image block matched to its group has a larger loss than a class's; 0.3 keeps 5 steps stable.
            config.learningRateImages = 0.3
            config.dsaStrategy = "none"
        }
        let distiller = try Distiller(config: config, dataset: dataset)
        let before = try probeLoss(distiller, images: distiller.state.images)
        _ = try distiller.run(DistillRunOptions())
        let after = try probeLoss(distiller, images: distiller.state.images)
        #expect(after < before, "\(method) \(loss): probe loss \(before) → \(after)")
    }

    /// A tight cluster and a few far points of one class: the far points get the larger weights; each
    /// class's weights sum to 1 and classes are independent.
    @Test func kdeWeightsFavourLowDensityPoints() {
        var rng = RandomGenerator(seed: 3)
        var values: [Float] = []
        for i in 0..<30 {   // class 0: 26 near e0, 4 outliers near e1, e2, e3, e4; class 1: 10 near e5
            let axis = i < 26 ? 0 : (i < 30 ? i - 25 : 0)
            values += (0..<8).map { k in (k == axis ? 1 : 0) + Float(rng.normal() * 0.05) }
        }
        for _ in 0..<10 { values += (0..<8).map { k in (k == 5 ? 1 : 0) + Float(rng.normal() * 0.05) } }
        let features = CoresetFeatureMatrix(rows: 40, dimension: 8, values: values)
        let (weights, bandwidths) = KDEReweighting.densityWeights(features, byClass: [Array(0..<30), Array(30..<40)])
        #expect(bandwidths.count == 2 && bandwidths.allSatisfy { $0 > 0 })
        #expect(abs(weights[0..<30].reduce(0, +) - 1) < 1e-9 && abs(weights[30..<40].reduce(0, +) - 1) < 1e-9)
        let clusterMax = weights[0..<26].max()!, outlierMin = weights[26..<30].min()!
        #expect(outlierMin > 3 * clusterMax, "outliers \(outlierMin) vs cluster \(clusterMax)")
        // Identical points: uniform weights.
        let same = CoresetFeatureMatrix(rows: 4, dimension: 2, values: [1, 0, 1, 0, 1, 0, 1, 0])
        #expect(KDEReweighting.densityWeights(same, byClass: [Array(0..<4)]).0 == [0.25, 0.25, 0.25, 0.25])
    }

    /// Weighted sampling draws in proportion to the weights (with replacement).
    @Test func weightedSamplingFollowsTheWeights() throws {
        let dataset = try DistillTestData.subset(perClass: 4)
        var pool = try RealPool(dataset, ipc: 1)
        pool.setSampleWeights([0.7, 0.1, 0.1, 0.1] + Array(repeating: 0.25, count: 8))
        var rng = RandomGenerator(seed: 1)
        let drawn = pool.sample(pool.subPopulations[0], count: 2000, rng: &rng)
        let first = pool.images.indexSelect(axis: 0, [0]).scalars
        let per = first.count
        let hits = (0..<2000).filter { Array(drawn.scalars[($0 * per)..<(($0 + 1) * per)]) == first }.count
        #expect(hits > 1300 && hits < 1500, "\(hits) of 2000 draws of the 0.7-weight image")
    }
}
