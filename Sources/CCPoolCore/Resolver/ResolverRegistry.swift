/// The resolver builders known to a process, by scheme, and target parsing (docs/connection.md, "Targets and
/// resolvers").
///
/// A value type: build one at start-up (``standard`` plus anything tests add) and pass it down.
public struct ResolverRegistry: Sendable {
    private var builders: [String: any ResolverBuilder] = [:]

    public init(_ builders: [any ResolverBuilder] = []) {
        for builder in builders { self.register(builder) }
    }

    /// passthrough, dns, ipv4, ipv6 and unix.
    public static let standard = ResolverRegistry([
        PassthroughResolverBuilder(), DNSResolverBuilder(), IPResolverBuilder(family: .v4),
        IPResolverBuilder(family: .v6), UnixResolverBuilder(),
    ])

    /// Adds or replaces the builder for `builder.scheme`.
    public mutating func register(_ builder: any ResolverBuilder) {
        builders[builder.scheme.lowercased()] = builder
    }

    public func builder(for scheme: String) -> (any ResolverBuilder)? {
        builders[scheme.lowercased()]
    }

    public var schemes: [String] { builders.keys.sorted() }

    /// Parses and validates `text`. No scheme, or one with no registered builder, means
    /// `dns:///` + the whole text (gRPC's rule).
    public func parse(_ text: String) throws(TargetError) -> Target {
        if text.isEmpty { throw TargetError(target: text, message: "the target is empty") }
        if let bad = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0 == " " }) {
            throw TargetError(
                target: text,
                message: "the target contains a space or control character (U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
        if let split = Target.split(text), let builder = builder(for: split.scheme) {
            try builder.validate(split)
            return split
        }
        let fallback = Target(scheme: "dns", authority: "", endpoint: text, original: text)
        guard let dns = builder(for: "dns") else {
            throw TargetError(target: text, message: "no resolver is registered for this target's scheme, and none for dns")
        }
        try dns.validate(fallback)
        return fallback
    }

    /// Builds the resolver for a parsed target.
    public func makeResolver(for target: Target, context: ResolverContext) throws(TargetError) -> any NameResolver {
        guard let builder = builder(for: target.scheme) else {
            throw TargetError(target: target.original, message: "no resolver is registered for scheme \"\(target.scheme)\"")
        }
        return builder.build(target: target, context: context)
    }
}
