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
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw ServiceConfigError("service config is not valid JSON: \(JSONValue.describe(error))")
        }
        guard case .object(let root) = value else {
            throw ServiceConfigError("service config must be a JSON object")
        }
        var config = ServiceConfig(json: text)
        try config.parseBalancer(root, registry: registry)
        config.healthCheckServiceName = try parseHealthCheck(root)
        return config
    }

    private mutating func parseBalancer(_ root: [String: JSONValue], registry: BalancerRegistry) throws(ServiceConfigError) {
        // Both fields are checked whole, whichever decides: a malformed entry anywhere is an error.
        var chosen: (name: String, body: [String: JSONValue], builder: any BalancerBuilder)?
        var names: [String] = []
        if let list = root["loadBalancingConfig"] {
            guard case .array(let entries) = list else {
                throw ServiceConfigError("loadBalancingConfig must be an array of objects")
            }
            for (index, entry) in entries.enumerated() {
                guard case .object(let object) = entry, object.count == 1, let (name, value) = object.first else {
                    throw ServiceConfigError("loadBalancingConfig[\(index)] must be an object with exactly one policy name")
                }
                guard case .object(let body) = value else {
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
            guard case .string(let name) = policy else {
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
            balancerConfig = try chosen.builder.parseConfig(chosen.body.mapValues(\.sendable))
        } else if !names.isEmpty {
            throw ServiceConfigError(
                "no supported policy in loadBalancingConfig \(names); supported: \(registry.names.joined(separator: ", "))")
        } else if let policyName {
            balancerName = policyName
        }
    }

    private static func parseHealthCheck(_ root: [String: JSONValue]) throws(ServiceConfigError) -> String? {
        guard let value = root["healthCheckConfig"] else { return nil }
        guard case .object(let object) = value else {
            throw ServiceConfigError("healthCheckConfig must be an object")
        }
        guard let name = object["serviceName"] else { return nil }
        guard case .string(let service) = name else {
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

/// Any JSON value, read with `JSONDecoder` (typed: `true` is never a number, `1` never a boolean).
enum JSONValue: Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .null }
        else if let bool = try? value.decode(Bool.self) { self = .bool(bool) }
        else if let number = try? value.decode(Double.self) { self = .number(number) }
        else if let string = try? value.decode(String.self) { self = .string(string) }
        else if let array = try? value.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try value.decode([String: JSONValue].self)) }
    }

    /// The value as balancers read their configuration: dictionaries, arrays, strings, `Double`s, `Bool`s,
    /// and `nil` for null.
    var sendable: any Sendable {
        switch self {
        case .object(let object): object.mapValues(\.sendable)
        case .array(let array): array.map(\.sendable)
        case .string(let string): string
        case .number(let number): number
        case .bool(let bool): bool
        case .null: Optional<Int>.none as any Sendable
        }
    }

    /// A decoding error in a few words ("not JSON", or the decoder's own description).
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?:
            (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "unreadable value at \(context.codingPath.map(\.stringValue).joined(separator: ".")) (a number out of range?)"
        default:
            "\(error)"
        }
    }
}
