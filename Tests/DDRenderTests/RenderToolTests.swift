import DDData
import DDFormat
import DDTestSupport
import Foundation
import Testing
@testable import DDRender

/// End-to-end runs of the built dd-render binary (it sits next to the test bundle).
@Suite struct RenderToolTests {
    static func binary() -> String? { ToolRunner.builtTool("dd-render") }

    func render(_ arguments: [String], stdin: [UInt8]? = nil) throws -> ToolOutcome {
        try ToolRunner.runTool("dd-render", arguments, stdin: stdin)
    }

    /// A scratch directory, removed by the caller.
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dd-render-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func stream(_ dataset: Dataset) throws -> [UInt8] {
        let sink = MemorySink()
        try dataset.write(to: sink)
        return sink.bytes
    }

    /// Three classes, image i filled with 10·i + 5 (u8, 1×3×2).
    func u8Dataset(channels: Int = 1) -> Dataset {
        let labels: [Int32] = [2, 0, 1, 0, 2, 1]
        let plane = channels * 3 * 2
        let pixels = (0..<labels.count).flatMap { [UInt8](repeating: UInt8(10 * $0 + 5), count: plane) }
        return Dataset(name: "toy", images: .u8(pixels), geometry: ImageGeometry(channels: channels, height: 3, width: 2),
                       labels: labels, classNames: ["zero", "one", "two"],
                       mean: [Float](repeating: 0.5, count: channels), std: [Float](repeating: 0.25, count: channels))
    }

