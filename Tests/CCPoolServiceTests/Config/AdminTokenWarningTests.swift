import Foundation
import Testing

@testable import CCPoolService

extension ConfigTests {
    /// What start-up and reloads warn about the admin token: a short one, and a file other users can read.
    @Suite struct AdminTokenWarningTests {
        static func tokenFile(_ content: String, mode: Int) throws -> String {
            let path = NSTemporaryDirectory() + "ccpool-token-\(UUID().uuidString)"
            try content.write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, mode_t(mode))
            return path
        }

        @Test func aShortTokenAndAWorldReadableFileAreWarnedAbout() throws {
            let path = try Self.tokenFile("short\n", mode: 0o644)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var settings = ServiceSettings()
            settings.adminTokenFile = path
            let token = try AdminToken.resolve(settings, environment: [:])
            let warnings = AdminToken.warnings(settings, token: token)
            #expect(warnings.count == 2, "\(warnings)")
            #expect(warnings.contains { $0.contains("5 characters") })
            #expect(warnings.contains { $0.contains(path) && $0.contains("644") })
        }

        @Test func aLongTokenInAPrivateFileIsFine() throws {
            let path = try Self.tokenFile("0123456789abcdef0123\n", mode: 0o600)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var settings = ServiceSettings()
            settings.adminTokenFile = path
            #expect(AdminToken.warnings(settings, token: try AdminToken.resolve(settings, environment: [:])).isEmpty)
            // Readable by this process's own group only (how Kubernetes mounts a Secret with fsGroup): fine.
            chmod(path, 0o440)
            #expect(AdminToken.warnings(settings, token: "0123456789abcdef0123").isEmpty)
        }
    }
}
