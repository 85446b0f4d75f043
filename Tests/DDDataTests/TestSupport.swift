import DDTestSupport
import Foundation
@testable import DDData

/// The SHA-256 provenance records for a source file (key `sha256.<file>`).
func sourceDigest(_ dataset: Dataset, _ file: String) -> String? {
    dataset.provenance["sha256.\(file)"]
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readFileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Runs a program (a path, or a name on PATH) and returns its stdout; throws on a non-zero status.
@discardableResult
func run(_ program: String, _ arguments: [String], stdin: Data? = nil) throws -> Data {
    Data(try ToolRunner.output(of: program, arguments, stdin: stdin.map { [UInt8]($0) }))
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
