extension Target {
    /// The host name of the target's default authority, as gRPC derives it: the host of a `dns:` or
    /// `passthrough:` endpoint (`payments.internal` for `dns:///payments.internal:50051`).
    ///
    /// TLS uses it for SNI and to check the server's certificate, because the resolver hands the subchannels
    /// IP addresses only. Nil when the endpoint is an IP literal (the certificate is then checked against the
    /// address dialled) or the scheme names no host (`ipv4:`, `unix:`).
    public var defaultAuthorityHost: String? {
        guard scheme == "dns" || scheme == "passthrough" else { return nil }
        guard let (host, _) = try? HostPort.parse(endpoint, defaultPort: 443), !host.isEmpty else { return nil }
        return IPAddressText.isIPv4(host) || IPAddressText.isIPv6(host) ? nil : host
    }
}
