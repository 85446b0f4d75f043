import DDData
import DDFormat
import Foundation
import Testing
@testable import DDMethods

/// The built dd-distill binary under SIGTERM, as a batch scheduler sends it at a time limit.
@Suite struct DistillSignalTests {
    /// The executable beside the test bundle (swift build/test builds every product into one directory).
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dd-distill").path
    }

    func launch(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    @Test func sigtermLeavesAValidCheckpointAndNoPartialOutput() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "dd-distill not built at \(Self.binary)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dataset = try DistillTestData.subset(perClass: 12)
        let input = FileDescriptorSink(fileDescriptor: open(directory + "/in.ddt", O_WRONLY | O_CREAT, 0o644))
        try dataset.write(to: input)
        close(input.fileDescriptor)
        let common = [directory + "/in.ddt", "--method", "dm", "--ipc", "1", "--net", "convnet-d2-w4", "--batch-real", "16",
                      "--checkpoint", directory + "/run.ckpt", "--every", "100000", "-o", directory + "/out.ddt"]
        let (process, errors) = try launch(common + ["--iterations", "100000"])
        // Signal only once the input is read: the handlers are installed by then and iterations are running.
        var log = ""
        while !log.contains("read 36 images") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        log += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 75, "\(log)")
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
        let (resumed, resumedErrors) = try launch(common + ["--iterations", target, "--resume", directory + "/run.ckpt"])
        resumed.waitUntilExit()
        let resumedLog = String(decoding: resumedErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(resumed.terminationStatus == 0, "\(resumedLog)")
        let outFD = open(directory + "/out.ddt", O_RDONLY)
        defer { close(outFD) }
        let reader = StreamReader(fileDescriptor: outFD)
        let synthetic = try Dataset.read(from: reader)
        #expect(synthetic.count == 3)
        #expect(reader.streamHeader?.metadata["method"]?["iterations_done"]?.intValue == saved.iteration + 2)
    }
}
