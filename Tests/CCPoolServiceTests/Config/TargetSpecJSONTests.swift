import CCPoolCore
import NIOCore
import Testing

@testable import CCPoolService

extension ConfigTests {
    /// `TargetSpec` as the admin API's `PUT /v1/targets/{name}` body and `GET` answer.
    @Suite struct TargetSpecJSONTests {
        @Test func minimalBodyTakesTheDefaults() throws {
            let value = try spec(#"{"target": "dns:///payments.internal:50051"}"#)
            #expect(value.target == "dns:///payments.internal:50051")
            #expect(value.parsedTarget.scheme == "dns")
            #expect(value.serviceConfigJSON == nil)
            #expect(value.serviceConfig.balancerName == "pick_first")
            #expect(value.tls == nil)
            #expect(value.labels == [:])
            #expect(value.idle == .connected)
            #expect(value.keepalive == nil)
            #expect(value.backoff == BackoffConfiguration(baseDelay: .seconds(1), multiplier: 1.6, jitter: 0.2, maxDelay: .seconds(120), minConnectTimeout: .seconds(20)))
        }

        @Test func fullBody() throws {
            let value = try spec(
                """
                {"target": "ipv4:127.0.0.1:50051,127.0.0.1:50052",
                 "service_config": {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": "payments.v1.Payments"}},
                 "tls": {"enabled": true, "ca_file": "/ca.pem", "cert_file": "/c.pem", "key_file": "/k.pem", "server_name": "payments"},
                 "labels": {"team": "billing", "tier": "1"},
                 "idle": "lazy",
                 "keepalive": {"time": "30s", "timeout": "5s"},
                 "backoff": {"base_delay": "500ms", "multiplier": 2, "jitter": 0, "max_delay": "1m", "min_connect_timeout": "10s"}}
                """)
            #expect(value.serviceConfig.balancerName == "round_robin")
            #expect(value.serviceConfig.healthCheckServiceName == "payments.v1.Payments")
            #expect(
                value.serviceConfigJSON
                    == #"{"healthCheckConfig":{"serviceName":"payments.v1.Payments"},"loadBalancingConfig":[{"round_robin":{}}]}"#)
            #expect(value.tls == TLSSettings(caFile: "/ca.pem", certFile: "/c.pem", keyFile: "/k.pem", serverName: "payments"))
            #expect(value.labels == ["team": "billing", "tier": "1"])
            #expect(value.idle == .lazy)
            #expect(value.keepalive == KeepaliveConfiguration(time: .seconds(30), timeout: .seconds(5)))
            #expect(value.backoff == BackoffConfiguration(baseDelay: .milliseconds(500), multiplier: 2, jitter: 0, maxDelay: .minutes(1), minConnectTimeout: .seconds(10)))

            let settings = value.channelSettings
            #expect(settings.target.endpoint == "127.0.0.1:50051,127.0.0.1:50052")
            #expect(settings.idle == .lazy)
            let options = settings.channelOptions(connector: HTTP2Connector())
            #expect(options.serviceConfig.balancerName == "round_robin")
            #expect(options.keepalive == value.keepalive)
        }

        @Test func serviceConfigAsStringIsCanonicalised() throws {
            let asString = try spec(
                #"{"target": "h:1", "service_config": "{ \"healthCheckConfig\": {\"serviceName\": \"\"},\n \"loadBalancingConfig\": [{\"round_robin\": {}}] }"}"#)
            let asObject = try spec(
                #"{"target": "h:1", "service_config": {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}}"#)
            #expect(asString == asObject)
            #expect(asString.serviceConfigJSON == #"{"healthCheckConfig":{"serviceName":""},"loadBalancingConfig":[{"round_robin":{}}]}"#)
            #expect(asString.serviceConfig.healthCheckServiceName == "")
        }

        @Test func wholeNumbersAreCanonicalWithOrWithoutAFraction() throws {
            let a = try spec(#"{"target": "h:1", "service_config": {"x": 2.0, "loadBalancingConfig": [{"pick_first": {}}]}}"#)
            let b = try spec(#"{"target": "h:1", "service_config": "{\"x\": 2, \"loadBalancingConfig\": [{\"pick_first\": {}}]}"}"#)
            #expect(a == b)
            #expect(a.serviceConfigJSON == #"{"loadBalancingConfig":[{"pick_first":{}}],"x":2}"#)
            #expect(try spec(a.jsonText()) == a)
        }

        @Test func tlsBlockDefaultsToEnabled() throws {
            #expect(try spec(#"{"target": "h:1", "tls": {}}"#).tls == TLSSettings())
            #expect(try spec(#"{"target": "h:1", "tls": {"enabled": false}}"#).tls == nil)
            #expect(try spec(#"{"target": "h:1", "keepalive": {"time": "1m"}}"#).keepalive == KeepaliveConfiguration(time: .minutes(1), timeout: .seconds(20)))
            #expect(try spec(#"{"target": "h:1", "tls": null, "labels": null}"#) == spec(#"{"target": "h:1"}"#))
        }

        /// Each invalid body and every diagnostic it must produce, exactly.
        @Test(arguments: [
            // Not a body at all.
            ("", ["body: the body is empty; expected a JSON object with at least \"target\""]),
            ("  \n", ["body: the body is empty; expected a JSON object with at least \"target\""]),
            ("[1, 2]", ["body: expected an object, got a list"]),
            ("\"dns:///x:1\"", ["body: expected an object, got \"dns:///x:1\""]),
            ("42", ["body: expected an object, got 42"]),
            ("null", ["body: expected an object, got null"]),
            ("{}", ["body.target: required field is missing"]),
            // Wrong types.
            (#"{"target": 5}"#, ["body.target: expected a string, got 5"]),
            (#"{"target": "h:1", "backoff": {"multiplier": "fast"}}"#, ["body.backoff.multiplier: expected a number, got \"fast\""]),
            (#"{"target": "h:1", "backoff": {"jitter": true}}"#, ["body.backoff.jitter: expected a number, got true"]),
            (#"{"target": "h:1", "tls": {"enabled": 1}}"#, ["body.tls.enabled: expected true or false, got 1"]),
            (#"{"target": "h:1", "tls": {"enabled": "true"}}"#, ["body.tls.enabled: expected true or false, got \"true\""]),
            (#"{"target": "h:1", "tls": true}"#, ["body.tls: expected an object, got true"]),
            (#"{"target": "h:1", "labels": ["a"]}"#, ["body.labels: expected an object of label names to values, got a list"]),
            (#"{"target": "h:1", "labels": {"team": 7}}"#, ["body.labels.team: expected a string, got 7"]),
            (#"{"target": "h:1", "idle": "sleepy"}"#, ["body.idle: must be one of \"connected\", \"lazy\", got \"sleepy\""]),
            (#"{"target": "h:1", "service_config": 3}"#, ["body.service_config: expected an object or a string holding JSON, got a number"]),
            // Unknown fields.
            (#"{"target": "h:1", "backoff": {"multipler": 2}}"#, ["body.backoff.multipler: unknown field (did you mean \"multiplier\"?)"]),
            (#"{"target": "h:1", "name": "x"}"#, ["body.name: unknown field (the name comes from the URL, not the body)"]),
            (#"{"target": "h:1", "zzz": 1}"#, ["body.zzz: unknown field (known fields: target, service_config, tls, labels, idle, keepalive, backoff)"]),
            (#"{"target": "h:1", "tls": {"ca": "/x"}}"#, ["body.tls.ca: unknown field (known fields: enabled, ca_file, cert_file, key_file, server_name)"]),
            // Durations.
            (#"{"target": "h:1", "keepalive": {"time": "30"}}"#, ["body.keepalive.time: \"30\" has no unit; write it as \"30s\" or \"30ms\" (units: ms, s, m, h)"]),
            (#"{"target": "h:1", "keepalive": {"time": 30}}"#, ["body.keepalive.time: \"30\" has no unit; write it as \"30s\" or \"30ms\" (units: ms, s, m, h)"]),
            (#"{"target": "h:1", "keepalive": {"time": "0s"}}"#, ["body.keepalive.time: must be more than zero"]),
            (#"{"target": "h:1", "keepalive": {"timeout": "5s"}}"#, ["body.keepalive.time: required when keepalive is given (the PING interval)"]),
            (#"{"target": "h:1", "backoff": {"base_delay": "-1s"}}"#, ["body.backoff.base_delay: \"-1s\" is negative; a duration must be zero or more"]),
            (#"{"target": "h:1", "backoff": {"max_delay": "1d"}}"#, ["body.backoff.max_delay: \"1d\": days are not allowed here (units: ms, s, m, h)"]),
            (#"{"target": "h:1", "backoff": {"max_delay": "forever"}}"#, ["body.backoff.max_delay: \"forever\" is not a duration; expected a number followed by a unit, such as \"30s\" (units: ms, s, m, h)"]),
            // Values out of range.
            (#"{"target": "h:1", "backoff": {"multiplier": 0.5}}"#, ["body.backoff.multiplier: must be at least 1, got 0.5"]),
            (#"{"target": "h:1", "backoff": {"jitter": 1.5}}"#, ["body.backoff.jitter: must be from 0 to 1, got 1.5"]),
            (#"{"target": "h:1", "backoff": {"base_delay": "10s", "max_delay": "5s"}}"#, ["body.backoff.max_delay: max_delay (5s) must not be below base_delay (10s)"]),
            (#"{"target": "h:1", "backoff": {"base_delay": "200s"}}"#, ["body.backoff.base_delay: max_delay (2m) must not be below base_delay (200s)"]),
            // Target URIs.
            (#"{"target": ""}"#, ["body.target: invalid target \"\": the target is empty"]),
            (#"{"target": "unix://host/run/x.sock"}"#, ["body.target: invalid target \"unix://host/run/x.sock\": unix targets take no authority (\"host\"); write unix:///absolute/path or unix:path"]),
            (#"{"target": "ipv4:300.0.0.1:80"}"#, ["body.target: invalid target \"ipv4:300.0.0.1:80\": \"300.0.0.1\" is not an IPv4 address"]),
            (#"{"target": "dns:///"}"#, ["body.target: invalid target \"dns:///\": dns target has an empty host"]),
            // Service configs.
            (#"{"target": "h:1", "service_config": "{not json"}"#, ["body.service_config: service config is not valid JSON: Invalid value around character 1."]),
            (#"{"target": "h:1"} x"#, ["body: not valid JSON: Invalid value around character 18."]),
            (#"{"target": 1e400}"#, ["body: not valid JSON: unreadable value at target (a number out of range?)"]),
            (#"{"target": "h:1", "service_config": "[1]"}"#, ["body.service_config: service config must be a JSON object, got a list"]),
            (#"{"target": "h:1", "service_config": {"loadBalancingConfig": [{"no_such_policy": {}}]}}"#, ["body.service_config: no supported policy in loadBalancingConfig [\"no_such_policy\"]; supported: legacy_pick_first, legacy_round_robin, pick_first, round_robin"]),
            (#"{"target": "h:1", "service_config": {"healthCheckConfig": {"serviceName": 1}}}"#, ["body.service_config: healthCheckConfig.serviceName must be a string"]),
            // TLS combinations.
            (#"{"target": "h:1", "tls": {"cert_file": "/c.pem"}}"#, ["body.tls.cert_file: cert_file needs key_file (a client certificate needs its key)"]),
            (#"{"target": "h:1", "tls": {"enabled": false, "ca_file": "/ca.pem"}}"#, ["body.tls.ca_file: given while tls.enabled is false; remove it or enable TLS"]),
            (#"{"target": "h:1", "tls": {"server_name": ""}}"#, ["body.tls.server_name: must not be empty"]),
            // Labels.
            (#"{"target": "h:1", "labels": {"9x": "a"}}"#, ["body.labels.9x: a label key must start with a letter or '_', \"9x\" does not"]),
        ])
        func invalidBodies(body: String, expected: [String]) {
            #expect(bodyDiagnostics(body) == expected)
        }

        @Test func everyProblemIsReportedNotJustTheFirst() {
            let got = bodyDiagnostics(
                #"{"target": "", "idle": "x", "backoff": {"multiplier": "a", "jitter": "b", "oops": 1}, "extra": 2}"#)
            #expect(
                got == [
                    "body.target: invalid target \"\": the target is empty",
                    "body.idle: must be one of \"connected\", \"lazy\", got \"x\"",
                    "body.backoff.multiplier: expected a number, got \"a\"",
                    "body.backoff.jitter: expected a number, got \"b\"",
                    "body.backoff.oops: unknown field (known fields: base_delay, multiplier, jitter, max_delay, min_connect_timeout)",
                    "body.extra: unknown field (known fields: target, service_config, tls, labels, idle, keepalive, backoff)",
                ])
        }

        @Test func errorCodes() {
            #expect(throws: ConfigError.self) { try spec("") }
            do {
                _ = try spec("{")
                Issue.record("expected an error")
            } catch {
                #expect(error.code == .malformed)
                #expect(error.diagnostics.count == 1)
                #expect(error.diagnostics[0].description == "body: not valid JSON: Unexpected end of file during JSON parse.")
            }
            do {
                _ = try spec(#"{"target": 1}"#)
                Issue.record("expected an error")
            } catch {
                #expect(error.code == .invalid)
            }
        }

        @Test(arguments: [
            #"{"target": "dns:///payments.internal:50051"}"#,
            #"{"target": "unix:///run/x.sock", "idle": "lazy", "labels": {"team": "billing", "env": "prod"}}"#,
            #"{"target": "h:1", "service_config": {"loadBalancingConfig": [{"pick_first": {"shuffleAddressList": true}}]}, "tls": {"server_name": "x", "ca_file": "/ca"}}"#,
            #"{"target": "h:1", "keepalive": {"time": "90s", "timeout": "1500ms"}, "backoff": {"base_delay": "0.25s", "multiplier": 1.3, "jitter": 0.05, "max_delay": "1h", "min_connect_timeout": "3s"}}"#,
            #"{"target": "h:1", "backoff": {"jitter": 0}}"#,
        ])
        func roundTrip(body: String) throws {
            let original = try spec(body)
            let minimal = try spec(original.jsonText())
            let full = try spec(original.jsonText(includingDefaults: true))
            #expect(minimal == original)
            #expect(full == original)
            #expect(minimal.jsonText() == original.jsonText())
        }

        @Test func encodedText() throws {
            let value = try spec(
                #"{"target": "h:1", "labels": {"b": "2", "a": "1"}, "keepalive": {"time": "120s"}, "backoff": {"multiplier": 2}, "service_config": "{\"loadBalancingConfig\":[{\"round_robin\":{}}]}"}"#)
            #expect(
                value.jsonText()
                    == #"{"backoff":{"multiplier":2},"keepalive":{"time":"2m","timeout":"20s"},"labels":{"a":"1","b":"2"},"service_config":{"loadBalancingConfig":[{"round_robin":{}}]},"target":"h:1"}"#)
            #expect(
                try spec(#"{"target": "h:1"}"#).jsonText(includingDefaults: true)
                    == #"{"backoff":{"base_delay":"1s","jitter":0.2,"max_delay":"2m","min_connect_timeout":"20s","multiplier":1.6},"idle":"connected","labels":{},"target":"h:1"}"#)
        }

        @Test func swiftInitialiserValidatesLikeTheReaders() throws {
            let built = try TargetSpec(target: "h:1", serviceConfig: #"{"loadBalancingConfig":[{"round_robin":{}}]}"#, labels: ["team": "x"])
            #expect(built == (try spec(#"{"target": "h:1", "labels": {"team": "x"}, "service_config": {"loadBalancingConfig": [{"round_robin": {}}]}}"#)))
            do {
                _ = try TargetSpec(target: "", serviceConfig: "{", labels: ["1": "x"], backoff: .init(multiplier: 0.5))
                Issue.record("expected an error")
            } catch {
                #expect(error.diagnostics.map(\.path) == ["target", "service_config", "labels", "backoff"])
            }
        }

        @Test func changes() throws {
            let base = try spec(#"{"target": "h:1", "labels": {"a": "1"}}"#)
            #expect(base.changes(from: base).isEmpty)
            #expect(try spec(#"{"target": "h:2", "labels": {"a": "1"}}"#).changes(from: base) == .targetURI)
            #expect(
                try spec(#"{"target": "h:1", "labels": {"a": "1"}, "service_config": {"loadBalancingConfig": [{"round_robin": {}}]}}"#)
                    .changes(from: base) == .serviceConfig)
            #expect(try spec(#"{"target": "h:1", "labels": {"a": "1"}, "idle": "lazy"}"#).changes(from: base) == .connection)
            #expect(try spec(#"{"target": "h:1", "labels": {"a": "1"}, "tls": {}}"#).changes(from: base) == .connection)
            #expect(try spec(#"{"target": "h:1", "labels": {"a": "2"}}"#).changes(from: base) == .labels)
            #expect(try spec(#"{"target": "h:3", "backoff": {"jitter": 0}}"#).changes(from: base) == [.targetURI, .connection, .labels])
            // Explicit defaults are no change.
            #expect(try spec(#"{"target": "h:1", "labels": {"a": "1"}, "idle": "connected", "backoff": {"multiplier": 1.6}}"#) == base)
        }
    }
}
