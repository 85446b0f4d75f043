/// Why a distillation cannot start or continue. `usage` is a bad request (exit 64), `badData` an input that
/// cannot be distilled or a checkpoint that does not belong to this run (exit 65), `noInput` a missing input
/// such as an expert cache (66), `io` a failed write (74).
public struct DistillError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable { case usage, badData, noInput, io }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func usage(_ message: String) -> DistillError { DistillError(.usage, message) }
    public static func badData(_ message: String) -> DistillError { DistillError(.badData, message) }
    public static func noInput(_ message: String) -> DistillError { DistillError(.noInput, message) }
    public static func io(_ message: String) -> DistillError { DistillError(.io, message) }

    public var description: String { message }
}
