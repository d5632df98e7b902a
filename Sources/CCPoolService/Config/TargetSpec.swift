import CCPoolCore
import NIOCore

/// What one target of the pool should be: its URI and its channel settings (the API's `TargetSpec`, docs/api.md).
///
/// The same shape arrives from a config file entry (plus its `name`) and from the admin API's
/// `PUT /v1/targets/{name}` body; both go through the same checks, so a value that is valid in
/// one is valid in the other. A `TargetSpec` value is always valid: the URI parsed, the service
/// config parsed against the standard balancers, the backoff checked.
///
/// Equality compares what the user configured (service configs by their canonical JSON text), so
/// the pool can tell a no-op from a change; ``changes(from:)`` says which part changed.
public struct TargetSpec: Sendable, Hashable {
    /// The fields, immutable and shared by every copy: the config's target list, the service's table
    /// by name and the pool keep one reference each instead of ~370 bytes of fields per entry.
    private final class Storage: Sendable {
        let target: String
        let serviceConfigJSON: String?
        let tls: TLSSettings?
        let labels: [String: String]
        let idle: IdleMode
        let keepalive: KeepaliveConfiguration?
        let backoff: BackoffConfiguration
        let parsedTarget: Target
        let serviceConfig: ServiceConfig

        init(
            target: String, serviceConfigJSON: String?, tls: TLSSettings?, labels: [String: String], idle: IdleMode,
            keepalive: KeepaliveConfiguration?, backoff: BackoffConfiguration, parsedTarget: Target,
            serviceConfig: ServiceConfig
        ) {
            self.target = target
            self.serviceConfigJSON = serviceConfigJSON
            self.tls = tls
            self.labels = labels
            self.idle = idle
            self.keepalive = keepalive
            self.backoff = backoff
            self.parsedTarget = parsedTarget
            self.serviceConfig = serviceConfig
        }
    }

    private let storage: Storage

    /// The target URI as written (`dns:///payments.internal:50051`, `host:port`, ...).
    public var target: String { storage.target }
    /// The service config as canonical JSON (sorted keys, no spaces), or nil for none.
    public var serviceConfigJSON: String? { storage.serviceConfigJSON }
    /// TLS settings; nil means plaintext.
    public var tls: TLSSettings? { storage.tls }
    /// Free-form labels (``TargetLabels`` says which are allowed).
    public var labels: [String: String] { storage.labels }
    public var idle: IdleMode { storage.idle }
    /// HTTP/2 keepalive; nil means none (the default).
    public var keepalive: KeepaliveConfiguration? { storage.keepalive }
    public var backoff: BackoffConfiguration { storage.backoff }

    /// `target`, parsed by ``ResolverRegistry/standard``.
    public var parsedTarget: Target { storage.parsedTarget }
    /// `serviceConfigJSON`, parsed (``ServiceConfig/default`` when none was given).
    public var serviceConfig: ServiceConfig { storage.serviceConfig }

    /// Validates and builds a spec from Swift values, with the same rules as the JSON and YAML
    /// readers. `serviceConfig` is service config JSON text.
    public init(
        target: String,
        serviceConfig: String? = nil,
        tls: TLSSettings? = nil,
        labels: [String: String] = [:],
        idle: IdleMode = .connected,
        keepalive: KeepaliveConfiguration? = nil,
        backoff: BackoffConfiguration = .init()
    ) throws(ConfigError) {
        var problems: [ConfigDiagnostic] = []
        func problem(_ path: String, _ message: String) {
            problems.append(ConfigDiagnostic(origin: .none, path: path, message: message))
        }
        var parsed: Target?
        do { parsed = try ResolverRegistry.standard.parse(target) } catch { problem("target", error.description) }
        var canonical: String?
        var config = ServiceConfig.default
        if let serviceConfig {
            switch Self.parseServiceConfig(text: serviceConfig) {
            case .success(let (text, value)): (canonical, config) = (text, value)
            case .failure(let error): problem("service_config", error.message)
            }
        }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            if let message = TargetLabels.problem(withKey: key) { problem("labels", message) }
            if let message = TargetLabels.problem(withValue: value) { problem("labels.\(key)", message) }
        }
        if labels.count > TargetLabels.maximumCount {
            problem("labels", "at most \(TargetLabels.maximumCount) labels, got \(labels.count)")
        }
        if let tls, (tls.certFile == nil) != (tls.keyFile == nil) {
            problem("tls", "cert_file and key_file go together: give both or neither")
        }
        if let keepalive {
            if keepalive.time <= .zero { problem("keepalive.time", "must be more than zero") }
            if keepalive.timeout <= .zero { problem("keepalive.timeout", "must be more than zero") }
        }
        do { try backoff.validate() } catch { problem("backoff", error.message) }
        guard problems.isEmpty, let parsed else {
            throw ConfigError(code: .invalid, diagnostics: problems)
        }
        self.init(
            validatedTarget: target, parsedTarget: parsed, serviceConfigJSON: canonical, serviceConfig: config,
            tls: tls, labels: labels, idle: idle, keepalive: keepalive, backoff: backoff)
    }

    /// For readers that already checked every value.
    init(
        validatedTarget target: String, parsedTarget: Target, serviceConfigJSON: String?, serviceConfig: ServiceConfig,
        tls: TLSSettings?, labels: [String: String], idle: IdleMode, keepalive: KeepaliveConfiguration?,
        backoff: BackoffConfiguration
    ) {
        storage = Storage(
            target: target, serviceConfigJSON: serviceConfigJSON, tls: tls, labels: labels, idle: idle,
            keepalive: keepalive, backoff: backoff, parsedTarget: parsedTarget, serviceConfig: serviceConfig)
    }

    /// The defaults of docs/connection.md, "Subchannels" 8 and 9: gRPC backoff (1 s, ×1.6, ±20 %, 120 s, 20 s), no
    /// keepalive unless given (its timeout defaulting to 20 s), `idle: connected`, plaintext.
    public static let defaultBackoff = BackoffConfiguration()
    public static let defaultKeepaliveTimeout = TimeAmount.seconds(20)

    public static func == (lhs: TargetSpec, rhs: TargetSpec) -> Bool {
        lhs.target == rhs.target && lhs.serviceConfigJSON == rhs.serviceConfigJSON && lhs.tls == rhs.tls
            && lhs.labels == rhs.labels && lhs.idle == rhs.idle && lhs.keepalive == rhs.keepalive
            && lhs.backoff == rhs.backoff
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(target)
        hasher.combine(serviceConfigJSON)
        hasher.combine(tls)
        hasher.combine(labels)
        hasher.combine(idle)
        hasher.combine(keepalive)
        hasher.combine(backoff)
    }

    /// Parses service config JSON text into its canonical text and its parsed value.
    static func parseServiceConfig(text: String) -> Result<(String, ServiceConfig), ServiceConfigError> {
        let node: ConfigNode
        do {
            node = try ConfigNode.parseJSON(Array(text.utf8))
        } catch {
            return .failure(ServiceConfigError("service config is not valid JSON: \(error.message)"))
        }
        return parseServiceConfig(node: node)
    }

    /// Canonicalises a service config tree (from JSON text, a JSON object or a YAML mapping) and parses it.
    static func parseServiceConfig(node: ConfigNode) -> Result<(String, ServiceConfig), ServiceConfigError> {
        guard case .mapping = node.value else {
            return .failure(ServiceConfigError("service config must be a JSON object, got \(node.kindDescription)"))
        }
        let canonical = node.canonicalJSON
        do {
            return .success((canonical, try ServiceConfig.parse(canonical)))
        } catch {
            return .failure(error)
        }
    }
}
