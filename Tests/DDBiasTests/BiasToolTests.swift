import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing

/// End-to-end runs of the built dd-bias (and dd-eval) binaries, which sit next to the test bundle.
@Suite struct BiasToolTests {
    func write(_ dataset: Dataset, _ path: String) throws {
        try Data(try streamBytes(dataset)).write(to: URL(fileURLWithPath: path))
    }

    func read(_ path: String) throws -> Dataset {
        try Dataset.read(from: StreamReader(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))), verifyDigest: true)
    }

    @Test(.enabled(if: ToolRunner.builtTool("dd-bias") != nil)) func coloursDeterministicallyThroughFilesAndPipes() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(greyDataset(perClass: 24), dir + "/grey.ddt")
        let base = ["--kind", "color-digit", "--bias-ratio", "0.25", "--split", "train", "-q"]
        let a = try ToolRunner.runTool("dd-bias", [dir + "/grey.ddt", "-o", dir + "/a.ddt", "--seed", "3"] + base)
        #expect(a.status == 0 && a.stderr.isEmpty, "\(a.stderr)")
        let first = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/a.ddt")))
        let again = try ToolRunner.runTool("dd-bias", [dir + "/grey.ddt", "-o", dir + "/a.ddt", "--seed", "3"] + base)
        let second = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/a.ddt")))
        let other = try ToolRunner.runTool("dd-bias", [dir + "/grey.ddt", "-o", dir + "/a.ddt", "--seed", "4"] + base)
        let third = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/a.ddt")))
        #expect(again.status == 0 && second == first, "same seed, same bytes")
        #expect(other.status == 0 && third != first, "another seed, other bytes")
        try write(try Dataset.read(from: StreamReader(bytes: first)), dir + "/a.ddt")
        // Through a pipe the content is the same (only the recorded command line differs).
        let piped = try ToolRunner.runTool("dd-bias", ["--seed", "3"] + base, stdin: try streamBytes(greyDataset(perClass: 24)))
        let made = try read(dir + "/a.ddt")
        let pipedSet = try Dataset.read(from: StreamReader(bytes: piped.stdout))
        #expect(piped.status == 0 && pipedSet.contentDigest == made.contentDigest)
        #expect(made.count == 180 && made.geometry.channels == 3)   // 3/4 of 240
        #expect(made.groups == zip(made.labels, made.biasLabels ?? []).map { $0 * 10 + $1 })
        #expect(made.provenance["tool"] == "dd-bias" && made.provenance["bias.kind"] == "color-digit"
                && made.provenance["bias.seed"] == "3" && made.provenance["source_digest"]?.hasPrefix("sha256:") == true)
    }

    @Test(.enabled(if: ToolRunner.builtTool("dd-bias") != nil)) func attachesGroupsFromTextAndStreams() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let grey = greyDataset(classes: 2, perClass: 3)
        try write(grey, dir + "/grey.ddt")
        try "4\n3\n2\n1\n0\n9\n".write(toFile: dir + "/g.txt", atomically: true, encoding: .utf8)
        let text = try ToolRunner.runTool("dd-bias", [dir + "/grey.ddt", "--groups-from", dir + "/g.txt", "-o", dir + "/t.ddt"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(try read(dir + "/t.ddt").groups == [4, 3, 2, 1, 0, 9])
        // Groups from another dataset stream, attached to an RGB stream.
        var donor = grey
        donor.groups = [1, 1, 0, 0, 1, 0]
        try write(donor, dir + "/donor.ddt")
        let coloured = try ToolRunner.runTool("dd-bias", [dir + "/grey.ddt", "--kind", "color-background", "-o", dir + "/rgb.ddt"])
        #expect(coloured.status == 0, "\(coloured.stderr)")
        let stream = try ToolRunner.runTool("dd-bias", [dir + "/rgb.ddt", "--groups-from", dir + "/donor.ddt", "-o", dir + "/s.ddt"])
        #expect(stream.status == 0, "\(stream.stderr)")
        let result = try read(dir + "/s.ddt")
        #expect(result.groups == [1, 1, 0, 0, 1, 0] && result.geometry.channels == 3 && result.biasLabels != nil)
    }

    @Test(.enabled(if: ToolRunner.builtTool("dd-bias") != nil)) func badInputsEndWithOneLineAndTheirExitStatus() throws {
        let dir = try makeTempDirectory()
        let outDir = dir + "/out"
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let grey = try streamBytes(greyDataset(classes: 2, perClass: 3))
        var rgb = greyDataset(classes: 2, perClass: 3)
        rgb.images = .u8([UInt8](repeating: 9, count: 6 * 48)); rgb.geometry.channels = 3
        rgb.mean = [0.1, 0.1, 0.1]; rgb.std = [0.3, 0.3, 0.3]
        var none = greyDataset(classes: 2, perClass: 0)
        none.images = .u8([])
        try "1\n2\n".write(toFile: dir + "/short.txt", atomically: true, encoding: .utf8)
        try "1\n-2\n3\n4\n5\n6\n".write(toFile: dir + "/negative.txt", atomically: true, encoding: .utf8)
        let out = outDir + "/x.ddt"
        let kind = ["--kind", "color-digit"]
        let cases: [(String, [String], [UInt8]?, Int32, String)] = [
            ("rgb input", kind + ["-o", out], try streamBytes(rgb), 65, "grayscale (1-channel)"),
            ("ratio above 1", kind + ["--bias-ratio", "1.5", "-o", out], grey, 64, "--bias-ratio must be in [0, 1]"),
            ("ratio below 0", kind + ["--bias-ratio=-0.1", "-o", out], grey, 64, "--bias-ratio must be in [0, 1]"),
            ("unknown kind", ["--kind", "color-stroke", "-o", out], grey, 64, "color-digit"),
            ("unknown palette", kind + ["--palette", "rainbow", "-o", out], grey, 64, "lff"),
            ("nothing to do", ["-o", out], grey, 64, "--groups-from"),
            ("empty input", kind + ["-o", out], [], 65, "empty input"),
            ("no images", kind + ["-o", out], try streamBytes(none), 65, "no images"),
            ("groups length", ["--groups-from", dir + "/short.txt", "-o", out], grey, 65, "2 group labels but the dataset has 6"),
            ("negative group", ["--groups-from", dir + "/negative.txt", "-o", out], grey, 65, "is -2"),
            ("missing groups file", ["--groups-from", dir + "/none.txt", "-o", out], grey, 66, "none.txt"),
            ("missing input", [dir + "/none.ddt"] + kind + ["-o", out], nil, 66, "none.ddt"),
        ]
        for (what, arguments, stdin, status, fragment) in cases {
            let outcome = try ToolRunner.runTool("dd-bias", arguments, stdin: stdin)
            #expect(outcome.status == status, "\(what): \(outcome.stderr)")
            #expect(outcome.stderr.contains(fragment), "\(what): \(outcome.stderr)")
            #expect(outcome.stderrIsOneLine, "\(what): \(outcome.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDir).isEmpty, "a failed run left a file behind")
    }

    /// dd-bias → dd-eval on a tiny CMNIST: the report carries per-group and worst-group accuracy and the tags.
    @Test(.enabled(if: ToolRunner.builtTool("dd-bias") != nil && ToolRunner.builtTool("dd-eval") != nil)) func evalReportsGroupsOnATinyCMNIST() throws {
        let dir = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(greyDataset(classes: 3, perClass: 10), dir + "/grey.ddt")
        for (name, ratio) in [("train", "0.1"), ("test", "0.9")] {
            let made = try ToolRunner.runTool("dd-bias", [dir + "/grey.ddt", "--kind", "color-digit", "--bias-ratio", ratio, "-o", dir + "/\(name).ddt"])
            #expect(made.status == 0, "\(made.stderr)")
        }
        let eval = try ToolRunner.runTool("dd-eval", [dir + "/train.ddt", "--test", dir + "/test.ddt", "--json", dir + "/r.jsonl", "-q",
                                       "--arch", "mlp", "--nets", "1", "--epochs", "1", "--aug", "none", "--batch", "8",
                                       "--tag", "method=dm", "--tag", "ratio=0.1"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let lines = try String(contentsOfFile: dir + "/r.jsonl", encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(String($0)) }
        let summary = try #require(lines.first { $0["type"]?.stringValue == "summary" })
        #expect(summary["tags"]?["method"]?.stringValue == "dm" && summary["tags"]?["ratio"]?.doubleValue == 0.1)
        let network = try #require(lines.first { $0["type"]?.stringValue == "network" })
        let groups = try #require(network["groups"])
        // 3 classes × colours present in the 30-image test set (r = 0.9: one per colour per class).
        #expect(groups["per_group"]?.objectValue?.count == 30)
        #expect(groups["worst_group"]?.doubleValue != nil && groups["deo_m"]?.doubleValue != nil)
        #expect(summary["groups"]?["worst_group"]?["mean"]?.doubleValue != nil)
        // A second run under another tag, then the plot of worst-group accuracy against the ratio.
        let again = try ToolRunner.runTool("dd-eval", [dir + "/test.ddt", "--test", dir + "/test.ddt", "--json", dir + "/r.jsonl", "-q",
                                        "--arch", "mlp", "--nets", "1", "--epochs", "1", "--aug", "none", "--batch", "8",
                                        "--tag", "method=dm", "--tag", "ratio=0.9"])
        #expect(again.status == 0, "\(again.stderr)")
        guard ToolRunner.builtTool("dd-render") != nil else { return }
        let plot = try ToolRunner.runTool("dd-render", ["--plot", dir + "/r.jsonl", "-x", "ratio", "-y", "groups.worst_group", "--series",
                                         "method", "--percent", "-o", dir + "/plot.png"])
        #expect(plot.status == 0 && plot.stderr.contains("1 series (2 points)"), "\(plot.stderr)")
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/plot.png")))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    }
}
