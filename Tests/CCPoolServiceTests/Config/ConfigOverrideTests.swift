import Foundation
import Testing

@testable import CCPoolService

extension ConfigTests {
    /// flag > environment > file > default, the config file's name, and the admin token.
    @Suite struct ConfigOverrideTests {
        let file = """
            listen: "0.0.0.0:1111"
            database: /file.db
            shards: 2
            """

        @Test func precedenceFlagOverEnvironmentOverFileOverDefault() throws {
            let environment = ["CCPOOL_LISTEN": "0.0.0.0:2222", "CCPOOL_DATABASE": "/env.db", "CCPOOL_LOG_LEVEL": "debug"]
            let flags: [SettingKey: String] = [.listen: "0.0.0.0:3333"]
            let loaded = try settings(yaml: file, environment: environment, flags: flags)
            #expect(loaded.listen.port == 3333)  // flag beats environment and file
            #expect(loaded.database == "/env.db")  // environment beats file
            #expect(loaded.shards == 2)  // file beats default
            #expect(loaded.logLevel == .debug)  // environment beats default
            #expect(loaded.logFormat == .text)  // default
            #expect(loaded.sources[.listen] == .flag)
            #expect(loaded.sources[.database] == .environment)
            #expect(loaded.sources[.shards] == .file)
            #expect(loaded.sources[.logLevel] == .environment)
            #expect(loaded.sources[.logFormat] == .default)
        }

        @Test func overridesWithoutAFile() throws {
            let loaded = try settings(yaml: nil, environment: ["CCPOOL_SHARDS": "8"], flags: [.database: "/flag.db"])
            #expect(loaded.shards == 8)
            #expect(loaded.database == "/flag.db")
            #expect(loaded.listen == ServiceSettings.embeddedDefault.listen)
        }

        @Test func everySettingCanBeOverriddenByEnvironmentAndFlag() throws {
            let values: [SettingKey: String] = [
                .listen: "[::]:1", .database: "/x.db", .shards: "3", .historyRetention: "30d", .adminTokenFile: "/tok",
                .metricsSubchannelSeries: "false", .shutdownDeadline: "1m", .logLevel: "trace", .logFormat: "json",
                .shardIndex: "0", .shardCount: "2", .httpMaxConnections: "100", .httpMaxConnectionsPerClient: "5",
                .httpIdleTimeout: "7s", .httpRequestTimeout: "3s", .historyQueryTimeout: "500ms", .historyReaders: "4",
                .limitsMaxTargets: "50", .limitsMaxAddressesPerTarget: "8",
                .peers: "http://a:1,http://b:2", .peerTimeout: "500ms",
                .pendingMigrations: "refuse",
            ]
            #expect(Set(values.keys) == Set(SettingKey.allCases))
            let environment = Dictionary(uniqueKeysWithValues: values.map { ($0.key.environmentVariable, $0.value) })
            let fromEnvironment = try settings(yaml: nil, environment: environment)
            let fromFlags = try settings(yaml: nil, flags: values)
            var expected = ServiceSettings()
            expected.listen = ListenAddress(host: "::", port: 1)
            expected.database = "/x.db"
            expected.shards = 3
            expected.historyRetention = .days(30)
            expected.adminTokenFile = "/tok"
            expected.metricsSubchannelSeries = false
            expected.shutdownDeadline = .seconds(60)
            expected.logLevel = .trace
            expected.logFormat = .json
            expected.shardIndex = 0
            expected.shardCount = 2
            expected.limits.maxConnections = 100
            expected.limits.maxConnectionsPerClient = 5
            expected.limits.idleTimeout = .seconds(7)
            expected.limits.requestTimeout = .seconds(3)
            expected.limits.historyQueryTimeout = .milliseconds(500)
            expected.limits.historyReaders = 4
            expected.limits.maxTargets = 50
            expected.limits.maxAddressesPerTarget = 8
            expected.peers = PeerList(.list(["http://a:1", "http://b:2"]))
            expected.peerTimeout = .milliseconds(500)
            expected.pendingMigrations = .refuse
            #expect(fromEnvironment == expected)
            #expect(fromFlags == expected)
            #expect(fromEnvironment.sources.values.allSatisfy { $0 == .environment })
            #expect(fromFlags.sources.values.allSatisfy { $0 == .flag })
        }

        @Test func pendingMigrationsIsApplyByDefaultAndTakesApplyOrRefuse() throws {
            #expect(try settings(yaml: nil).pendingMigrations == .apply)
            #expect(try settings(yaml: "pending_migrations: refuse\n").pendingMigrations == .refuse)
            #expect(try settings(yaml: "pending_migrations: refuse\n", environment: ["CCPOOL_PENDING_MIGRATIONS": "apply"])
                .pendingMigrations == .apply)
            #expect(
                diagnostics(yaml: "pending_migrations: later\n")
                    == [#"ccpool.yaml:1:21: pending_migrations: must be one of "apply", "refuse", got "later""#])
        }

        @Test func everyBadValueIsReportedInEveryLayer() {
            let got = diagnostics(
                yaml: "shards: x\n",
                environment: ["CCPOOL_SHARDS": "y", "CCPOOL_METRICS_SUBCHANNEL_SERIES": "no"],
                flags: [.shards: "4", .logLevel: "loud", .shutdownDeadline: "10"])
            #expect(
                got == [
                    #"ccpool.yaml:1:9: shards: expected a whole number from 0 to 4096, got "x""#,
                    #"environment CCPOOL_SHARDS: shards: expected a whole number from 0 to 4096, got "y""#,
                    #"environment CCPOOL_METRICS_SUBCHANNEL_SERIES: metrics.subchannel_series: expected true or false, got "no""#,
                    #"flag --shutdown-deadline: shutdown_deadline: "10" has no unit; write it as "10s" or "10ms" (units: ms, s, m, h)"#,
                    #"flag --log-level: log_level: must be one of "trace", "debug", "info", "notice", "warning", "error", "critical", got "loud""#,
                ])
        }

