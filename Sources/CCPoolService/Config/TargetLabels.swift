/// The rules for a target's labels (`labels: {team: billing}`), free-form metadata shown by the
/// API and the dashboard.
///
/// Keys: 1–63 characters of `[A-Za-z0-9_.-]`, starting with a letter or `_` (so they can become
/// label names or JSON keys without escaping). Values: at most 256 characters, no control
/// characters. At most 64 labels per target.
public enum TargetLabels {
    public static let maximumCount = 64
    public static let maximumKeyLength = 63
    public static let maximumValueLength = 256

    /// Nil when `key` is acceptable, else what is wrong with it.
    public static func problem(withKey key: String) -> String? {
        let scalars = key.unicodeScalars
        guard let first = scalars.first else { return "a label key must not be empty" }
        if scalars.count > maximumKeyLength {
            return "a label key is at most \(maximumKeyLength) characters, \"\(key)\" has \(scalars.count)"
        }
        if !(("a"..."z").contains(first) || ("A"..."Z").contains(first) || first == "_") {
            return "a label key must start with a letter or '_', \"\(key)\" does not"
        }
        if let bad = scalars.first(where: { !TargetName.isAllowed($0) }) {
            return "a label key may only contain letters, digits, '.', '_' and '-'; \"\(key)\" has \(TargetName.describe(bad))"
        }
        return nil
    }

    /// Nil when `value` is acceptable, else what is wrong with it.
    public static func problem(withValue value: String) -> String? {
        if value.unicodeScalars.count > maximumValueLength {
            return "a label value is at most \(maximumValueLength) characters, this one has \(value.unicodeScalars.count)"
        }
        if let bad = value.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            return "a label value must not contain control characters; found \(TargetName.describe(bad))"
        }
        return nil
    }
}
