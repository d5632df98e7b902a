/// Parsing of `host:port`, `[v6]:port` and bare hosts, shared by the resolvers.
enum HostPort {
    /// Parses `text` into a host and port.
    ///
    /// - Parameter defaultPort: used when `text` has no port; nil makes a missing port an error.
    /// - Throws: a message (without the target) saying what is wrong.
    static func parse(_ text: String, defaultPort: Int?) throws(HostPortError) -> (host: String, port: Int) {
        if text.isEmpty { throw HostPortError("empty address") }
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw HostPortError("missing ']' in \"\(text)\"") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.first == ":" {
                portText = after.dropFirst()
            } else {
                throw HostPortError("unexpected \"\(after)\" after ']' in \"\(text)\"")
            }
            guard IPAddressText.isIPv6(host) else { throw HostPortError("\"\(host)\" is not an IPv6 address") }
        } else {
            let colons = text.filter { $0 == ":" }.count
            if colons > 1 { throw HostPortError("too many colons in \"\(text)\" (IPv6 addresses need brackets, like [::1]:443)") }
            if let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                portText = text[text.index(after: colon)...]
            } else {
                host = Substring(text)
                portText = nil
            }
        }
        if host.isEmpty { throw HostPortError("empty host in \"\(text)\"") }
        if let bad = host.first(where: { $0.isWhitespace || $0 == "/" || $0 == "@" || !$0.isASCII }) {
            throw HostPortError("invalid character \"\(bad)\" in host \"\(host)\"")
        }
        let port: Int
        if let portText {
            port = try parsePort(portText, in: text)
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw HostPortError("missing port in \"\(text)\"")
        }
        return (String(host), port)
    }

    static func parsePort(_ text: Substring, in whole: String) throws(HostPortError) -> Int {
        if text.isEmpty { throw HostPortError("empty port in \"\(whole)\"") }
        guard text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text) else {
            throw HostPortError("port \"\(text)\" is not a number from 1 to 65535")
        }
        guard (1...65535).contains(port) else { throw HostPortError("port \(port) is out of range 1-65535") }
        return port
    }
}

struct HostPortError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Syntax checks for IP literals, without touching the network.
enum IPAddressText {
    static func isIPv4<S: StringProtocol>(_ text: S) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(part)
            else { return false }
            return value <= 255 && !(part.count > 1 && part.first == "0")
        }
    }

    static func isIPv6<S: StringProtocol>(_ text: S) -> Bool {
        // Strip a zone id (fe80::1%eth0).
        var text = Substring(text)
        if let percent = text.firstIndex(of: "%") {
            if text[text.index(after: percent)...].isEmpty { return false }
            text = text[..<percent]
        }
        if text.isEmpty || !text.contains(":") { return false }
        let doubleColons = text.ranges(of: "::").count
        if doubleColons > 1 { return false }
        var groups = text.split(separator: ":", omittingEmptySubsequences: false)
        // A leading or trailing "::" produces empty groups at the ends; drop them.
        if text.hasPrefix("::") { groups.removeFirst() }
        if text.hasSuffix("::") { groups.removeLast() }
        var count = 0
        for (index, group) in groups.enumerated() {
            if group.isEmpty {
                if doubleColons == 1 { continue }
                return false
            }
            if index == groups.count - 1, group.contains(".") {
                guard isIPv4(group) else { return false }
                count += 2
                continue
            }
            guard group.count <= 4, group.allSatisfy({ $0.isHexDigit }) else { return false }
            count += 1
        }
        return doubleColons == 1 ? count < 8 : count == 8
    }
}
