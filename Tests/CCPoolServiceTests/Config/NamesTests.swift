import Testing

@testable import CCPoolService

extension ConfigTests {
    @Suite struct NamesTests {
        @Test(arguments: ["payments", "a", "A.b_c-9", String(repeating: "x", count: 128)])
        func validTargetNames(name: String) throws {
            #expect(try TargetName(name).rawValue == name)
        }

        @Test(arguments: [
            ("", "a target name must not be empty"),
            (String(repeating: "x", count: 129), "a target name is at most 128 characters, this one has 129"),
            ("pay ments", "a target name may only contain letters, digits, '.', '_' and '-'; found U+20"),
            ("pay/ments", "a target name may only contain letters, digits, '.', '_' and '-'; found '/'"),
            ("zahlungsdienst-ü", "a target name may only contain letters, digits, '.', '_' and '-'; found 'ü'"),
        ])
        func invalidTargetNames(name: String, message: String) {
            #expect(throws: TargetNameError(name: name, message: message)) { try TargetName(name) }
        }

        @Test func labelRules() {
            #expect(TargetLabels.problem(withKey: "team") == nil)
            #expect(TargetLabels.problem(withKey: "_x.y-z9") == nil)
            #expect(TargetLabels.problem(withKey: "") == "a label key must not be empty")
            #expect(TargetLabels.problem(withKey: "9lives") == "a label key must start with a letter or '_', \"9lives\" does not")
            #expect(
                TargetLabels.problem(withKey: "a b")
                    == "a label key may only contain letters, digits, '.', '_' and '-'; \"a b\" has U+20")
            #expect(TargetLabels.problem(withKey: String(repeating: "k", count: 64)) != nil)
            #expect(TargetLabels.problem(withValue: "") == nil)
            #expect(TargetLabels.problem(withValue: "billing team ✓") == nil)
            #expect(TargetLabels.problem(withValue: "a\nb") == "a label value must not contain control characters; found U+A")
            #expect(TargetLabels.problem(withValue: String(repeating: "v", count: 257)) != nil)
        }

        @Test(arguments: [
            ("127.0.0.1:9090", "127.0.0.1", 9090, "127.0.0.1:9090"),
            ("0.0.0.0:0", "0.0.0.0", 0, "0.0.0.0:0"),
            ("localhost:80", "localhost", 80, "localhost:80"),
            ("[::1]:9090", "::1", 9090, "[::1]:9090"),
            ("[::]:9090", "::", 9090, "[::]:9090"),
        ])
        func listenAddresses(text: String, host: String, port: Int, description: String) throws {
            let address = try ListenAddress.parse(text)
            #expect(address == ListenAddress(host: host, port: port))
            #expect(address.description == description)
        }

        @Test(arguments: [
            ("", "expected host:port, such as \"127.0.0.1:9090\", got an empty string"),
            ("9090", "\"9090\" has no host; write host:port, such as \"127.0.0.1:9090\""),
            ("localhost", "\"localhost\" has no port; write host:port, such as \"localhost:9090\""),
            (":9090", "\":9090\" has no host; use \"0.0.0.0:9090\" to listen on every interface"),
            ("::1:9090", "\"::1:9090\": an IPv6 address goes in brackets, such as \"[::1]:9090\""),
            ("[::1]", "\"[::1]\" has no port; write it as \"[::1]:9090\""),
            ("[::1:9090", "\"[::1:9090\" is missing the ']' closing the IPv6 address"),
            ("[abc]:1", "\"abc\" in brackets is not an IPv6 address"),
            ("host:99999", "\"host:99999\": the port must be a number from 0 to 65535, got \"99999\""),
            ("host:http", "\"host:http\": the port must be a number from 0 to 65535, got \"http\""),
            ("a b:1", "\"a b:1\": invalid character \" \" in the host"),
        ])
        func invalidListenAddresses(text: String, message: String) {
            #expect(throws: ListenAddressError(text: text, message: message)) { try ListenAddress.parse(text) }
        }

        @Test func settingKeyNames() {
            #expect(SettingKey.historyRetention.environmentVariable == "CCPOOL_HISTORY_RETENTION")
            #expect(SettingKey.historyRetention.flagName == "--history-retention")
            #expect(SettingKey.adminTokenFile.environmentVariable == "CCPOOL_ADMIN_TOKEN_FILE")
            #expect(SettingKey.shardIndex.flagName == "--shard-index")
            #expect(SettingKey.metricsSubchannelSeries.environmentVariable == "CCPOOL_METRICS_SUBCHANNEL_SERIES")
            #expect(
                SettingKey.allCases.map(\.environmentVariable) == [
                    "CCPOOL_LISTEN", "CCPOOL_DATABASE", "CCPOOL_SHARDS", "CCPOOL_HISTORY_RETENTION", "CCPOOL_ADMIN_TOKEN_FILE",
                    "CCPOOL_METRICS_SUBCHANNEL_SERIES", "CCPOOL_SHUTDOWN_DEADLINE", "CCPOOL_LOG_LEVEL", "CCPOOL_LOG_FORMAT",
                    "CCPOOL_SHARD_INDEX", "CCPOOL_SHARD_COUNT", "CCPOOL_HTTP_MAX_CONNECTIONS",
                    "CCPOOL_HTTP_MAX_CONNECTIONS_PER_CLIENT", "CCPOOL_HTTP_IDLE_TIMEOUT", "CCPOOL_HTTP_REQUEST_TIMEOUT",
                    "CCPOOL_HISTORY_QUERY_TIMEOUT", "CCPOOL_HISTORY_READERS", "CCPOOL_LIMITS_MAX_TARGETS",
                    "CCPOOL_LIMITS_MAX_ADDRESSES_PER_TARGET",
                    "CCPOOL_PEERS", "CCPOOL_PEER_TIMEOUT", "CCPOOL_PENDING_MIGRATIONS",
                ])
        }
    }
}

@Suite("Target names that URLs cannot carry")
struct DotSegmentNameTests {
    @Test("'.' and '..' are refused; names that merely contain dots are fine")
    func dotSegments() throws {
        #expect(throws: TargetNameError.self) { try TargetName(".") }
        #expect(throws: TargetNameError.self) { try TargetName("..") }
        #expect(try TargetName("...").rawValue == "...")
        #expect(try TargetName("a.b").rawValue == "a.b")
    }
}
