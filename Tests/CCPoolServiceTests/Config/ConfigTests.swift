import Testing

@testable import CCPoolService

/// Root of the configuration tests, so `swift test --filter ConfigTests` runs them all; each
/// file adds a nested suite.
@Suite struct ConfigTests {}

/// Loads `yaml` as the file `ccpool.yaml` and returns the diagnostics' text (empty when valid).
func diagnostics(
    yaml: String, environment: [String: String] = [:], flags: [SettingKey: String] = [:]
) -> [String] {
    do {
        _ = try ConfigLoader.load(yaml: yaml, fileName: "ccpool.yaml", environment: environment, flags: flags)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

/// Loads `yaml`, which must be valid.
func settings(
    yaml: String?, environment: [String: String] = [:], flags: [SettingKey: String] = [:]
) throws -> ServiceSettings {
    try ConfigLoader.load(yaml: yaml, fileName: "ccpool.yaml", environment: environment, flags: flags)
}

/// Decodes a JSON body and returns the diagnostics' text (empty when valid).
func bodyDiagnostics(_ json: String) -> [String] {
    do {
        _ = try TargetSpec.decode(json: Array(json.utf8))
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

func spec(_ json: String) throws(ConfigError) -> TargetSpec {
    try TargetSpec.decode(json: Array(json.utf8))
}
