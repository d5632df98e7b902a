import CCPoolCore
import Testing

@testable import CCPoolService

extension ConfigTests {
    /// The YAML file: valid files load, invalid ones give every problem with line and column.
    @Suite struct ConfigFileTests {
        @Test func apiExampleLoads() throws {
            let loaded = try settings(
                yaml: """
                    listen: "0.0.0.0:9090"
                    database: "/var/lib/ccpool/ccpool.db"
                    shards: 0                    # 0 = one per CPU core
                    history:
                      retention: "7d"
                    admin_token_file: "/run/secrets/ccpool-admin-token"
                    targets:
                      - name: payments
                        target: "dns:///payments.internal:50051"
                        service_config: |
                          {"loadBalancingConfig": [{"round_robin": {}}],
                           "healthCheckConfig": {"serviceName": "payments.v1.Payments"}}
                        labels: {team: billing}
                    """)
            #expect(loaded.listen == ListenAddress(host: "0.0.0.0", port: 9090))
            #expect(loaded.database == "/var/lib/ccpool/ccpool.db")
            #expect(loaded.shards == 0)
            #expect(loaded.eventLoopCount(cores: 2) == 2)
            #expect(loaded.historyRetention == .days(7))
            #expect(loaded.adminTokenFile == "/run/secrets/ccpool-admin-token")
            #expect(loaded.metricsSubchannelSeries == true)
            #expect(loaded.shutdownDeadline == .seconds(10))
            #expect(loaded.logLevel == .info)
            #expect(loaded.logFormat == .text)
            #expect(loaded.targets.count == 1)
            let payments = try #require(loaded.targets.first)
            #expect(payments.name.rawValue == "payments")
            #expect(payments.spec.serviceConfig.balancerName == "round_robin")
            #expect(payments.spec.serviceConfig.healthCheckServiceName == "payments.v1.Payments")
            #expect(payments.spec.labels == ["team": "billing"])
            #expect(payments.spec.idle == .connected)
            #expect(loaded.sources[.listen] == .file)
            #expect(loaded.sources[.logLevel] == .default)
        }

        @Test func everySettingAndField() throws {
            let loaded = try settings(
                yaml: """
                    listen: "[::1]:0"
                    database: 123
                    shards: 4
                    history: {retention: 36h}
                    admin_token_file: /t
                    metrics:
                      subchannel_series: no
                    shutdown_deadline: 2500ms
                    log_level: debug
                    log_format: json
                    shard_index: 1
                    shard_count: 3
                    targets:
                      - name: a
                        target: ipv4:127.0.0.1:1,127.0.0.1:2
                        service_config:
                          loadBalancingConfig:
                            - round_robin: {}
                          healthCheckConfig: {serviceName: ""}
                        tls:
                          ca_file: /ca.pem
                          server_name: a.internal
                        labels: {tier: 1, on: yes}
                        idle: lazy
                        keepalive: {time: 30s, timeout: 5s}
                        backoff:
                          base_delay: 100ms
                          multiplier: 2
                          jitter: 0.1
                          max_delay: 10s
                          min_connect_timeout: 1s
                      - name: b
                        target: unix:///run/b.sock
                    """)
            #expect(loaded.listen == ListenAddress(host: "::1", port: 0))
            #expect(loaded.database == "123")
            #expect(loaded.shards == 4)
            #expect(loaded.eventLoopCount(cores: 2) == 4)
            #expect(loaded.historyRetention == .seconds(36 * 3600))
            #expect(loaded.metricsSubchannelSeries == false)
            #expect(loaded.shutdownDeadline == .milliseconds(2500))
            #expect(loaded.logLevel == .debug)
            #expect(loaded.logFormat == .json)
            #expect(loaded.shardIndex == 1)
            #expect(loaded.shardCount == 3)
            #expect(loaded.targets.map(\.name.rawValue) == ["a", "b"])
            let a = loaded.targets[0].spec
            // The YAML mapping gives the same canonical JSON as the equivalent JSON text would.
            #expect(a.serviceConfigJSON == #"{"healthCheckConfig":{"serviceName":""},"loadBalancingConfig":[{"round_robin":{}}]}"#)
            #expect(a.tls == TLSSettings(caFile: "/ca.pem", serverName: "a.internal"))
            #expect(a.labels == ["tier": "1", "on": "yes"])
            #expect(a.idle == .lazy)
            #expect(a.keepalive == KeepaliveConfiguration(time: .seconds(30), timeout: .seconds(5)))
            #expect(a.backoff == BackoffConfiguration(baseDelay: .milliseconds(100), multiplier: 2, jitter: 0.1, maxDelay: .seconds(10), minConnectTimeout: .seconds(1)))
            // The same target through the JSON reader is equal.
            #expect(try TargetSpec.decode(json: a.jsonBytes()) == a)
        }

