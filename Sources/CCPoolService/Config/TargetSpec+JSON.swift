import CCPoolCore
import NIOCore

extension TargetSpec {
    /// Decodes the admin API's `PUT /v1/targets/{name}` body.
    ///
    /// Every problem is reported, each with its path from `body`
    /// (`body.backoff.multiplier: expected a number, got "fast"`). The code is ``ConfigError/Code/malformed``
    /// for an empty body or text that is not JSON, ``ConfigError/Code/invalid`` otherwise. The name
    /// is not part of the body: it comes from the URL.
    public static func decode(json bytes: some Sequence<UInt8>) throws(ConfigError) -> TargetSpec {
        let bytes = Array(bytes)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw ConfigError(
                code: .malformed,
                diagnostics: [.init(origin: .none, path: "body", message: "the body is empty; expected a JSON object with at least \"target\"")])
        }
        let root: ConfigNode
        do {
            root = try ConfigNode.parseJSON(bytes)
        } catch {
            throw ConfigError(
                code: .malformed, diagnostics: [.init(origin: .none, path: "body", message: "not valid JSON: \(error.message)")])
        }
        var reader = ConfigReader(dialect: .json, source: .fixed(.none))
        guard var fields = reader.fields(root, "body") else {
            throw ConfigError(code: .invalid, diagnostics: reader.diagnostics)
        }
        let spec = read(&fields, &reader)
        fields.finish(&reader, hint: ["name": "the name comes from the URL, not the body"])
        guard let spec, reader.diagnostics.isEmpty else {
            throw ConfigError(code: .invalid, diagnostics: reader.diagnostics)
        }
        return spec
    }

    /// The spec as a JSON object, keys sorted, for `GET /v1/targets/{name}` and for persisting
    /// admin-added targets; ``decode(json:)`` reads it back to an equal spec.
    ///
    /// Without `includingDefaults` only what differs from the defaults is written (what a user
    /// would have typed; persisted specs then follow future default changes). With it, `idle`,
    /// `labels` and the full `backoff` are always present, to show the effective settings.
    public func jsonText(includingDefaults: Bool = false) -> String {
        node(includingDefaults: includingDefaults).canonicalJSON
    }

    /// ``jsonText(includingDefaults:)`` as UTF-8 bytes.
    public func jsonBytes(includingDefaults: Bool = false) -> [UInt8] {
        Array(jsonText(includingDefaults: includingDefaults).utf8)
    }

    func node(includingDefaults: Bool) -> ConfigNode {
        var pairs: [(key: String, keyLocation: ConfigNode.Location?, value: ConfigNode)] = []
        func add(_ key: String, _ value: ConfigNode.Value) { pairs.append((key, nil, ConfigNode(value))) }
        func duration(_ amount: TimeAmount) -> ConfigNode.Value { .string(DurationText(amount).description) }

        add("target", .string(target))
        if let serviceConfigJSON {
            // Canonical text of a config that parsed; parsing it again cannot fail.
            add("service_config", (try? ConfigNode.parseJSON(Array(serviceConfigJSON.utf8)))?.value ?? .string(serviceConfigJSON))
        }
        if let tls {
            var object: [(key: String, keyLocation: ConfigNode.Location?, value: ConfigNode)] = [("enabled", nil, ConfigNode(.bool(true)))]
            for (key, value) in [("ca_file", tls.caFile), ("cert_file", tls.certFile), ("key_file", tls.keyFile), ("server_name", tls.serverName)] {
                if let value { object.append((key, nil, ConfigNode(.string(value)))) }
            }
            add("tls", .mapping(object))
        }
        if includingDefaults || !labels.isEmpty {
            add("labels", .mapping(labels.map { ($0.key, nil, ConfigNode(.string($0.value))) }))
        }
        if includingDefaults || idle != .connected {
            add("idle", .string(idle.rawValue))
        }
        if let keepalive {
            add("keepalive", .mapping([("time", nil, ConfigNode(duration(keepalive.time))), ("timeout", nil, ConfigNode(duration(keepalive.timeout)))]))
        }
        let defaults = Self.defaultBackoff
        var backoffPairs: [(key: String, keyLocation: ConfigNode.Location?, value: ConfigNode)] = []
        if includingDefaults || backoff.baseDelay != defaults.baseDelay {
            backoffPairs.append(("base_delay", nil, ConfigNode(duration(backoff.baseDelay))))
        }
        if includingDefaults || backoff.multiplier != defaults.multiplier {
            backoffPairs.append(("multiplier", nil, ConfigNode(.float(backoff.multiplier))))
        }
        if includingDefaults || backoff.jitter != defaults.jitter {
            backoffPairs.append(("jitter", nil, ConfigNode(.float(backoff.jitter))))
        }
        if includingDefaults || backoff.maxDelay != defaults.maxDelay {
            backoffPairs.append(("max_delay", nil, ConfigNode(duration(backoff.maxDelay))))
        }
        if includingDefaults || backoff.minConnectTimeout != defaults.minConnectTimeout {
            backoffPairs.append(("min_connect_timeout", nil, ConfigNode(duration(backoff.minConnectTimeout))))
        }
        if !backoffPairs.isEmpty { add("backoff", .mapping(backoffPairs)) }
        return ConfigNode(.mapping(pairs))
    }
}
