import DDData
import DDTrain
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// Trajectory matching on data with group labels: `--match-by group` allots the initialisation per group, and
/// only experts trained with group-balanced sampling make the trajectories themselves group-balanced.
@Suite struct TrajectoryGroupTests {
    typealias F = TrajectoryFixture

    /// The fixture's subset with two groups per class (alternating images), as dd-bias labels them.
    func groupedDataset() throws -> Dataset {
        var dataset = try F.require().dataset
        var seen: [Int32: Int32] = [:]
        dataset.groups = dataset.labels.map { label in
            defer { seen[label, default: 0] += 1 }
            return label * 2 + seen[label, default: 0] % 2
        }
        return dataset.withContentDigest()
    }

    func groupConfig(experts: String) -> DistillConfig {
        var config = F.config(.mtt, experts: experts, iterations: 1)
        config.ipc = 2
        config.matchBy = .group
        return config
    }

    @Test func uniformExpertsAreNamedAndBalancedOnesAreNot() throws {
        let dataset = try groupedDataset()
        let root = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let uniform = try F.makeCache(root: root, dataset: dataset, experts: 1, epochs: 2)
        let balanced = try F.makeCache(root: root, dataset: dataset, experts: 1, epochs: 2, sampling: .groupBalanced)
        #expect(uniform != balanced)

        let warned = try Distiller(config: groupConfig(experts: root + "/" + uniform), dataset: dataset)
        #expect(warned.state.warnings.contains { $0.contains("uniform sampling") && $0.contains("--balance groups") },
                "\(warned.state.warnings)")
        let quiet = try Distiller(config: groupConfig(experts: root + "/" + balanced), dataset: dataset)
        #expect(!quiet.state.warnings.contains { $0.contains("uniform sampling") }, "\(quiet.state.warnings)")
        #expect(try quiet.run(DistillRunOptions()) == .completed && quiet.state.losses.allSatisfy(\.isFinite))
        // One synthetic image per (class, group), labelled with its group.
        let synthetic = quiet.syntheticDataset()
        #expect(synthetic.groups == [0, 1, 2, 3, 4, 5] && synthetic.labels == [0, 0, 1, 1, 2, 2])
    }

    /// The FairDD sum and KDE act on real batches, which trajectory matching never draws: refused, pointing
    /// at what does work.
    @Test func realBatchRemediesAreRefused() throws {
        let dataset = try groupedDataset()
        var sum = groupConfig(experts: try F.require().root)
        sum.groupLoss = .sum
        var kde = F.config(.tesla, experts: try F.require().root, iterations: 1)
        kde.reweight = .kde
        for config in [sum, kde] {
            let error = F.error { _ = try Distiller(config: config, dataset: dataset) }
            #expect(error?.kind == .usage && error?.message.contains("--balance groups") == true, "\(String(describing: error))")
        }
    }
}
