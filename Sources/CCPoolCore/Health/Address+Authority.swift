extension Address {
    /// The `:authority` for an RPC to this address: `host:port` (`[v6]:port`), or `localhost`
    /// for a Unix socket, as gRPC does.
    public var authority: String {
        switch self {
        case .hostPort: return description
        case .unix: return "localhost"
        }
    }
}
