/// A rendering failure. `kind` tells the command-line layer whether the caller asked for something
/// impossible (a usage error) or the input itself is unusable (a data error).
public struct RenderError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case invalidArgument   // options that cannot be honoured (scale 0, an unknown class name, …)
        case invalidData       // the images, labels or constants are inconsistent
        case internalFailure   // zlib refused work it should accept
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func argument(_ message: String) -> RenderError { RenderError(.invalidArgument, message) }
    static func data(_ message: String) -> RenderError { RenderError(.invalidData, message) }

    public var description: String { message }
}
