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

    /// Tokens shorter than this draw a warning (16 random characters are out of reach of online guessing,
    /// which the admin routes also throttle).
    public static let recommendedLength = 16

    /// What is weak about the token and its file, one sentence each (logged at start and on reload).
    public static func warnings(_ settings: ServiceSettings, token: String?) -> [String] {
        var warnings: [String] = []
        if let token, token.count < recommendedLength {
            warnings.append("the admin token has \(token.count) characters; use at least \(recommendedLength) random ones")
        }
        if let path = settings.adminTokenFile {
            var info = stat()
            // Group read is fine when the group is this process's own (Kubernetes mounts a Secret
            // root-owned, readable by the pod's fsGroup).
            if stat(path, &info) == 0,
                info.st_mode & 0o007 != 0 || info.st_mode & 0o020 != 0
                    || (info.st_mode & 0o040 != 0 && info.st_gid != getegid())
            {
                warnings.append(
                    "\(path) can be read or written by other users (mode \(String(info.st_mode & 0o777, radix: 8))); make it 0600 or 0400")
            }
        }
        return warnings
    }
}
