import CCPoolCore
import Testing

@Suite("Target parsing and static resolvers")
struct TargetParsingTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        let text: String
        let scheme: String
        let endpoint: String
        var testDescription: String { text }
    }

    static let valid: [Valid] = [
        .init(text: "dns:///payments.internal:50051", scheme: "dns", endpoint: "payments.internal:50051"),
        .init(text: "dns:///localhost", scheme: "dns", endpoint: "localhost"),
        .init(text: "dns:///[::1]:443", scheme: "dns", endpoint: "[::1]:443"),
        .init(text: "DNS:///example.com:80", scheme: "dns", endpoint: "example.com:80"),
        .init(text: "localhost:50051", scheme: "dns", endpoint: "localhost:50051"),
        .init(text: "127.0.0.1:50051", scheme: "dns", endpoint: "127.0.0.1:50051"),
        .init(text: "example.com", scheme: "dns", endpoint: "example.com"),
        .init(text: "[::1]:50051", scheme: "dns", endpoint: "[::1]:50051"),
        .init(text: "unknownscheme:80", scheme: "dns", endpoint: "unknownscheme:80"),
        .init(text: "passthrough:///10.0.0.1:443", scheme: "passthrough", endpoint: "10.0.0.1:443"),
        .init(text: "passthrough:///backend.svc:8080", scheme: "passthrough", endpoint: "backend.svc:8080"),
        .init(text: "passthrough:///[2001:db8::1]:443", scheme: "passthrough", endpoint: "[2001:db8::1]:443"),
        .init(text: "ipv4:127.0.0.1:50051", scheme: "ipv4", endpoint: "127.0.0.1:50051"),
        .init(text: "ipv4:127.0.0.1:50051,127.0.0.1:50052", scheme: "ipv4", endpoint: "127.0.0.1:50051,127.0.0.1:50052"),
        .init(text: "ipv4:///127.0.0.1:1", scheme: "ipv4", endpoint: "127.0.0.1:1"),
        .init(text: "ipv6:[::1]:50051", scheme: "ipv6", endpoint: "[::1]:50051"),
        .init(text: "ipv6:[::1]:1,[2001:db8::2]:65535", scheme: "ipv6", endpoint: "[::1]:1,[2001:db8::2]:65535"),
        .init(text: "ipv6:[::ffff:127.0.0.1]:80", scheme: "ipv6", endpoint: "[::ffff:127.0.0.1]:80"),
        .init(text: "unix:///run/x.sock", scheme: "unix", endpoint: "run/x.sock"),
        .init(text: "unix:/run/x.sock", scheme: "unix", endpoint: "/run/x.sock"),
        .init(text: "unix:relative.sock", scheme: "unix", endpoint: "relative.sock"),
    ]

    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("dns:///", "empty host"),
        ("dns:///host:notaport", "not a number"),
        ("dns:///host:0", "out of range"),
        ("dns:///host:65536", "out of range"),
        ("dns:///host:", "empty port"),
        ("dns://8.8.8.8/host:443", "authorities"),
        ("dns:///::1:443", "brackets"),
        ("dns:///[::1", "missing ']'"),
        ("dns:///[zz::1]:80", "not an IPv6"),
        ("unknownscheme:host:80", "too many colons"),
        ("host name:80", "space"),
        ("host:80\n", "control"),
        ("passthrough:///", "empty endpoint"),
        ("passthrough:///host:99999", "out of range"),
        ("ipv4:", "lists no address"),
        ("ipv4:127.0.0.1", "missing port"),
        ("ipv4:127.0.0.256:80", "not an IPv4"),
        ("ipv4:localhost:80", "not an IPv4"),
        ("ipv4:127.0.0.1:80,", "empty address"),
        ("ipv4://authority/127.0.0.1:80", "no authority"),
        ("ipv6:::1", "brackets"),
        ("ipv6:[::1]", "missing port"),
        ("ipv6:[127.0.0.1]:80", "not an IPv6"),
        ("ipv6:[1:2:3:4:5:6:7:8:9]:80", "not an IPv6"),
        ("unix://host/run/x.sock", "no authority"),
        ("unix:", "empty socket path"),
        ("unix:///", "empty socket path"),
        ("unix:/" + String(repeating: "a", count: 120), "longer than 107"),
        (":80", "empty host"),
        ("dns:///h\u{00e9}st:80", "invalid character"),
    ]

    @Test("valid targets", arguments: valid)
    func parsesValid(_ case_: Valid) throws {
        let target = try ResolverRegistry.standard.parse(case_.text)
        #expect(target.scheme == case_.scheme)
        #expect(target.endpoint == case_.endpoint)
        #expect(target.original == case_.text)
    }

    @Test("invalid targets are rejected with a message saying what is wrong", arguments: invalid)
    func rejectsInvalid(_ text: String, _ expectedFragment: String) {
        #expect {
            _ = try ResolverRegistry.standard.parse(text)
        } throws: { error in
            guard let error = error as? TargetError else { return false }
            return error.message.contains(expectedFragment) && error.description.contains("invalid target")
        }
    }

    @Test("the table has at least 30 valid and invalid targets")
    func tableSize() {
        #expect(Self.valid.count + Self.invalid.count >= 30)
    }

    @Test("ipv4, ipv6, unix and passthrough resolve to the addresses written")
    func staticAddresses() async throws {
        let cases: [(String, [Address])] = [
            ("ipv4:127.0.0.1:1,127.0.0.2:2", [.hostPort(host: "127.0.0.1", port: 1), .hostPort(host: "127.0.0.2", port: 2)]),
            ("ipv6:[::1]:3", [.hostPort(host: "::1", port: 3)]),
            ("unix:///run/x.sock", [.unix(path: "/run/x.sock")]),
            ("unix:rel.sock", [.unix(path: "rel.sock")]),
            ("passthrough:///backend:9", [.hostPort(host: "backend", port: 9)]),
            ("passthrough:///backend", [.hostPort(host: "backend", port: 443)]),
        ]
        for (text, expected) in cases {
            let result = try await ResolverProbe.resolveOnce(text)
            #expect(result == .success(ResolverResult(addresses: expected)), "\(text)")
        }
    }

    @Test("addresses print as host:port, [v6]:port, or the socket path")
    func addressDescription() {
        #expect(Address.hostPort(host: "127.0.0.1", port: 80).description == "127.0.0.1:80")
        #expect(Address.hostPort(host: "::1", port: 80).description == "[::1]:80")
        #expect(Address.unix(path: "/run/x.sock").description == "/run/x.sock")
    }

    @Test("a registered custom scheme wins over the dns fallback")
    func customScheme() throws {
        var registry = ResolverRegistry.standard
        registry.register(ManualResolverBuilder(scheme: "test"))
        #expect(try registry.parse("test:///anything").scheme == "test")
        #expect(try ResolverRegistry.standard.parse("test:80").scheme == "dns")
    }
}
