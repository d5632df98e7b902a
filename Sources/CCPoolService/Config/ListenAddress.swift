/// The address the HTTP server listens on: `host:port`, with IPv6 literals in brackets
/// (`[::1]:9090`). Port 0 asks the kernel for a free port (tests).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host without brackets: `0.0.0.0`, `::1`, `localhost`.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` / `[v6]:port`.
    public static func parse(_ text: String) throws(ListenAddressError) -> ListenAddress {
        func fail(_ message: String) -> ListenAddressError { ListenAddressError(text: text, message: message) }
        if text.isEmpty { throw fail("expected host:port, such as \"127.0.0.1:9090\", got an empty string") }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("\"\(text)\" is missing the ']' closing the IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else { throw fail("\"\(text)\" has no port; write it as \"[\(host)]:9090\"") }
            portText = rest.dropFirst()
            let isV6 = host.filter { $0 == ":" }.count >= 2
                && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" || ($0.isASCII && $0.isLetter) }
            guard isV6 else { throw fail("\"\(host)\" in brackets is not an IPv6 address") }
        } else {
            let colons = text.filter { $0 == ":" }.count
            if colons == 0 {
                if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    throw fail("\"\(text)\" has no host; write host:port, such as \"127.0.0.1:\(text)\"")
                }
                throw fail("\"\(text)\" has no port; write host:port, such as \"\(text):9090\"")
            }
            if colons > 1 { throw fail("\"\(text)\": an IPv6 address goes in brackets, such as \"[::1]:9090\"") }
            let colon = text.firstIndex(of: ":")!
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.isEmpty {
                throw fail("\"\(text)\" has no host; use \"0.0.0.0\(text)\" to listen on every interface")
            }
            if let bad = host.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_")) }) {
                throw fail("\"\(text)\": invalid character \"\(bad)\" in the host")
            }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else {
            throw fail("\"\(text)\": the port must be a number from 0 to 65535, got \"\(portText)\"")
        }
        return ListenAddress(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct ListenAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var message: String
    public var description: String { message }
}
