import Foundation

/// The admin bearer token: read from `admin_token_file` or taken from `CCPOOL_ADMIN_TOKEN`.
///
/// Rules: the file's content is trimmed of surrounding whitespace and newlines; an unreadable or
/// empty file is an error (never "no token", which would silently disable the admin API, or an
/// empty token); the variable counts only when not empty; giving both is rejected by
/// ``ConfigLoader``. Neither means no token: the admin endpoints answer 403 `admin_disabled`.
public enum AdminToken {
    public static func resolve(
        _ settings: ServiceSettings,
        environment: [String: String],
        readFile: (String) throws -> String = ConfigLoader.readTextFile
    ) throws(ConfigError) -> String? {
        func fail(_ message: String) -> ConfigError {
            ConfigError(code: .invalid, diagnostics: [.init(origin: .none, path: "admin_token_file", message: message)])
        }
        if let path = settings.adminTokenFile {
            let content: String
            do {
                content = try readFile(path)
            } catch {
                throw fail(ConfigLoader.describeReadError(error))
            }
            let token = content.trimmingCharacters(in: .whitespacesAndNewlines)
            if token.isEmpty { throw fail("\(path) is empty; it must hold the admin token") }
            return token
        }
        if let token = environment[SettingKey.adminTokenVariable]?.trimmingCharacters(in: .whitespacesAndNewlines),
            !token.isEmpty
        {
            return token
        }
        return nil
    }
}
