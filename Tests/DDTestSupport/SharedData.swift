import Foundation

/// The repository checkout these tests were built from (this file is Tests/DDTestSupport/SharedData.swift).
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// `relative` inside the repository, as a path.
public func repositoryPath(_ relative: String) -> String {
    repositoryRoot.appendingPathComponent(relative).path
}

/// The shared real-data mirror: $DD_DATA, else `<repo>/../shared/datasets`; nil when neither holds `dataset`.
public func sharedDatasetsDirectory(containing dataset: String = "mnist") -> String? {
    if let env = ProcessInfo.processInfo.environment["DD_DATA"], !env.isEmpty,
       FileManager.default.fileExists(atPath: env + "/" + dataset) {
        return env
    }
    let candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets").path
    return FileManager.default.fileExists(atPath: candidate + "/" + dataset) ? candidate : nil
}
