import CCPoolCore
import Testing

@Suite("Service config parsing and balancer selection")
struct ServiceConfigTests {
    @Test("default is pick_first without health checking")
    func defaults() throws {
        let config = try ServiceConfig.parse("{}")
        #expect(config.balancerName == "pick_first")
        #expect(config.healthCheckServiceName == nil)
    }

    @Test("the first registered name in loadBalancingConfig wins")
    func firstRegisteredWins() throws {
        let config = try ServiceConfig.parse(#"{"loadBalancingConfig": [{"grpclb": {}}, {"round_robin": {}}, {"pick_first": {}}]}"#)
        #expect(config.balancerName == "round_robin")
    }

    @Test("healthCheckConfig, pick_first options, the old loadBalancingPolicy")
    func fields() throws {
        let config = try ServiceConfig.parse(
            #"{"loadBalancingConfig": [{"pick_first": {"shuffleAddressList": true}}], "healthCheckConfig": {"serviceName": ""}}"#)
        #expect((config.balancerConfig as? PickFirstConfig)?.shuffleAddressList == true)
        #expect(config.healthCheckServiceName == "")
        #expect(try ServiceConfig.parse(#"{"loadBalancingPolicy": "ROUND_ROBIN"}"#).balancerName == "round_robin")
        #expect(try ServiceConfig.parse(#"{"loadBalancingConfig": [{"legacy_pick_first": {}}]}"#).balancerName == "legacy_pick_first")
    }

    @Test(
        "invalid configs are rejected with a clear message",
        arguments: [
            ("not json", "not valid JSON"),
            ("[]", "must be a JSON object"),
            (#"{"loadBalancingConfig": {}}"#, "must be an array"),
            (#"{"loadBalancingConfig": [{"a": {}, "b": {}}]}"#, "exactly one policy"),
            (#"{"loadBalancingConfig": [{"grpclb": {}}]}"#, "no supported policy"),
            (#"{"loadBalancingConfig": [{"round_robin": 3}]}"#, "must be an object"),
            (#"{"loadBalancingConfig": [{"pick_first": {"shuffleAddressList": "yes"}}]}"#, "true or false"),
            (#"{"healthCheckConfig": []}"#, "healthCheckConfig must be an object"),
            (#"{"healthCheckConfig": {"serviceName": 7}}"#, "serviceName must be a string"),
            (#"{"loadBalancingPolicy": "weighted"}"#, "unknown loadBalancingPolicy"),
        ])
    func invalid(_ text: String, _ fragment: String) {
        #expect {
            _ = try ServiceConfig.parse(text)
        } throws: { error in
            (error as? ServiceConfigError)?.message.contains(fragment) ?? false
        }
    }
}

@Suite("Service config: every entry is checked")
struct ServiceConfigStrictnessTests {
    @Test("malformed entries after the chosen one, and a mistyped loadBalancingPolicy, are errors")
    func strict() {
        #expect(throws: ServiceConfigError.self) {
            _ = try ServiceConfig.parse(#"{"loadBalancingConfig": [{"round_robin": {}}, 5]}"#)
        }
        #expect(throws: ServiceConfigError.self) {
            _ = try ServiceConfig.parse(#"{"loadBalancingConfig": [{"round_robin": {}}, {"a": {}, "b": {}}]}"#)
        }
        #expect(throws: ServiceConfigError.self) {
            _ = try ServiceConfig.parse(#"{"loadBalancingConfig": [{"round_robin": {}}], "loadBalancingPolicy": {}}"#)
        }
    }
}