        @Test(arguments: ["", "# nothing but a comment\n", "---\n", "targets:\nadmin_token_file:\n"])
        func emptyFilesGiveTheDefaults(yaml: String) throws {
            #expect(try settings(yaml: yaml) == .embeddedDefault)
        }

        @Test func embeddedDefault() throws {
            let value = try settings(yaml: nil)
            #expect(value == .embeddedDefault)
            #expect(value.listen.description == "127.0.0.1:9090")
            #expect(value.database == "./ccpool.db")
            #expect(value.targets.isEmpty)
            #expect(value.adminTokenFile == nil)
            #expect(value.historyRetention == .days(7))
            #expect(value.sources.values.allSatisfy { $0 == .default })
        }

        /// Invalid files and every diagnostic, exactly, in file order.
        @Test(arguments: [
            (
                """
                listen: "0.0.0.0:9090"
                shards: many
                history:
                  retention: 7
                targets:
                  - name: payments
                    target: "dns:///payments.internal:50051"
                    backoff:
                      multiplier: fast
                  - name: payments
                    target: "h:1"
                  - target: ""
                    idle: sleepy
                    tls: {cert_file: /c.pem}
                """,
                [
                    #"ccpool.yaml:2:9: shards: expected a whole number from 0 to 4096, got "many""#,
                    #"ccpool.yaml:4:14: history.retention: "7" has no unit; write it as "7s" or "7ms" (units: ms, s, m, h, d)"#,
                    #"ccpool.yaml:9:19: targets[0].backoff.multiplier: expected a number, got "fast""#,
                    #"ccpool.yaml:10:11: targets[1].name: duplicate target name "payments" (first at line 6, column 11)"#,
                    #"ccpool.yaml:12:5: targets[2].name: required field is missing"#,
                    #"ccpool.yaml:12:13: targets[2].target: invalid target "": the target is empty"#,
                    #"ccpool.yaml:13:11: targets[2].idle: must be one of "connected", "lazy", got "sleepy""#,
                    #"ccpool.yaml:14:22: targets[2].tls.cert_file: cert_file needs key_file (a client certificate needs its key)"#,
                ]
            ),
            (
                """
                listn: "0.0.0.0:9090"
                database: ""
                metrics:
                  subchannel_series: maybe
                log_level: verbose
                log_format: xml
                targets:
                  - name: "bad name"
                    target: "h:1"
                    labels: {team: billing, "9x": y}
                    keepalive: {time: 10s, timeot: 5s}
                """,
                [
                    #"ccpool.yaml:1:1: listn: unknown field (did you mean "listen"?)"#,
                    #"ccpool.yaml:2:11: database: must not be empty"#,
                    #"ccpool.yaml:4:22: metrics.subchannel_series: expected true or false, got "maybe""#,
                    #"ccpool.yaml:5:12: log_level: must be one of "trace", "debug", "info", "notice", "warning", "error", "critical", got "verbose""#,
                    #"ccpool.yaml:6:13: log_format: must be one of "text", "json", got "xml""#,
                    #"ccpool.yaml:8:11: targets[0].name: a target name may only contain letters, digits, '.', '_' and '-'; found U+20"#,
                    #"ccpool.yaml:10:29: targets[0].labels.9x: a label key must start with a letter or '_', "9x" does not"#,
                    #"ccpool.yaml:11:28: targets[0].keepalive.timeot: unknown field (did you mean "timeout"?)"#,
                ]
            ),
            (
                """
                - listen: a:1
                """,
                [#"ccpool.yaml:1:1: expected a mapping, got a list"#]
            ),
            (
                """
                targets: {a: 1}
                """,
                [#"ccpool.yaml:1:10: targets: expected a list of targets, got a mapping"#]
            ),
            (
                """
                targets:
                  - "h:1"
                  - name: x
                """,
                [
                    #"ccpool.yaml:2:5: targets[0]: expected a mapping, got "h:1""#,
                    #"ccpool.yaml:3:5: targets[1].target: required field is missing"#,
                ]
            ),
            (
                """
                history: 7d
                metrics: {subchannel_series: true, extra: 1}
                shutdown_deadline: 0s
                listen: "::1:9090"
                """,
                [
                    #"ccpool.yaml:1:10: history: expected a mapping, got "7d""#,
                    #"ccpool.yaml:2:36: metrics.extra: unknown field (known fields: subchannel_series)"#,
                    #"ccpool.yaml:3:20: shutdown_deadline: must be more than zero"#,
                    #"ccpool.yaml:4:9: listen: "::1:9090": an IPv6 address goes in brackets, such as "[::1]:9090""#,
                ]
            ),
            (
                """
                shard_index: 3
                shard_count: 3
                """,
                [#"ccpool.yaml:1:14: shard_index: must be below shard_count (3), got 3"#]
            ),
            (
                """
                shard_index: 1
                """,
                [#"ccpool.yaml:1:14: shard_index: shard_index 1 needs shard_count"#]
            ),
            (
                """
                shards: -1
                shard_count: 0
                """,
                [
                    #"ccpool.yaml:1:9: shards: must be from 0 to 4096, got -1"#,
                    #"ccpool.yaml:2:14: shard_count: must be from 1 to 65536, got 0"#,
                ]
            ),
            (
                """
                targets:
                  - name: a
                    target: h:1
                    service_config: |
                      {"loadBalancingConfig": [{"weighted_magic": {}}]}
                  - name: b
                    target: h:2
                    service_config: {healthCheckConfig: []}
                  - name: c
                    target: h:3
                    service_config: [1]
                """,
                [
                    #"ccpool.yaml:4:21: targets[0].service_config: no supported policy in loadBalancingConfig ["weighted_magic"]; supported: legacy_pick_first, legacy_round_robin, pick_first, round_robin"#,
                    #"ccpool.yaml:8:21: targets[1].service_config: healthCheckConfig must be an object"#,
                    #"ccpool.yaml:11:21: targets[2].service_config: expected a mapping or a string holding JSON, got a list"#,
                ]
            ),
            (
                """
                targets:
                  - name: a
                    target: h:1
                    backoff: {base_delay: 5m, jitter: -0.1, multiplier: .inf}
                """,
                [
                    #"ccpool.yaml:4:39: targets[0].backoff.jitter: must be from 0 to 1, got -0.1"#,
                    #"ccpool.yaml:4:57: targets[0].backoff.multiplier: must be at least 1, got .inf"#,
                ]
            ),
        ])
        func invalidFiles(yaml: String, expected: [String]) {
            #expect(diagnostics(yaml: yaml) == expected)
        }

        @Test(arguments: [
            ("listen: \"0.0.0.0:9090\ndatabase: x\n",
             "ccpool.yaml:3:1: not valid YAML: found unexpected end of stream (while scanning a quoted scalar at 1:9)"),
            ("targets:\n  - name: a\n   target: b\n",
             "ccpool.yaml:3:4: not valid YAML: did not find expected '-' indicator (while parsing a block collection at 2:3)"),
            ("listen: [a, b\n",
             "ccpool.yaml:2:1: not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 1:9)"),
            ("a: b: c\n", "ccpool.yaml:1:5: not valid YAML: mapping values are not allowed in this context"),
        ])
        func malformedYAMLGivesTheParserErrorWithPosition(yaml: String, expected: String) {
            do {
                _ = try settings(yaml: yaml)
                Issue.record("expected a parse error")
            } catch let error as ConfigError {
                #expect(error.code == .malformed)
                #expect(error.diagnostics.map(\.description) == [expected])
            } catch {
                Issue.record("unexpected \(error)")
            }
        }

        @Test func duplicateKeysAreRejected() {
            let got = diagnostics(yaml: "listen: a:1\ndatabase: x\nlisten: b:2\n")
            #expect(got == [#"ccpool.yaml:1:1: duplicate key "listen" in the mapping at this position (each key may appear once)"#])
        }

        @Test func anchorsAndAliasesWork() throws {
            let loaded = try settings(
                yaml: """
                    targets:
                      - name: a
                        target: h:1
                        backoff: &fast {base_delay: 100ms, max_delay: 1s}
                      - name: b
                        target: h:2
                        backoff: *fast
                    """)
            #expect(loaded.targets[0].spec.backoff == loaded.targets[1].spec.backoff)
            #expect(loaded.targets[1].spec.backoff.maxDelay == .seconds(1))
        }
    }
}
