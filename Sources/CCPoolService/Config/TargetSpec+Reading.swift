import CCPoolCore
import NIOCore

extension TargetSpec {
    /// The fields a `TargetSpec` has (a config file entry has `name` too).
    static let fieldNames = ["target", "service_config", "tls", "labels", "idle", "keepalive", "backoff"]

    /// Reads a spec's fields from `fields` (a config file entry or a JSON body), reporting every
    /// problem to `reader`. Returns nil if anything was wrong. Does not call `fields.finish`: the
    /// caller may take more fields (`name`) first.
    static func read(_ fields: inout Fields, _ reader: inout ConfigReader) -> TargetSpec? {
        let before = reader.diagnostics.count

        var target: String?
        var parsedTarget: Target?
        if let node = fields.take("target") {
            let path = fields.path("target")
            if let text = reader.string(node, path) {
                do {
                    parsedTarget = try ResolverRegistry.standard.parse(text)
                    target = text
                } catch {
                    reader.report(path, at: node, error.description)
                }
            }
        } else {
            reader.report(fields.path("target"), at: fields.location, "required field is missing")
        }

        var serviceConfigJSON: String?
        var serviceConfig = ServiceConfig.default
        if let node = fields.take("service_config") {
            let result: Result<(String, ServiceConfig), ServiceConfigError>
            switch node.value {
            case .string(let text): result = parseServiceConfig(text: text)
            case .mapping: result = parseServiceConfig(node: node)
            default:
                result = .failure(
                    ServiceConfigError("expected \(reader.mappingWord) or a string holding JSON, got \(node.kindDescription)"))
            }
            switch result {
            case .success(let (text, config)): (serviceConfigJSON, serviceConfig) = (text, config)
            case .failure(let error): reader.report(fields.path("service_config"), at: node, error.message)
            }
        }

        let tls = fields.take("tls").flatMap { readTLS($0, fields.path("tls"), &reader) }
        let labels = fields.take("labels").map { readLabels($0, fields.path("labels"), &reader) } ?? [:]
        let idle =
            fields.take("idle").flatMap {
                reader.choice($0, fields.path("idle"), [("connected", IdleMode.connected), ("lazy", IdleMode.lazy)])
            } ?? .connected
        let keepalive = fields.take("keepalive").flatMap { readKeepalive($0, fields.path("keepalive"), &reader) }
        let backoff = fields.take("backoff").flatMap { readBackoff($0, fields.path("backoff"), &reader) } ?? defaultBackoff

        guard reader.diagnostics.count == before, let target, let parsedTarget else { return nil }
        return TargetSpec(
            validatedTarget: target, parsedTarget: parsedTarget, serviceConfigJSON: serviceConfigJSON,
            serviceConfig: serviceConfig, tls: tls, labels: labels, idle: idle, keepalive: keepalive, backoff: backoff)
    }

    /// `tls`: `enabled` defaults to true when the block is given (`tls: {}` is TLS with the system
    /// roots); `enabled: false` with any file or name set is an error (a half-edited block);
    /// `cert_file` and `key_file` go together. Returns nil for plaintext or on error.
    private static func readTLS(_ node: ConfigNode, _ path: String, _ reader: inout ConfigReader) -> TLSSettings? {
        guard var fields = reader.fields(node, path) else { return nil }
        let before = reader.diagnostics.count
        let enabledNode = fields.take("enabled")
        let enabled = enabledNode.flatMap { reader.bool($0, fields.path("enabled")) } ?? true
        var settings = TLSSettings()
        var given: [(String, ConfigNode)] = []
        for (key, keyPath) in [
            ("ca_file", \TLSSettings.caFile), ("cert_file", \.certFile), ("key_file", \.keyFile),
            ("server_name", \.serverName),
        ] {
            guard let value = fields.take(key) else { continue }
            given.append((key, value))
            settings[keyPath: keyPath] = reader.nonEmptyString(value, fields.path(key))
        }
        fields.finish(&reader)
        if !enabled {
            for (key, value) in given {
                reader.report(fields.path(key), at: value, "given while tls.enabled is false; remove it or enable TLS")
            }
            return nil
        }
        let cert = given.first { $0.0 == "cert_file" }
        let key = given.first { $0.0 == "key_file" }
        if let cert, key == nil {
            reader.report(fields.path("cert_file"), at: cert.1, "cert_file needs key_file (a client certificate needs its key)")
        } else if let key, cert == nil {
            reader.report(fields.path("key_file"), at: key.1, "key_file needs cert_file (a client key needs its certificate)")
        }
        return reader.diagnostics.count == before ? settings : nil
    }

