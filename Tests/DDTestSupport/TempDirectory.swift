import Foundation

/// A fresh directory under the system temp dir, named after the calling test; the caller removes it with
/// `cleanUp`.
public func makeTempDirectory(_ tag: String = #function) throws -> String {
    let safe = tag.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "dd-test-\(safe)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public func cleanUp(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
