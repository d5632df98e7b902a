/// One address a subchannel can dial: a host and port, or a Unix domain socket path.
///
/// `host` is an IPv4 or IPv6 literal (IPv6 without brackets) or, for `passthrough:` targets, a
/// name the dialler resolves itself.
public enum Address: Hashable, Sendable, CustomStringConvertible {
    case hostPort(host: String, port: Int)
    case unix(path: String)

    /// `host:port`, `[v6]:port`, or the socket path: the form the API and metrics use.
    public var description: String {
        switch self {
        case .hostPort(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path):
            return path
        }
    }

    /// Whether this is an IPv6 literal (pick_first interleaves families).
    public var isIPv6: Bool {
        if case .hostPort(let host, _) = self { return host.contains(":") }
        return false
    }
}
