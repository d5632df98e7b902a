import Foundation

/// The parts of a gRPC service config ccpool uses (gRPC's service_config.md):
/// `loadBalancingConfig` (or the older `loadBalancingPolicy`) and `healthCheckConfig`.
///
/// Parsing selects the balancer: the first `loadBalancingConfig` entry whose name is registered
/// wins; none given means pick_first. An invalid config is an error and never replaces a good one.
public struct ServiceConfig: Sendable {
    /// The selected policy's name.
    public var balancerName: String
    /// The selected policy's parsed configuration.
    public var balancerConfig: (any LoadBalancingConfig)?
    /// `healthCheckConfig.serviceName`: nil disables health checking; "" means the whole server.
    public var healthCheckServiceName: String?
    /// The JSON text it was parsed from, for the API.
    public var json: String?

    public init(
        balancerName: String = "pick_first", balancerConfig: (any LoadBalancingConfig)? = nil,
        healthCheckServiceName: String? = nil, json: String? = nil
    ) {
        self.balancerName = balancerName
        self.balancerConfig = balancerConfig
        self.healthCheckServiceName = healthCheckServiceName
        self.json = json
    }

    /// pick_first, no health checking.
    public static let `default` = ServiceConfig()

    /// Parses and validates service config JSON against the registered balancers.
    public static func parse(_ text: String, registry: BalancerRegistry = .standard) throws(ServiceConfigError) -> ServiceConfig {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw ServiceConfigError("service config is not valid JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else {
            throw ServiceConfigError("service config must be a JSON object")
        }
        var config = ServiceConfig(json: text)
        try config.parseBalancer(root, registry: registry)
        config.healthCheckServiceName = try parseHealthCheck(root)
        return config
    }

    private mutating func parseBalancer(_ root: [String: Any], registry: BalancerRegistry) throws(ServiceConfigError) {
        // Both fields are checked whole, whichever decides: a malformed entry anywhere is an error.
        var chosen: (name: String, body: [String: Any], builder: any BalancerBuilder)?
        var names: [String] = []
        if let list = root["loadBalancingConfig"] {
            guard let entries = list as? [Any] else {
                throw ServiceConfigError("loadBalancingConfig must be an array of objects")
            }
            for (index, entry) in entries.enumerated() {
                guard let object = entry as? [String: Any], object.count == 1, let (name, value) = object.first else {
                    throw ServiceConfigError("loadBalancingConfig[\(index)] must be an object with exactly one policy name")
                }
                guard let body = value as? [String: Any] else {
                    throw ServiceConfigError("loadBalancingConfig[\(index)].\(name) must be an object")
                }
                names.append(name)
                if chosen == nil, let builder = registry.builder(named: name) {
                    chosen = (name, body, builder)
                }
            }
        }
        var policyName: String?
        if let policy = root["loadBalancingPolicy"] {
            guard let name = policy as? String else {
                throw ServiceConfigError("loadBalancingPolicy must be a string")
            }
            let normalized = name.lowercased()
            guard registry.builder(named: normalized) != nil else {
                throw ServiceConfigError("unknown loadBalancingPolicy \"\(name)\"")
            }
            policyName = normalized
        }
        if let chosen {
            balancerName = chosen.name
            balancerConfig = try chosen.builder.parseConfig(JSONValue.sendable(chosen.body))
        } else if !names.isEmpty {
            throw ServiceConfigError(
                "no supported policy in loadBalancingConfig \(names); supported: \(registry.names.joined(separator: ", "))")
        } else if let policyName {
            balancerName = policyName
        }
    }

    private static func parseHealthCheck(_ root: [String: Any]) throws(ServiceConfigError) -> String? {
        guard let value = root["healthCheckConfig"] else { return nil }
        guard let object = value as? [String: Any] else {
            throw ServiceConfigError("healthCheckConfig must be an object")
        }
        guard let name = object["serviceName"] else { return nil }
        guard let service = name as? String else {
            throw ServiceConfigError("healthCheckConfig.serviceName must be a string")
        }
        return service
    }
}

public struct ServiceConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Converts JSONSerialization output into `Sendable` values.
enum JSONValue {
    static func sendable(_ object: [String: Any]) -> [String: any Sendable] {
        object.mapValues(convert)
    }

    private static func convert(_ value: Any) -> any Sendable {
        switch value {
        case let object as [String: Any]: return sendable(object)
        case let array as [Any]: return array.map(convert)
        case let string as String: return string
        case let number as NSNumber:
            // JSON true/false arrive as NSNumber too; keep them Bool.
            if String(cString: number.objCType) == "c" { return number.boolValue }
            return number.doubleValue
        default: return Optional<Int>.none as any Sendable
        }
    }
}
