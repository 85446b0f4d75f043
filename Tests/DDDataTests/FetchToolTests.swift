import Foundation
import Testing
import DDFormat
import DDTestSupport
@testable import DDData

/// End-to-end runs of the built dd-fetch binary (it sits next to the test bundle).
@Suite struct FetchToolTests {
    func fetch(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolOutcome {
        try ToolRunner.runTool("dd-fetch", arguments, environment: environment, unsetting: ["DD_DATA"])
    }

    @Test func writesAVerifiedStreamThatPythonReads() throws {
        let mirror = try #require(sharedDatasetsDirectory())
        let dir = try makeTempDirectory()
        defer { cleanUp(dir) }
        let path = dir + "/m.ddt"
        let outcome = try fetch(["mnist", "--split", "test", "--from", mirror, "--per-class", "7", "--seed", "1",
                                 "--offline", "-o", path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let dataset = try Dataset.read(from: StreamReader(bytes: try readFileBytes(path)), verifyDigest: true)
        #expect(dataset.count == 70 && dataset.name == "mnist")
        #expect(dataset.provenance["tool"] == "dd-fetch" && dataset.provenance["selection"] == "per_class=7 seed=1")
        #expect(dataset.provenance["split"] == "test")
        let listing = String(decoding: try run("python3", [repositoryPath("python/ddt.py"), path]), as: UTF8.self)
        #expect(listing == "images (70, 1, 28, 28) uint8\nlabels (70,) int32\n")
        // The stored digest, recomputed in Python from docs/format.md §6.1.
        let digestScript = """
        import hashlib, sys
        sys.path.insert(0, sys.argv[2])
        import ddt
        arrays, meta = ddt.load(sys.argv[1])
        images, labels = arrays["images"], arrays["labels"]
        h = hashlib.sha256(b"dd-dataset-v1\\n")
        h.update(("images u8 %d %d %d %d\\n" % images.shape).encode() + images.tobytes())
        h.update(("labels i32 %d\\n" % len(labels)).encode() + labels.astype("<i4").tobytes())
        stream = meta["stream"]
        print("sha256:" + h.hexdigest() == stream["content_digest"], stream["name"], stream["provenance"]["split"])
        """
        let digestCheck = String(decoding: try run("python3", ["-c", digestScript, path, repositoryPath("python")]), as: UTF8.self)
        #expect(digestCheck == "True mnist test\n")
        // Stdout carries the same content (only provenance.command differs, it records the arguments).
        let piped = try fetch(["mnist", "--split", "test", "--from", mirror, "--per-class", "7", "--seed", "1", "--offline"])
        #expect(piped.status == 0)
        let fromPipe = try Dataset.read(from: StreamReader(bytes: [UInt8](piped.stdout)), verifyDigest: true)
        #expect(fromPipe.contentDigest == dataset.contentDigest && fromPipe.images == dataset.images)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["m.ddt"])
    }

    @Test func badInputsGiveOneLineErrorsAndStatuses() throws {
        let dir = try makeTempDirectory()
        defer { cleanUp(dir) }
        let env = ["HOME": dir, "XDG_CACHE_HOME": dir + "/cache"]
        let unknown = try fetch(["imagenet", "-o", dir + "/x.ddt"], environment: env)
        #expect(unknown.status == 64 && unknown.stderrIsOneLine && unknown.stderr.contains("known: mnist, fashion-mnist"))
        let missing = try fetch(["mnist", "--from", dir + "/nowhere", "--offline", "-o", dir + "/x.ddt"], environment: env)
        #expect(missing.status == 66 && missing.stderrIsOneLine)
        #expect(missing.stderr.contains(dir + "/nowhere/mnist/train-images-idx3-ubyte{.gz,}"))
        #expect(missing.stderr.contains(dir + "/cache/dd/mnist/"))
        // A corrupt IDX file in the mirror: bad data, and no output file appears.
        try FileManager.default.createDirectory(atPath: dir + "/m/mnist", withIntermediateDirectories: true)
        try writeFile(dir + "/m/mnist/t10k-images-idx3-ubyte", [0, 0, 8, 1, 0, 0, 0, 1, 7])
        let corrupt = try fetch(["mnist", "--split", "test", "--from", dir + "/m", "--offline", "--no-verify",
                                 "-o", dir + "/x.ddt"], environment: env)
        #expect(corrupt.status == 65 && corrupt.stderrIsOneLine && corrupt.stderr.contains("wrong IDX magic"))
        let mismatch = try fetch(["mnist", "--split", "test", "--from", dir + "/m", "--offline", "-o", dir + "/x.ddt"],
                                 environment: env)
        #expect(mismatch.status == 65 && mismatch.stderr.contains("SHA-256 mismatch"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.ddt"))
        let usage = try fetch(["mnist", "--level", "12"], environment: env)
        #expect(usage.status == 64 && usage.stderrIsOneLine, "\(usage.stderr)")
        // ArgumentParser's own errors are one line in the tool's voice too, pointing at --help.
        let unknownFlag = try fetch(["mnist", "--bogus"], environment: env)
        #expect(unknownFlag.status == 64 && unknownFlag.stderrIsOneLine, "\(unknownFlag.stderr)")
        #expect(unknownFlag.stderr.hasPrefix("dd-fetch: ") && unknownFlag.stderr.contains("'--bogus'"))
        #expect(unknownFlag.stderr.contains("dd-fetch --help") && !unknownFlag.stderr.contains("Usage:"))
        let noDataset = try fetch([], environment: env)
        #expect(noDataset.status == 64 && noDataset.stderrIsOneLine, "\(noDataset.stderr)")
        // --help still prints the whole help on stdout and succeeds.
        let help = try fetch(["--help"], environment: env)
        #expect(help.status == 0 && help.stdoutText.contains("USAGE: dd-fetch") && help.stderr.isEmpty, "\(help.stderr)")
    }

    @Test func refusesToWriteBinaryToATerminal() throws {
        // Python's pty gives dd-fetch a terminal as stdout; the refusal must come before any data is read.
        let script = """
        import os, pty, subprocess, sys
        master, slave = pty.openpty()
        p = subprocess.run([sys.argv[1], "mnist", "--from", "/nonexistent", "--offline"], stdout=slave, stderr=subprocess.PIPE)
        print(p.returncode, p.stderr.decode().strip())
        """
        let tool = try ToolRunner.requireBuiltTool("dd-fetch")
        let output = String(decoding: try run("python3", ["-c", script, tool]), as: UTF8.self)
        #expect(output.hasPrefix("64 "), "\(output)")
        #expect(output.contains("terminal"))
    }

    @Test func aReaderThatLeavesEarlyEndsTheToolQuietly() throws {
        // `dd-fetch mnist --split test | head -c 100`: the tool must end by SIGPIPE, as a Unix filter does,
        // with nothing on stderr.
        let mirror = try #require(sharedDatasetsDirectory(), "real MNIST not found ($DD_DATA or ../shared/datasets)")
        let script = """
        import subprocess, sys
        p = subprocess.Popen([sys.argv[1], "mnist", "--split", "test", "--from", sys.argv[2], "--level", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.read(100)
        p.stdout.close()
        err = p.stderr.read().decode()
        print(p.wait(), repr(err))
        """
        let tool = try ToolRunner.requireBuiltTool("dd-fetch")
        let output = String(decoding: try run("python3", ["-c", script, tool, mirror]), as: UTF8.self)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "-13 ''", "\(output)")
    }
}
