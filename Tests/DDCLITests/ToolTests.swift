import ArgumentParser
import Foundation
import Testing
@testable import DDCLI

private struct CustomFailure: ExitStatusProviding, CustomStringConvertible {
    var exitStatus: SysExit { .dataError }
    var description: String { "bad record\nsecond line" }
}

private struct Unclassified: Error {}

@Test func exitStatusesFollowSysexits() {
    #expect(SysExit.usage.rawValue == 64)
    #expect(SysExit.dataError.rawValue == 65)
    #expect(SysExit.noInput.rawValue == 66)
    #expect(SysExit.ioError.rawValue == 74)
    #expect(Tool.status(of: CustomFailure()) == .dataError)
    #expect(Tool.status(of: ValidationError("x")) == .usage)
    #expect(Tool.status(of: Unclassified()) == .software)
}

@Test func errorsAreFoldedOntoOneLine() {
    #expect(Tool.oneLine(CustomFailure()) == "bad record second line")
}

@Test func inFilePrefixesTheFileAndKeepsTheStatus() throws {
    let error = #expect(throws: ToolError.self) {
        try inFile("syn.ddt") { throw CustomFailure() }
    }
    #expect(error?.message == "syn.ddt: bad record second line")
    #expect(error?.exit == .dataError)
}

@Test func durationsAreShort() {
    #expect(formatDuration(12.4) == "12s")
    #expect(formatDuration(284) == "4m44s")
    #expect(formatDuration(3720) == "1h02m")
    #expect(formatDuration(.infinity) == "?")
}

@Test func threadsOptionIsValidated() throws {
    #expect(throws: (any Error).self) { try CommonOptions.parse(["--threads", "0"]) }
    let options = try CommonOptions.parse(["--seed", "7", "--threads", "2", "-q"])
    #expect(options.seed == 7 && options.threads == 2 && options.quiet)
}

/// Only the resolution is checked: `applyThreads` sets the process-wide count, and changing it here would
/// change the gemm split under the bitwise-determinism tests running beside this one.
@Test func threadsFlagResolves() throws {
    #expect(try CommonOptions.parse(["--threads", "1"]).resolvedThreads == 1)
    #expect(try CommonOptions.parse([]).resolvedThreads == ProcessInfo.processInfo.activeProcessorCount)
}

@Test func usageErrorsReadAsOneLineInTheToolsVoice() {
    #expect(usageLine("The value 'abc' is invalid for '--ipc <ipc>'") == "the value 'abc' is invalid for '--ipc <ipc>'")
    #expect(usageLine("Missing expected argument '--method <method>'\nHelp:  --method <method>  The method.") ==
            "missing expected argument '--method <method>'")
    #expect(usageLine("Bad value.\n  Please provide one of 'a' and 'b'.") == "bad value. Please provide one of 'a' and 'b'.")
    #expect(usageLine("IPC must be positive") == "IPC must be positive")
    #expect(usageLine("--nets must be at least 1") == "--nets must be at least 1")
}
