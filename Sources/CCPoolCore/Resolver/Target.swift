/// A parsed gRPC target URI (docs/connection.md, "Targets and resolvers", gRPC's naming.md).
///
/// `scheme://authority/endpoint` or the opaque `scheme:endpoint`. A target with no scheme, or a
/// scheme no resolver is registered for, means `dns:///` followed by the whole input; the
/// ``ResolverRegistry`` makes that decision because only it knows the registered schemes.
public struct Target: Hashable, Sendable, CustomStringConvertible {
    /// The scheme of the resolver that handles this target (`dns`, `ipv4`, ...).
    public var scheme: String
    /// The authority between `//` and the next `/`, or nil when the target had no `//`.
    public var authority: String?
    /// What the resolver resolves: the path without its leading `/`, or the opaque part.
    public var endpoint: String
    /// The text the user wrote.
    public var original: String

    public init(scheme: String, authority: String?, endpoint: String, original: String) {
        self.scheme = scheme
        self.authority = authority
        self.endpoint = endpoint
        self.original = original
    }

    public var description: String { original }

    /// Splits `text` into scheme, authority and endpoint, without judging the scheme.
    ///
    /// Returns nil when `text` does not start with a syntactically valid scheme followed by `:`.
    static func split(_ text: String) -> Target? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        let rest = text[text.index(after: colon)...]
        if rest.hasPrefix("//") {
            let afterSlashes = rest.dropFirst(2)
            let slash = afterSlashes.firstIndex(of: "/") ?? afterSlashes.endIndex
            let authority = String(afterSlashes[..<slash])
            let path = afterSlashes[slash...]
            return Target(
                scheme: scheme.lowercased(), authority: authority,
                endpoint: String(path.dropFirst()), original: text)
        }
        return Target(scheme: scheme.lowercased(), authority: nil, endpoint: String(rest), original: text)
    }
}

/// Why a target was rejected. The message says what is wrong, for API errors and logs.
public struct TargetError: Error, Hashable, Sendable, CustomStringConvertible {
    public var target: String
    public var message: String

    public init(target: String, message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "invalid target \"\(target)\": \(message)" }
}
