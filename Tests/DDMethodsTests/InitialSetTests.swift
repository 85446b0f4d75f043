import DDData
import DDFormat
import DDTensor
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// `--init-from`: synthetic images that start from another set's, class by class, in the run's space.
@Suite struct InitialSetTests {
    func startingFrom(_ set: Dataset, _ config: DistillConfig, _ dataset: Dataset) throws -> Distiller {
        var config = config
        config.initialization = .set
        config.initialSet = set.contentDigest ?? set.computeContentDigest()
        return try Distiller(config: config, dataset: dataset, initialSet: set)
    }

    /// Another run's output, its rows shuffled: each class's slots take that class's images in stream order,
    /// so the new run starts exactly where the other ended.
    @Test func aDistilledSetIsTheStartingPointRowForRow() throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        let first = try Distiller(config: DistillTestData.config(.dm, ipc: 2, iterations: 2), dataset: dataset)
        _ = try first.run(DistillRunOptions())
        let distilled = first.syntheticDataset()
        // Rows 0…5 are classes 0,0,1,1,2,2; reversed, each class's pair comes in the opposite order.
        let reversed = try distilled.subset(indices: Array((0..<6).reversed()))
        let next = try startingFrom(reversed, DistillTestData.config(.dc, ipc: 2, iterations: 1), dataset)
        let per = 28 * 28
        let want = distilled.normalizedImages()
        let got = next.state.images.scalars
        for (slot, source) in [(0, 1), (1, 0), (2, 3), (3, 2), (4, 5), (5, 4)] {
            #expect(Array(got[(slot * per)..<((slot + 1) * per)]) == Array(want[(source * per)..<((source + 1) * per)]),
                    "slot \(slot)")
        }
        let metadata = next.config.metadata
        #expect(metadata["init"]?.stringValue == "set")
        #expect(metadata["init_set"]?.stringValue == reversed.computeContentDigest())
        #expect(DistillTestData.config(.dc, ipc: 2, iterations: 1).metadata["init_set"] == nil)
    }

    /// Matching by group, each (class, group) cell takes the set's image of that cell: a group run's output,
    /// rows reversed, comes back slot for slot; a set without groups is refused.
    @Test func groupCellsTakeTheirOwnGroupsImages() throws {
        let dataset = try ColoredDigits.make(classes: [0, 1, 7], perClass: 12, conflicting: 3, otherColours: 2)
        var config = DistillTestData.config(.dm, ipc: 3, iterations: 1)
        config.matchBy = .group
        let first = try Distiller(config: config, dataset: dataset)
        _ = try first.run(DistillRunOptions())
        let distilled = first.syntheticDataset()
        #expect(Set(distilled.groups ?? []).count > 1)
        let reversed = try distilled.subset(indices: Array((0..<distilled.count).reversed()))
        let next = try startingFrom(reversed, config, dataset)
        #expect(next.state.images.scalars == first.state.images.scalars)
        var ungrouped = reversed
        ungrouped.groups = nil
        ungrouped.contentDigest = nil
        #expect(throws: DistillError.self) { _ = try startingFrom(ungrouped, config, dataset) }
    }

    /// A set normalised with other constants starts from the same pixels in the run's normalised space.
    @Test func anotherNormalisationIsConvertedThroughPixels() throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        let pixels = try dataset.subset(indices: [0, 12, 24])          // one image of each class, u8
        var renormalised = pixels
        renormalised.mean = [0.5]
        renormalised.std = [0.25]
        renormalised.images = .normalized(pixels.unnormalizedImages().map { ($0 - 0.5) / 0.25 })
        renormalised.contentDigest = nil
        let run = try startingFrom(renormalised, DistillTestData.config(.dm, iterations: 1), dataset)
        let want = pixels.normalizedImages()
        let worst = zip(run.state.images.scalars, want).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "largest difference \(worst)")
        #expect(renormalised.mean != dataset.mean)
    }

    @Test func setsThatDoNotFitAreRefusedWithTheReason() throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        let config = DistillTestData.config(.dm, iterations: 1)
        func message(_ set: Dataset) -> String {
            do {
                _ = try startingFrom(set, config, dataset)
                return "accepted"
            } catch let error as DistillError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message(try dataset.subset(indices: [0, 1, 12, 24])).contains("it has 2 images of class 0, the run needs 1"))
        #expect(message(try dataset.subset(indices: [0, 12])).contains("it has 0 images of class 2"))
        let otherClasses = try DistillTestData.subset(classes: [0, 1, 2], perClass: 1)
        #expect(message(otherClasses).contains("are not the input's"))
        var wider = try dataset.subset(indices: [0, 12, 24])
        wider.geometry = ImageGeometry(channels: 1, height: 14, width: 56)
        #expect(message(wider).contains("its images are 1×14×56, the input's are 1×28×28"))
        // The configuration names one set, the run is given another.
        var named = config
        named.initialization = .set
        named.initialSet = "sha256:0"
        #expect(throws: DistillError.self) {
            _ = try Distiller(config: named, dataset: dataset, initialSet: try dataset.subset(indices: [0, 12, 24]))
        }
        named.initialSet = nil
        #expect(throws: DistillError.self) { try named.validate() }
    }

    /// The digest is part of the run's identity: a checkpoint of a run from one set does not resume a run
    /// from random real images.
    @Test func aCheckpointRemembersTheSetItStartedFrom() throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        let config = DistillTestData.config(.dm, iterations: 2)
        let run = try startingFrom(try dataset.subset(indices: [3, 15, 27]), config, dataset)
        _ = try run.run(DistillRunOptions())
        let plain = try Distiller(config: config, dataset: dataset)
        #expect(throws: DistillError.self) { try plain.resume(from: run.checkpoint) }
        let same = try startingFrom(try dataset.subset(indices: [3, 15, 27]), config, dataset)
        try same.resume(from: run.checkpoint)
        #expect(same.state.iteration == 2)
    }

    /// The built tool: a herding coreset file seeds DM; zero iterations give back the coreset's images.
    @Test func theToolStartsFromACoresetFile() throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dataset = try DistillTestData.subset(perClass: 12)
        let sink = MemorySink()
        try dataset.write(to: sink)
        try Data(sink.bytes).write(to: URL(fileURLWithPath: directory + "/in.ddt"))
        let input = directory + "/in.ddt"
        let fast = ["--net", "convnet-d2-w4", "--feature-epochs", "0"]
        let herding = try ToolRunner.runTool("dd-distill", [input, "--method", "herding", "--ipc", "2", "-o", directory + "/h.ddt"] + fast)
        #expect(herding.status == 0, "\(herding.stderr)")
        let started = try ToolRunner.runTool("dd-distill", [input, "--method", "dm", "--ipc", "2", "--iterations", "0",
                                                            "--net", "convnet-d2-w4", "--init-from", directory + "/h.ddt",
                                                            "-o", directory + "/dm.ddt"])
        #expect(started.status == 0, "\(started.stderr)")
        #expect(started.stderr.contains("starting from the 6 images of"), "\(started.stderr)")
        func read(_ name: String) throws -> Dataset {
            try Dataset.read(from: StreamReader(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))))
        }
        let coreset = try read("h.ddt"), result = try read("dm.ddt")
        #expect(result.normalizedImages() == coreset.normalizedImages() && result.labels == coreset.labels)
        for (flags, fragment) in [(["--init", "noise"], "give one"), (["--ipc", "1"], "it has 2 images of class 0, the run needs 1")] {
            var arguments = [input, "--method", "dm", "--ipc", "2", "--iterations", "0", "--init-from", directory + "/h.ddt",
                             "-o", directory + "/bad.ddt"]
            arguments += flags
            let outcome = try ToolRunner.runTool("dd-distill", arguments)
            #expect(outcome.status == (fragment == "give one" ? 64 : 65), "\(flags): \(outcome.stderr)")
            #expect(outcome.stderr.contains(fragment), "\(flags): \(outcome.stderr)")
            #expect(!FileManager.default.fileExists(atPath: directory + "/bad.ddt"))
        }
        let both = try ToolRunner.runTool("dd-distill", ["-", "--method", "dm", "--ipc", "2", "--init-from", "-", "-o", directory + "/bad.ddt"])
        #expect(both.status == 64 && both.stderr.contains("cannot both be stdin"), "\(both.stderr)")
        let coresetToo = try ToolRunner.runTool("dd-distill", [input, "--method", "herding", "--ipc", "2", "--init-from",
                                                               directory + "/h.ddt", "-o", directory + "/bad.ddt"])
        #expect(coresetToo.status == 64 && coresetToo.stderr.contains("herding selects real images"), "\(coresetToo.stderr)")
    }
}
