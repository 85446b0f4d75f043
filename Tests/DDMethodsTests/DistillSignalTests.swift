import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// The built dd-distill binary under SIGTERM, as a batch scheduler sends it at a time limit.
@Suite struct DistillSignalTests {
    @Test func sigtermLeavesAValidCheckpointAndNoPartialOutput() throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dataset = try writeSubset(to: directory + "/in.ddt")
        let common = [directory + "/in.ddt", "--method", "dm", "--ipc", "1", "--net", "convnet-d2-w4", "--batch-real", "16",
                      "--checkpoint", directory + "/run.ckpt", "--every", "100000", "-o", directory + "/out.ddt"]
        let running = try ToolRunner.launchTool("dd-distill", common + ["--iterations", "100000"])
        // Signal only once the input is read: the handlers are installed by then and iterations are running.
        running.waitForStderr(containing: "read 36 images")
        Thread.sleep(forTimeInterval: 0.3)
        running.send(SIGTERM)
        let stopped = running.finish()
        let log = stopped.stderr
        #expect(stopped.terminationReason == .exit && stopped.status == 75, "\(log)")
        #expect(log.contains("--resume"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["in.ddt", "run.ckpt"], "left behind: \(files)")
        let fd = open(directory + "/run.ckpt", O_RDONLY)
        defer { close(fd) }
        let saved = try DistillCheckpoint.read(from: StreamReader(fileDescriptor: fd))
        #expect(saved.sourceDigest == dataset.contentDigest)
        #expect(saved.config["name"]?.stringValue == "dm" && saved.losses.count == saved.iteration)

        // The checkpoint continues: two more iterations, then a complete output.
        let target = String(saved.iteration + 2)
        let resumed = try ToolRunner.runTool("dd-distill", common + ["--iterations", target, "--resume", directory + "/run.ckpt"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let outFD = open(directory + "/out.ddt", O_RDONLY)
        defer { close(outFD) }
        let reader = StreamReader(fileDescriptor: outFD)
        let synthetic = try Dataset.read(from: reader)
        #expect(synthetic.count == 3)
        #expect(reader.streamHeader?.metadata["method"]?["iterations_done"]?.intValue == saved.iteration + 2)
    }

    /// A SIGTERM in the middle of an iteration far too long to wait out (a million outer steps) abandons it:
    /// the tool exits 75 within seconds with the checkpoint of the iterations completed (none), as a batch
    /// scheduler's SIGKILL ~30 s after SIGTERM requires; before, the flag was read only between iterations.
    @Test func sigtermAbandonsALongIteration() throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try writeSubset(to: directory + "/in.ddt")
        let running = try ToolRunner.launchTool("dd-distill", [directory + "/in.ddt", "--method", "dc", "--ipc", "1",
                                                               "--net", "convnet-d2-w4", "--batch-real", "16",
                                                               "--outer-loop", "1000000", "--iterations", "2",
                                                               "--checkpoint", directory + "/run.ckpt",
                                                               "-o", directory + "/out.ddt"])
        running.waitForStderr(containing: "read 36 images")
        Thread.sleep(forTimeInterval: 0.3)
        running.send(SIGTERM)
        let stopped = running.finish(killAfter: 20)
        #expect(stopped.terminationReason == .exit && stopped.status == 75, "\(stopped.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["in.ddt", "run.ckpt"], "left behind: \(files)")
        let fd = open(directory + "/run.ckpt", O_RDONLY)
        defer { close(fd) }
        let saved = try DistillCheckpoint.read(from: StreamReader(fileDescriptor: fd))
        #expect(saved.iteration == 0 && saved.losses.isEmpty)
    }
}

/// A coreset selection under SIGTERM: it has no snapshot to write, so it must end promptly (it once ran its
/// whole training to completion, the flag never polled) and leave no output behind.
@Suite struct CoresetSignalTests {
    @Test func sigtermEndsACoresetSelectionPromptlyWithNoOutput() throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try writeSubset(to: directory + "/in.ddt")
        // Far more epochs than the test could wait for.
        let running = try ToolRunner.launchTool("dd-distill", [directory + "/in.ddt", "--method", "forgetting", "--ipc", "1",
                                                               "--net", "convnet-d2-w4", "--forgetting-epochs", "1000000",
                                                               "-o", directory + "/out.ddt"])
        running.waitForStderr(containing: "read 36 images")
        Thread.sleep(forTimeInterval: 0.3)
        running.send(SIGTERM)
        let stopped = running.finish(killAfter: 20)
        #expect(stopped.terminationReason == .uncaughtSignal && stopped.status == SIGTERM, "\(stopped.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["in.ddt"], "left behind: \(files)")
    }
}

/// 12 real images per class of 3 classes (36), written as the tools' input.
@discardableResult
private func writeSubset(to path: String) throws -> Dataset {
    let dataset = try DistillTestData.subset(perClass: 12)
    let input = FileDescriptorSink(fileDescriptor: open(path, O_WRONLY | O_CREAT, 0o644))
    defer { close(input.fileDescriptor) }
    try dataset.write(to: input)
    return dataset
}
