import DDData
import Foundation

/// How a `--test NAME|FILE` argument is read: as a stream (a path, or `-` for stdin) or as a registry name.
/// A directory called like a dataset (the `mnist/` a user made for a run) must not shadow the name, so a
/// directory counts as a path only when the text names no dataset — then reading it gives the usual error.
public enum DatasetArgument {
    public static func isStreamPath(_ text: String) -> Bool {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory)
        return isStreamPath(text, existing: exists ? isDirectory.boolValue : nil)
    }

    /// `existing`: nil when nothing is at the path, else whether it is a directory.
    static func isStreamPath(_ text: String, existing isDirectory: Bool?) -> Bool {
        if text == "-" { return true }
        guard let isDirectory else { return false }
        return !isDirectory || (try? DatasetRegistry.spec(named: text)) == nil
    }
}
