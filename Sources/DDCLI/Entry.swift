import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Parses the command line and runs the tool. A bad flag or argument is one line on stderr (the tool's
    /// name, what is wrong, where the help is) with EX_USAGE, like every other failure of the tools; batch
    /// logs then carry one greppable line instead of ArgumentParser's usage block. `--help` and `--version`
    /// print as ArgumentParser prints them.
    public static func runAsTool(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(SysExit.ok.rawValue)
        } catch {
            exitReporting(error)
        }
    }

    /// One line on stderr and the sysexits status; only a usage error points at --help.
    private static func exitReporting(_ error: Error) -> Never {
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }  // already reported by the tool
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }  // --help, --version: ArgumentParser prints them
        let status = code == .validationFailure ? SysExit.usage : Tool.status(of: error)
        let hint = status == .usage ? " (\(toolName) --help lists the options)" : ""
        Terminal.writeStderr("\(toolName): \(usageLine(message(for: error)))\(hint)\n")
        Foundation.exit(status.rawValue)
    }

    /// The tool's name, as its help and its other errors spell it.
    static var toolName: String {
        configuration.commandName ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "dd").lastPathComponent
    }
}

/// ArgumentParser's message folded to one line without its "Help:" excerpt (the pointer to --help replaces it),
/// its first word lower-cased to read as the tools' own errors ("The value 'x' is invalid…" → "the value 'x'
/// is invalid…"); acronyms and flags are left alone.
public func usageLine(_ message: String) -> String {
    let line = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty && !$0.hasPrefix("Help:") }.joined(separator: " ")
    let characters = Array(line)
    guard characters.count > 1, characters[0].isUppercase, characters[1].isLowercase else { return line }
    return characters[0].lowercased() + String(characters.dropFirst())
}
