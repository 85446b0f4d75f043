import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDMethods

/// The built dd-distill with the debiasing flags: exit codes and messages for bad input, stderr reports.
@Suite struct DistillGroupToolTests {
    func run(_ arguments: [String]) throws -> ToolOutcome {
        try ToolRunner.runTool("dd-distill", arguments)
    }

    func write(_ dataset: Dataset, to path: String) throws {
        let sink = MemorySink()
        try dataset.write(to: sink)
        try Data(sink.bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func badInputsGiveOneClearErrorAndTheirExitCodes() throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let coloured = try ColoredDigits.make(classes: [0, 1, 7], perClass: 10, conflicting: 3, otherColours: 2)
        try write(coloured, to: directory + "/cmnist.ddt")
        try write(try DistillTestData.subset(perClass: 10), to: directory + "/gray.ddt")
        let fast = ["--net", "convnet-d2-w4", "--batch-real", "8", "--iterations", "1", "-o", directory + "/out.ddt"]
        func expect(_ input: String, _ flags: [String], status: Int32, _ fragments: [String]) throws {
            let outcome = try run([directory + "/" + input] + flags + fast)
            #expect(outcome.status == status, "\(flags): \(outcome.stderr)")
            for fragment in fragments { #expect(outcome.stderr.contains(fragment), "\(flags): \(outcome.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: directory + "/out.ddt"), "\(flags) left an output")
        }
        try expect("gray.ddt", ["--method", "dm", "--ipc", "1", "--match-by", "group"], status: 65,
                   ["no `groups` record"])
        try expect("cmnist.ddt", ["--method", "dm", "--ipc", "2", "--match-by", "group"], status: 64,
                   ["--ipc 2 is smaller than the 3 groups of class 0", "--group-loss sum"])
        try expect("cmnist.ddt", ["--method", "dm", "--ipc", "3", "--match-by", "colour"], status: 64, ["valid: class, group"])
        try expect("cmnist.ddt", ["--method", "dm", "--ipc", "3", "--group-loss", "mean"], status: 64, ["valid: partition, sum"])
        try expect("cmnist.ddt", ["--method", "dm", "--ipc", "3", "--reweight", "gauss"], status: 64, ["valid: none, kde"])
        try expect("cmnist.ddt", ["--method", "dm", "--ipc", "3", "--match-by", "group", "--reweight", "kde"], status: 64,
                   ["does not combine"])
        try expect("cmnist.ddt", ["--method", "dm", "--ipc", "3", "--match-by", "class", "--group-loss", "sum"], status: 64,
                   ["--group-loss needs --match-by group"])
        try expect("cmnist.ddt", ["--method", "herding", "--ipc", "3", "--match-by", "group"], status: 64,
                   ["herding selects per class"])
    }

    /// A good run reports the allotment and the absent (class, colour) cells on stderr; --group-loss alone
    /// implies group matching.
    @Test func groupRunsReportTheirAllotmentAndAbsentGroups() throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let coloured = try ColoredDigits.make(classes: [0, 1, 7], perClass: 10, conflicting: 3, otherColours: 2)
        try write(coloured, to: directory + "/cmnist.ddt")
        let common = [directory + "/cmnist.ddt", "--method", "dm", "--ipc", "3", "--net", "convnet-d2-w4",
                      "--batch-real", "8", "--iterations", "1", "-o", directory + "/out.ddt"]
        let partition = try run(common + ["--match-by", "group"])
        #expect(partition.status == 0, "\(partition.stderr)")
        #expect(partition.stderr.contains("class 1 (1): group:real→synthetic 11:7→1 12:2→1 13:1→1"), "\(partition.stderr)")
        // Colours by class: {0,1,2}, {1,2,3}, {2,3,4}; 3 and 1 occur in two classes each but not in 0 and 2.
        #expect(partition.stderr.contains("class 0: bias label 3 is absent from the real set (0 images)"), "\(partition.stderr)")
        #expect(partition.stderr.contains("class 2: bias label 1 is absent from the real set (0 images)"), "\(partition.stderr)")
        let output = try Dataset.read(from: StreamReader(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/out.ddt")))))
        #expect(output.groups == [0, 1, 2, 11, 12, 13, 22, 23, 24] && output.biasLabels == [0, 1, 2, 1, 2, 3, 2, 3, 4])

        let sum = try run(common + ["--group-loss", "sum"])
        #expect(sum.status == 0, "\(sum.stderr)")
        let summed = try Dataset.read(from: StreamReader(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/out.ddt")))))
        #expect(summed.groups == nil && summed.count == 9)
        #expect(sum.stderr.contains("11:7→3 12:2→3 13:1→3"), "\(sum.stderr)")
    }
}
