import DDData
import DDFormat
import Testing
@testable import DDBias

@Suite struct GroupLabelsTests {
    @Test func parsesTextWithCommentsAndBlankLines() throws {
        let text = "# groups\n3\n 0 \n\n12\r\n7 # tail\n"
        #expect(try GroupLabels.parse(Array(text.utf8), name: "g.txt") == [3, 0, 12, 7])
    }

    @Test func parsesADatasetStreamsGroupsAndAPlainTensorStreamsOnlyVector() throws {
        var d = greyDataset(classes: 2, perClass: 3)
        d.groups = [5, 4, 3, 2, 1, 0]
        #expect(try GroupLabels.parse(streamBytes(d), name: "d.ddt") == [5, 4, 3, 2, 1, 0])
        let sink = MemorySink()
        let writer = try StreamWriter(sink: sink, kind: StreamKind("tensors"), metadata: [:])
        try writer.write(name: "pixels", shape: [2, 2], values: [Float](repeating: 0, count: 4))
        try writer.write(name: "cluster", shape: [3], values: [Int64(2), 0, 1])
        try writer.finish()
        #expect(try GroupLabels.parse(sink.bytes, name: "t.ddt") == [2, 0, 1])
    }

    @Test func attachesToAnyDatasetAndRefusesBadFiles() throws {
        let d = greyDataset(classes: 2, perClass: 2)
        let attached = try GroupLabels.attach([0, 1, 1, 0], to: d, file: "g.txt")
        #expect(attached.groups == [0, 1, 1, 0] && attached.contentDigest == attached.computeContentDigest())
        let cases: [(String, () throws -> Void, String)] = [
            ("length", { _ = try GroupLabels.attach([0, 1, 2], to: d, file: "g.txt") }, "3 group labels but the dataset has 4"),
            ("negative", { _ = try GroupLabels.parse(Array("1\n-2\n".utf8), name: "g.txt") }, "group 1 is -2"),
            ("absurd", { _ = try GroupLabels.parse(Array("1\n99999999999\n".utf8), name: "g.txt") }, "0…1000000"),
            ("not a number", { _ = try GroupLabels.parse(Array("1\nred\n".utf8), name: "g.txt") }, "line 2: \"red\""),
            ("empty", { _ = try GroupLabels.parse([], name: "g.txt") }, "no group labels"),
            ("labels only", { _ = try GroupLabels.parse(streamBytes(d), name: "d.ddt") }, "without a `groups` record"),
        ]
        for (what, body, fragment) in cases {
            do {
                try body()
                Issue.record("\(what): no error")
            } catch let error as DataError {
                #expect(error.kind == .badData && error.message.contains(fragment), "\(what): \(error)")
            }
        }
    }
}
