/// `ccpool check-config FILE`: load the file as `serve` would and list every problem.
///
/// Exit codes (``exitCode``):
/// - `0`: the file is valid; `summary` says what it holds.
/// - `1`: the file cannot be read, is not YAML, or has invalid values; every diagnostic is
///   printed, one per line (`FILE:LINE:COLUMN: PATH: MESSAGE`), to standard error.
/// Usage errors (no FILE, unknown flags) are swift-argument-parser's (exit 64).
///
/// The check reads only the config file, not files it names (`admin_token_file`, TLS files):
/// those usually exist only where the service runs. Environment overrides are applied when the
/// CLI passes them, so a deployment's full configuration can be checked too.
public struct ConfigCheck: Sendable {
    public var path: String
    /// Empty when the file is valid.
    public var diagnostics: [ConfigDiagnostic]
    /// The loaded settings when valid.
    public var settings: ServiceSettings?

    public var exitCode: Int32 { diagnostics.isEmpty ? 0 : 1 }

    /// One line for standard output on success, or `FILE: N problem(s)` on failure.
    public var summary: String {
        if let settings, diagnostics.isEmpty {
            let count = settings.targets.count
            return "\(path): OK (\(count) target\(count == 1 ? "" : "s"), listen \(settings.listen), database \(settings.database))"
        }
        return "\(path): \(diagnostics.count) problem\(diagnostics.count == 1 ? "" : "s")"
    }

    /// Checks the file at `path`.
    public static func run(
        path: String,
        environment: [String: String] = [:],
        flags: [SettingKey: String] = [:],
        readFile: (String) throws -> String = ConfigLoader.readTextFile
    ) -> ConfigCheck {
        do {
            let settings = try ConfigLoader.load(configFlag: path, environment: environment, flags: flags, readFile: readFile)
            return ConfigCheck(path: path, diagnostics: [], settings: settings)
        } catch {
            return ConfigCheck(path: path, diagnostics: error.diagnostics, settings: nil)
        }
    }
}