        @Test func crossChecksPointAtTheWinningValue() {
            #expect(
                diagnostics(yaml: "shard_index: 0\nshard_count: 2\n", flags: [.shardIndex: "5"])
                    == ["flag --shard-index: shard_index: must be below shard_count (2), got 5"])
            #expect(
                diagnostics(yaml: "", environment: ["CCPOOL_SHARD_INDEX": "1"])
                    == ["environment CCPOOL_SHARD_INDEX: shard_index: shard_index 1 needs shard_count"])
            // shard_count alone is valid: the index comes from the hostname (StatefulSet ordinal).
            #expect(diagnostics(yaml: "", environment: ["CCPOOL_SHARD_COUNT": "2"]) == [])
        }

        @Test func emptyAndUnknownVariablesAreIgnored() throws {
            let loaded = try settings(
                yaml: file,
                environment: [
                    "CCPOOL_LISTEN": "", "CCPOOL_PORT": "tcp://10.0.0.1:9090", "CCPOOL_SERVICE_HOST": "10.0.0.1",
                    "PATH": "/bin",
                ])
            #expect(loaded.listen.port == 1111)
            #expect(loaded.sources[.listen] == .file)
        }

        @Test func configFileName() {
            #expect(ConfigLoader.configPath(flag: "/flag.yaml", environment: ["CCPOOL_CONFIG": "/env.yaml"]) == "/flag.yaml")
            #expect(ConfigLoader.configPath(flag: nil, environment: ["CCPOOL_CONFIG": "/env.yaml"]) == "/env.yaml")
            #expect(ConfigLoader.configPath(flag: nil, environment: ["CCPOOL_CONFIG": ""]) == nil)
            #expect(ConfigLoader.configPath(flag: nil, environment: [:]) == nil)
        }

        @Test func loadReadsTheNamedFile() throws {
            var asked: [String] = []
            let loaded = try ConfigLoader.load(
                configFlag: nil, environment: ["CCPOOL_CONFIG": "/etc/ccpool.yaml", "CCPOOL_SHARDS": "5"],
                readFile: { path in
                    asked.append(path)
                    return "database: /from-file.db\n"
                })
            #expect(asked == ["/etc/ccpool.yaml"])
            #expect(loaded.database == "/from-file.db")
            #expect(loaded.shards == 5)

            let noFile = try ConfigLoader.load(configFlag: nil, environment: [:], readFile: { _ in
                Issue.record("no file should be read")
                return ""
            })
            #expect(noFile == .embeddedDefault)
        }

        @Test func fileDiagnosticsNameTheFileAsGiven() {
            do {
                _ = try ConfigLoader.load(configFlag: "conf/ccpool.yaml", environment: [:], readFile: { _ in "shards: x\n" })
                Issue.record("expected an error")
            } catch {
                #expect(error.description == #"conf/ccpool.yaml:1:9: shards: expected a whole number from 0 to 4096, got "x""#)
            }
        }

        @Test func unreadableFile() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ccpool-config-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let missing = directory.appendingPathComponent("missing.yaml").path
            do {
                _ = try ConfigLoader.load(configFlag: missing, environment: [:])
                Issue.record("expected an error")
            } catch {
                #expect(error.code == .unreadable)
                #expect(error.description == "\(missing): cannot read \(missing): no such file")
            }
            let present = directory.appendingPathComponent("ccpool.yaml")
            try Data("listen: 127.0.0.1:8080\n".utf8).write(to: present)
            #expect(try ConfigLoader.load(configFlag: present.path, environment: [:]).listen.port == 8080)
        }

        // MARK: Admin token

        @Test func adminTokenFromFileIsTrimmed() throws {
            var loaded = ServiceSettings()
            loaded.adminTokenFile = "/run/secrets/token"
            let token = try AdminToken.resolve(loaded, environment: [:], readFile: { path in
                #expect(path == "/run/secrets/token")
                return "  s3cret\n"
            })
            #expect(token == "s3cret")
        }

        @Test func adminTokenFileEmptyOrUnreadableIsAnError() {
            var loaded = ServiceSettings()
            loaded.adminTokenFile = "/t"
            #expect(throws: ConfigError(code: .invalid, diagnostics: [.init(origin: .none, path: "admin_token_file", message: "/t is empty; it must hold the admin token")])) {
                try AdminToken.resolve(loaded, environment: [:], readFile: { _ in " \n\t" })
            }
            #expect(throws: ConfigError(code: .invalid, diagnostics: [.init(origin: .none, path: "admin_token_file", message: "cannot read /t: permission denied")])) {
                try AdminToken.resolve(loaded, environment: [:], readFile: { _ in throw FileReadError(message: "cannot read /t: permission denied") })
            }
        }

        @Test func adminTokenFromEnvironmentOrNone() throws {
            let plain = ServiceSettings()
            #expect(try AdminToken.resolve(plain, environment: ["CCPOOL_ADMIN_TOKEN": "abc\n"]) == "abc")
            #expect(try AdminToken.resolve(plain, environment: ["CCPOOL_ADMIN_TOKEN": ""]) == nil)
            #expect(try AdminToken.resolve(plain, environment: [:]) == nil)
        }

        @Test func adminTokenGivenTwoWaysIsRejected() {
            #expect(
                diagnostics(yaml: "admin_token_file: /t\n", environment: ["CCPOOL_ADMIN_TOKEN": "abc"])
                    == ["ccpool.yaml:1:19: admin_token_file: set together with CCPOOL_ADMIN_TOKEN; give the admin token one way only"])
        }
    }
}
