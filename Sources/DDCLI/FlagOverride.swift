/// A command-line flag that, when given, replaces one field of a configuration. A tool lists its flags once
/// as a table, applies them together, and can name the given ones where they do not apply.
public struct FlagOverride<Root> {
    public let flag: String
    public let isGiven: Bool
    private let assign: (inout Root) -> Void

    public init<Value>(_ flag: String, _ value: Value?, _ field: WritableKeyPath<Root, Value>) {
        self.flag = flag
        isGiven = value != nil
        assign = { root in if let value { root[keyPath: field] = value } }
    }

    /// For an optional field (nil meaning "the default"): given, the flag sets it; absent, it is left alone.
    public init<Value>(_ flag: String, _ value: Value?, optional field: WritableKeyPath<Root, Value?>) {
        self.flag = flag
        isGiven = value != nil
        assign = { root in if let value { root[keyPath: field] = value } }
    }

    public func apply(to root: inout Root) { assign(&root) }
}

extension Array {
    /// Applies every given flag of the table to `root`.
    public func apply<Root>(to root: inout Root) where Element == FlagOverride<Root> {
        for override in self { override.apply(to: &root) }
    }
}
