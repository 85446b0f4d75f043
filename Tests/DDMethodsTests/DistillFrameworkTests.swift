import DDData
import DDFormat
import DDTensor
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

@Suite struct DistillFrameworkTests {
    /// Same seed: identical tensor records, digest and metadata apart from the wall time; another seed
    /// changes the images (so the comparison can fail).
    @Test func sameSeedGivesTheSameBytes() throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        var config = DistillTestData.config(.dsa, iterations: 2)
        config.outerLoop = 2
        config.innerLoop = 1
        let first = try streamRecords(try distilledBytes(config, dataset))
        let second = try streamRecords(try distilledBytes(config, dataset))
        #expect(first.records == second.records)
        #expect(Set(first.records.keys) == ["images", "labels"])
        var firstMeta = first.metadata.objectValue ?? [:], secondMeta = second.metadata.objectValue ?? [:]
        var firstMethod = firstMeta["method"]?.objectValue ?? [:], secondMethod = secondMeta["method"]?.objectValue ?? [:]
        #expect(firstMethod["wall_seconds"] != nil)
        firstMethod["wall_seconds"] = nil
        secondMethod["wall_seconds"] = nil
        firstMeta["method"] = .object(firstMethod)
        secondMeta["method"] = .object(secondMethod)
        #expect(firstMeta == secondMeta)
        #expect(firstMeta["source_digest"]?.stringValue == dataset.contentDigest)
        #expect(firstMethod["iterations_done"]?.intValue == 2 && firstMethod["outer_loop"]?.intValue == 2)
        config.seed = 2
        let other = try streamRecords(try distilledBytes(config, dataset))
        #expect(other.records["images"] != first.records["images"])
    }

    /// A run stopped by a stop request, checkpointed to disk and resumed in a new process-like Distiller
    /// reaches the same images, loss curve and optimiser state as 4 uninterrupted iterations, wherever the
    /// request lands: the loop polls before each iteration and the method between its pieces (DSA here:
    /// 1 + 3 classes + 1 inner epoch + 3 classes = 8 polls per iteration), so the request at poll 2 abandons
    /// the first iteration, 9 lands between iterations and 13 in the middle of the second. DSA with two outer
    /// steps exercises every random draw: networks, real batches, Siamese and per-sample augmentation,
    /// inner-loop shuffles, and the image momentum.
    @Test(arguments: [(2, 0), (9, 1), (13, 1)])
    func resumeEqualsAnUninterruptedRun(stopAtPoll: Int, completed: Int) throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        var config = DistillTestData.config(.dsa, iterations: 4)
        config.outerLoop = 2
        config.innerLoop = 1
        let straight = try Distiller(config: config, dataset: dataset)
        _ = try straight.run(DistillRunOptions())

        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/run.ckpt"
        let interrupted = try Distiller(config: config, dataset: dataset)
        var polls = 0
        let stop = try interrupted.run(DistillRunOptions(checkpointPath: path, shouldStop: {
            polls += 1
            return polls >= stopAtPoll
        }))
        #expect(stop == .interrupted && interrupted.state.iteration == completed)
        #expect(polls == stopAtPoll, "the run went on after the stop request")
        let saved = try DistillCheckpoint.read(from: StreamReader(fileDescriptor: open(path, O_RDONLY)))
        #expect(saved.iteration == completed && saved.losses.count == completed)
        let resumed = try Distiller(config: config, dataset: dataset)
        try resumed.resume(from: saved)
        #expect(try resumed.run(DistillRunOptions()) == .completed)
        #expect(resumed.state.images.scalars == straight.state.images.scalars)
        #expect(resumed.state.losses == straight.state.losses)
        #expect(resumed.state.rng == straight.state.rng)
        #expect(resumed.state.optimizer.state.tensors.map(\.scalars) == straight.state.optimizer.state.tensors.map(\.scalars))
    }

    @Test func periodicCheckpointsSnapshotsAndTimeBudget() throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        let config = DistillTestData.config(.dm, iterations: 4)
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let distiller = try Distiller(config: config, dataset: dataset)
        var seen: [Int] = []
        _ = try distiller.run(DistillRunOptions(checkpointPath: directory + "/c.ckpt", every: 2,
                                                snapshotsPath: directory + "/snap.ddt",
                                                progress: { done, total, _ in seen.append(done); #expect(total == 4) }))
        #expect(seen == [1, 2, 3, 4])
        let checkpoint = try DistillCheckpoint.read(from: StreamReader(fileDescriptor: open(directory + "/c.ckpt", O_RDONLY)))
        #expect(checkpoint.iteration == 4 && checkpoint.images.scalars == distiller.state.images.scalars)
        // Two complete synthetic streams, at iterations 2 and 4; reading the file gives the last.
        let reader = StreamReader(fileDescriptor: open(directory + "/snap.ddt", O_RDONLY))
        let last = try Dataset.read(from: reader)
        #expect(reader.segmentCount == 2)
        #expect(reader.streamHeader?.metadata["method"]?["iterations_done"]?.intValue == 4)
        #expect(last.normalizedImages() == distiller.state.images.scalars && last.count == 3)
        // A budget that one iteration already exhausts stops after it, with the result still writable.
        let budgeted = try Distiller(config: DistillTestData.config(.dm, iterations: 1000), dataset: dataset)
        #expect(try budgeted.run(DistillRunOptions(timeBudget: 1e-6)) == .timeBudget)
        #expect(budgeted.state.iteration == 1)
        let sink = MemorySink()
        try budgeted.writeSynthetic(to: sink, stop: .timeBudget)
        let meta = try streamRecords(sink.bytes).metadata["method"]
        #expect(meta?["stop"]?.stringValue == "time_budget" && meta?["iterations_done"]?.intValue == 1)
    }

    /// A budgeted run leaves a checkpoint of its last iteration even between periodic ones, and budgeted
    /// continuations of it (a chain of scheduler jobs) reach the bytes of one uninterrupted run.
    @Test func budgetedRunsChainToTheUninterruptedResult() throws {
        let dataset = try DistillTestData.subset(perClass: 12)
        let config = DistillTestData.config(.dm, iterations: 5)
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/c.ckpt"
        let straight = try Distiller(config: config, dataset: dataset)
        #expect(try straight.run(DistillRunOptions()) == .completed)
        var iterations: [Int] = []
        var stops: [DistillStop] = []
        while iterations.last != 5 {
            let job = try Distiller(config: config, dataset: dataset)
            if FileManager.default.fileExists(atPath: path) {
                try job.resume(from: DistillCheckpoint.read(from: StreamReader(fileDescriptor: open(path, O_RDONLY))))
            }
            // Every 100 iterations: only the end of each job writes the checkpoint.
            stops.append(try job.run(DistillRunOptions(checkpointPath: path, every: 100, timeBudget: 1e-6)))
            let saved = try DistillCheckpoint.read(from: StreamReader(fileDescriptor: open(path, O_RDONLY)))
            #expect(saved.iteration == job.state.iteration)
            iterations.append(saved.iteration)
            if saved.iteration == 5 { #expect(saved.images.scalars == straight.state.images.scalars) }
        }
        #expect(iterations == [1, 2, 3, 4, 5])
        #expect(stops == [.timeBudget, .timeBudget, .timeBudget, .timeBudget, .completed])
    }
}