    private static func readLabels(_ node: ConfigNode, _ path: String, _ reader: inout ConfigReader) -> [String: String] {
        guard case .mapping(let pairs) = node.value else {
            reader.report(path, at: node, "expected \(reader.mappingWord) of label names to values, got \(node.kindDescription)")
            return [:]
        }
        if pairs.count > TargetLabels.maximumCount {
            reader.report(path, at: node, "at most \(TargetLabels.maximumCount) labels, got \(pairs.count)")
        }
        var labels: [String: String] = [:]
        for pair in pairs {
            let labelPath = ConfigReader.join(path, pair.key)
            if let message = TargetLabels.problem(withKey: pair.key) {
                reader.report(labelPath, at: pair.keyLocation ?? pair.value.location, message)
                continue
            }
            guard let value = reader.string(pair.value, labelPath) else { continue }
            if let message = TargetLabels.problem(withValue: value) {
                reader.report(labelPath, at: pair.value, message)
                continue
            }
            labels[pair.key] = value
        }
        return labels
    }

    private static func readKeepalive(_ node: ConfigNode, _ path: String, _ reader: inout ConfigReader) -> KeepaliveConfiguration? {
        guard var fields = reader.fields(node, path) else { return nil }
        let timeNode = fields.take("time")
        let time = timeNode.flatMap { reader.positiveDuration($0, fields.path("time")) }
        let timeout = fields.take("timeout").flatMap { reader.positiveDuration($0, fields.path("timeout")) }
        fields.finish(&reader)
        if timeNode == nil {
            reader.report(fields.path("time"), at: fields.location, "required when keepalive is given (the PING interval)")
        }
        guard let time else { return nil }
        return KeepaliveConfiguration(time: time.timeAmount, timeout: timeout?.timeAmount ?? defaultKeepaliveTimeout)
    }

    /// `backoff`: every field optional (gRPC's defaults), each checked where it is written so the
    /// message points at the bad value; ``BackoffConfiguration/validate()`` stays as a backstop.
    private static func readBackoff(_ node: ConfigNode, _ path: String, _ reader: inout ConfigReader) -> BackoffConfiguration? {
        guard var fields = reader.fields(node, path) else { return nil }
        let before = reader.diagnostics.count
        var backoff = defaultBackoff

        let baseNode = fields.take("base_delay")
        if let baseNode, let value = reader.positiveDuration(baseNode, fields.path("base_delay")) {
            backoff.baseDelay = value.timeAmount
        }
        if let node = fields.take("multiplier"), let value = reader.number(node, fields.path("multiplier")) {
            if value >= 1, value.isFinite {
                backoff.multiplier = value
            } else {
                reader.report(fields.path("multiplier"), at: node, "must be at least 1, got \(node.text ?? "\(value)")")
            }
        }
        if let node = fields.take("jitter"), let value = reader.number(node, fields.path("jitter")) {
            if (0.0...1.0).contains(value) {
                backoff.jitter = value
            } else {
                reader.report(fields.path("jitter"), at: node, "must be from 0 to 1, got \(node.text ?? "\(value)")")
            }
        }
        let maxNode = fields.take("max_delay")
        if let maxNode, let value = reader.positiveDuration(maxNode, fields.path("max_delay")) {
            backoff.maxDelay = value.timeAmount
        }
        if let node = fields.take("min_connect_timeout"),
            let value = reader.positiveDuration(node, fields.path("min_connect_timeout"))
        {
            backoff.minConnectTimeout = value.timeAmount
        }
        fields.finish(&reader)

        if reader.diagnostics.count == before, backoff.maxDelay < backoff.baseDelay {
            let blame = maxNode != nil ? "max_delay" : "base_delay"
            reader.report(
                fields.path(blame), at: (maxNode ?? baseNode)?.location ?? fields.location,
                "max_delay (\(DurationText(backoff.maxDelay))) must not be below base_delay (\(DurationText(backoff.baseDelay)))")
        }
        guard reader.diagnostics.count == before else { return nil }
        do {
            try backoff.validate()
        } catch {
            reader.report(path, at: node, error.message)
            return nil
        }
        return backoff
    }
}
