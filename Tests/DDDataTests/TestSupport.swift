import Foundation
@testable import DDData

/// The SHA-256 provenance records for a source file (key `sha256.<file>`).
func sourceDigest(_ dataset: Dataset, _ file: String) -> String? {
    dataset.provenance["sha256.\(file)"]
}

/// A fresh directory under the system temp dir, removed by the caller with `cleanUp`.
func makeTempDirectory(_ tag: String = #function) throws -> String {
    let safe = tag.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "dd-data-\(safe)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func cleanUp(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Runs a program, returning its stdout; fails the test on a non-zero status.
@discardableResult
func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    let out = Pipe()
    process.standardOutput = out
    let input = Pipe()
    if stdin != nil { process.standardInput = input }
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw DataError.io("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
    return data
}

/// The shared real-data mirror: $DD_DATA, else `<repo>/../shared/datasets` found from this file's path.
func sharedDatasetsDirectory(file: String = #filePath) -> String? {
    if let env = ProcessInfo.processInfo.environment["DD_DATA"], !env.isEmpty,
       FileManager.default.fileExists(atPath: env + "/mnist") {
        return env
    }
    let repo = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidate = repo.deletingLastPathComponent().appendingPathComponent("shared/datasets").path
    return FileManager.default.fileExists(atPath: candidate + "/mnist") ? candidate : nil
}

/// Options that look only in `mirror`: no system directories, no cache, no network.
func offlineOptions(mirror: String?, verify: Bool = true) -> FetchOptions {
    var options = FetchOptions(mirror: mirror, cacheDirectory: nil, verify: verify)
    options.useSystemDirectories = false
    options.allowDownload = false
    return options
}

/// Expects `body` to throw a DataError of `kind` whose message contains every fragment.
func expectDataError(_ kind: DataError.Kind, containing fragments: [String], _ body: () throws -> Void) -> DataError? {
    do {
        try body()
    } catch let error as DataError {
        guard error.kind == kind else { return error }
        for fragment in fragments where !error.message.contains(fragment) { return error }
        guard !error.message.contains("\n") else { return error }
        return nil
    } catch {
        return DataError.io("unexpected error type: \(error)")
    }
    return DataError.io("no error thrown")
}