    @Test(.enabled(if: binary() != nil)) func drawsAFileDeterministicallyToAPathOrStdout() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("toy.ddt").path
        try Data(try stream(u8Dataset())).write(to: URL(fileURLWithPath: input))
        let png = dir.appendingPathComponent("grid.png").path
        let outcome = try render([input, "-o", png, "--no-labels", "--scale", "2", "-q"])
        #expect(outcome.status == 0 && outcome.stderr.isEmpty, "\(outcome.stderr)")
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
        let decoded = try PythonPNG.decode(written)
        // 3 rows × 2 columns of 4×6 cells, 1-px gutters: 1+4+1+4+1 = 11 wide, 1+6+1+6+1+6+1 = 22 high.
        #expect(decoded.width == 11 && decoded.height == 22 && decoded.colorType == 0)
        // Row "zero" holds images 1 and 3; row "two" holds images 0 and 4 (u8 values drawn as stored).
        let samples = decoded.samples
        #expect(samples[1 * 11 + 1] == 15 && samples[1 * 11 + 6] == 35)
        #expect(samples[15 * 11 + 1] == 5 && samples[15 * 11 + 6] == 45)
        #expect(decoded.texts["Software"] == "dd-render")
        #expect(decoded.texts["Comment"]?.contains("--no-labels") == true)
        #expect(decoded.texts["Source"]?.contains("sha256:") == true)
        let again = try render([input, "-o", png, "--no-labels", "--scale", "2", "-q"])
        let rewritten = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(again.status == 0 && rewritten == written)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["grid.png", "toy.ddt"])
    }

    @Test(.enabled(if: binary() != nil)) func readsStdinAndExportsNPZThatNumpyOpens() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let npz = dir.appendingPathComponent("toy.npz").path
        let png = dir.appendingPathComponent("toy.png").path
        let outcome = try render(["-", "--npz", npz, "-o", png], stdin: try stream(u8Dataset(channels: 3)))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(try PythonPNG.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))).colorType == 2)
        let check = """
        import numpy, sys
        z = numpy.load(sys.argv[1])
        print(z['images'].shape, z['images'].dtype, z['labels'].tolist())
        """
        let script = try PythonPNG.temporaryFile(Array(check.utf8), suffix: ".py")
        defer { try? FileManager.default.removeItem(at: script) }
        let (status, stdout, stderr) = try PythonPNG.run("python3", [script.path, npz])
        #expect(status == 0, "\(stderr)")
        #expect(String(decoding: stdout, as: UTF8.self) == "(6, 3, 3, 2) uint8 [2, 0, 1, 0, 2, 1]\n")
        // --npz alone draws nothing.
        let only = try render(["--npz", npz], stdin: try stream(u8Dataset()))
        #expect(only.status == 0 && only.stdout.isEmpty)
    }

    @Test(.enabled(if: binary() != nil)) func normalisedSyntheticSetsUseTheStreamConstants() throws {
        // One image per class, values stored as (v − 0.5) / 0.25 for v = 0.2 and 0.9.
        var dataset = u8Dataset()
        dataset.labels = [0, 1]
        dataset.images = .normalized([Float](repeating: (0.2 - 0.5) / 0.25, count: 6) + [Float](repeating: (0.9 - 0.5) / 0.25, count: 6))
        dataset.classNames = ["a", "b"]
        let outcome = try render(["--no-labels", "--gutter", "0"], stdin: try stream(dataset))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let decoded = try PythonPNG.decode(outcome.stdout)
        #expect(decoded.samples == [UInt8](repeating: 51, count: 6) + [UInt8](repeating: 230, count: 6))
    }

    @Test(.enabled(if: binary() != nil)) func badInputsEndWithOneLineAndTheirExitStatus() throws {
        let good = try stream(u8Dataset())
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.png").path
        var flipped = good
        flipped[good.count / 2] ^= 0x04
        let cases: [(String, [String], [UInt8]?, Int32, String)] = [
            ("empty input", ["-o", out], [], 65, "empty input"),
            ("truncated", ["-o", out], Array(good.prefix(good.count - 30)), 65, "<stdin>"),
            ("flipped bit", ["-o", out], flipped, 65, "<stdin>"),
            ("missing file", [dir.path + "/none.ddt", "-o", out], nil, 66, "none.ddt"),
            ("unknown class", ["-o", out, "--classes", "three"], good, 64, "known: zero, one, two"),
            ("scale 0", ["-o", out, "--scale", "0"], good, 64, "--scale"),
            ("missing directory", ["-o", dir.path + "/no/x.png"], good, 73, "does not exist"),
            ("two channels", ["-o", out], try stream(u8Dataset(channels: 2)), 65, "2-channel"),
        ]
        for (what, arguments, stdin, status, fragment) in cases {
            let outcome = try render(arguments, stdin: stdin)
            #expect(outcome.status == status, "\(what): \(outcome.stderr)")
            #expect(outcome.stderr.contains(fragment), "\(what): \(outcome.stderr)")
            #expect(outcome.stderrIsOneLine, "\(what): \(outcome.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "a failed run left a file behind")
    }

    @Test(.enabled(if: binary() != nil)) func refusesToWritePNGToATerminal() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("toy.ddt").path
        try Data(try stream(u8Dataset())).write(to: URL(fileURLWithPath: input))
        // Python's pty gives the tool a terminal on stdout, as an interactive shell would.
        let program = """
        import os, pty, sys
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[1], sys.argv[1:])
        out = b''
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        print(out.decode('utf-8', 'replace'))
        """
        let script = try PythonPNG.temporaryFile(Array(program.utf8), suffix: ".py")
        defer { try? FileManager.default.removeItem(at: script) }
        let (status, stdout, stderr) = try PythonPNG.run("python3", [script.path, try #require(Self.binary()), input])
        #expect(status == 0, "\(stderr)")
        let text = String(decoding: stdout, as: UTF8.self)
        #expect(text.hasPrefix("64\n"), "\(text)")
        #expect(text.contains("refusing to write binary output to a terminal"), "\(text)")
        #expect(!text.contains("PNG"), "\(text)")
    }
}

extension RenderToolTests {
    @Test(.enabled(if: binary() != nil)) func plotsJSONLinesAndRefusesBadOnes() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("r.jsonl").path
        try PlotTests.lines.write(toFile: good, atomically: true, encoding: .utf8)
        let png = dir.appendingPathComponent("p.png").path
        let ok = try render(["--plot", good, "-x", "tags.ratio", "-y", "accuracy", "--series", "tags.method", "--log-x",
                             "--percent", "--size", "400x300", "--title", "t", "-o", png, "-q"])
        #expect(ok.status == 0 && ok.stderr.isEmpty, "\(ok.stderr)")
        let decoded = try PythonPNG.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: png))))
        #expect(decoded.width == 400 && decoded.height == 300 && decoded.colorType == 2)
        let bad = dir.appendingPathComponent("bad.jsonl").path
        try "{\"x\":1}\nnot json\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("x.png").path
        let cases: [([String], Int32, String)] = [
            (["--plot", bad, "-x", "x", "-y", "y", "-o", out], 65, "bad.jsonl: line 2: invalid JSON"),
            (["--plot", good, "-y", "accuracy", "-o", out], 64, "-x FIELD and -y FIELD"),
            ([good, "-x", "x", "-o", out], 64, "need --plot"),
            (["--plot", good, "-x", "x", "-y", "y", "--size", "9x9", "-o", out], 64, "plot size"),
            (["--plot", dir.path + "/none.jsonl", "-x", "x", "-y", "y", "-o", out], 66, "none.jsonl"),
        ]
        for (arguments, status, fragment) in cases {
            let outcome = try render(arguments)
            #expect(outcome.status == status && outcome.stderr.contains(fragment), "\(arguments): \(outcome.stderr)")
            #expect(outcome.stderrIsOneLine, "\(outcome.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out), "a failed run left a file behind")
    }
}
