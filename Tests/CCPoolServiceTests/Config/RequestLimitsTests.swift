import Foundation
import Testing

@testable import CCPoolService

extension ConfigTests {
    /// The `http.*` limits and the history query limits: file, environment and flag, safe defaults, and
    /// bad values refused with the setting's path.
    @Suite struct RequestLimitsTests {
        @Test func defaultsAreSafe() throws {
            let limits = try settings(yaml: nil).limits
            #expect(limits.maxConnections == 1024)
            #expect(limits.maxConnectionsPerClient == 64)
            #expect(limits.idleTimeout == .seconds(30))
            #expect(limits.requestTimeout == .seconds(15))
            #expect(limits.historyQueryTimeout == .seconds(2))
            #expect(limits.historyReaderCount(httpThreads: 32) == 8)
            #expect(limits.historyReaderCount(httpThreads: 4) == 2)
        }

        @Test func fileEnvironmentAndFlagsSetThem() throws {
            let yaml = """
                http:
                  max_connections: 500
                  max_connections_per_client: 10
                  idle_timeout: "20s"
                  request_timeout: "5s"
                history:
                  query_timeout: "750ms"
                  readers: 3
                """
            let fromFile = try settings(yaml: yaml).limits
            #expect(fromFile.maxConnections == 500 && fromFile.maxConnectionsPerClient == 10)
            #expect(fromFile.idleTimeout == .seconds(20) && fromFile.requestTimeout == .seconds(5))
            #expect(fromFile.historyQueryTimeout == .milliseconds(750) && fromFile.historyReaders == 3)
            let overridden = try settings(
                yaml: yaml, environment: ["CCPOOL_HTTP_MAX_CONNECTIONS_PER_CLIENT": "7"],
                flags: [.httpRequestTimeout: "9s", .historyReaders: "0"]).limits
            #expect(overridden.maxConnectionsPerClient == 7)
            #expect(overridden.requestTimeout == .seconds(9))
            #expect(overridden.historyReaders == 0)
            #expect(SettingKey.httpMaxConnectionsPerClient.environmentVariable == "CCPOOL_HTTP_MAX_CONNECTIONS_PER_CLIENT")
            #expect(SettingKey.httpMaxConnectionsPerClient.flagName == "--http-max-connections-per-client")
        }

        @Test func targetsAndListedAddressesAreCapped() {
            let three = """
                limits: {max_targets: 2, max_addresses_per_target: 2}
                targets:
                  - {name: a, target: "ipv4:127.0.0.1:1,127.0.0.1:2,127.0.0.1:3"}
                  - {name: b, target: "dns:///b.example:1"}
                  - {name: c, target: "ipv4:127.0.0.1:1"}
                """
            let problems = diagnostics(yaml: three)
            #expect(problems.count == 2, "\(problems)")
            #expect(problems.contains { $0.contains("3 targets") && $0.contains("limits.max_targets allows 2") })
            #expect(problems.contains { $0.contains("targets[0].target") && $0.contains("lists 3 addresses") })
            #expect(diagnostics(yaml: three, flags: [.limitsMaxTargets: "3", .limitsMaxAddressesPerTarget: "3"]).isEmpty)
        }

        @Test func badValuesAreRefusedWithTheirPath() {
            let problems = diagnostics(yaml: """
                http:
                  max_connections: 0
                  idle_timeout: "1500ms"
                  request_timeout: "2d"
                  bogus: 1
                history:
                  query_timeout: "-1s"
                """)
            #expect(problems.count == 5, "\(problems)")
            #expect(problems.contains { $0.contains("http.max_connections") })
            #expect(problems.contains { $0.contains("http.idle_timeout") && $0.contains("whole seconds") })
            #expect(problems.contains { $0.contains("http.request_timeout") })
            #expect(problems.contains { $0.contains("bogus") })
            #expect(problems.contains { $0.contains("history.query_timeout") })
        }
    }
}
