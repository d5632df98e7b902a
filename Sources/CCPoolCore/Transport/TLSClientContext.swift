import NIOCore
import NIOSSL

/// A target's TLS settings (the API's `tls`, docs/api.md), as file paths.
public struct TLSSettings: Hashable, Sendable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    /// SNI and the name checked against the certificate; defaults to the target's host name (its default
    /// authority), else the dialled host.
    public var serverName: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
    }
}

/// A loaded TLS client context, shared by every connection of a target (loading certificates
/// once, not per dial).
///
/// The name used for SNI and checked against the server's certificate is, as in gRPC: `server_name` when
/// given, else the target's host name (``Target/defaultAuthorityHost``: a `dns:///host:port` target's
/// addresses are IPs, but its certificate names the host), else the dialled host when it is a name. TLS 1.2 is
/// the oldest version offered (HTTP/2 requires it, RFC 9113 §9.2).
public struct TLSClientContext: Sendable {
    private let context: NIOSSLContext
    private let serverName: String?

    /// Loads the files; the error names the one that failed. `defaultAuthority` is the target's host name.
    public init(_ settings: TLSSettings, defaultAuthority: String? = nil) throws(TLSSettingsError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["h2"]
        configuration.minimumTLSVersion = .tlsv12
        do {
            if let caFile = settings.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
        } catch {
            throw TLSSettingsError("cannot load ca_file \(settings.caFile ?? ""): \(error)")
        }
        switch (settings.certFile, settings.keyFile) {
        case (let cert?, let key?):
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            } catch {
                throw TLSSettingsError("cannot load cert_file \(cert): \(error)")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            } catch {
                throw TLSSettingsError("cannot load key_file \(key): \(error)")
            }
        case (nil, nil):
            break
        default:
            throw TLSSettingsError("cert_file and key_file must be given together")
        }
        do {
            self.context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSettingsError("invalid TLS configuration: \(error)")
        }
        self.serverName = settings.serverName ?? defaultAuthority
    }

    func makeHandler(for address: Address) throws -> NIOSSLClientHandler {
        var hostname = serverName
        if hostname == nil, case .hostPort(let host, _) = address,
            !IPAddressText.isIPv4(host), !IPAddressText.isIPv6(host)
        {
            hostname = host
        }
        return try NIOSSLClientHandler(context: context, serverHostname: hostname)
    }
}

public struct TLSSettingsError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
