import Testing

@testable import CCPoolService

extension ConfigTests {
    @Suite struct ConfigDiffTests {
        func targets(_ yaml: String) throws -> [TargetName: TargetSpec] {
            try settings(yaml: yaml).targetsByName
        }

        @Test func addedRemovedChangedUnchanged() throws {
            let running = try targets(
                """
                targets:
                  - {name: keep, target: "h:1", labels: {a: b}}
                  - {name: gone, target: "h:2"}
                  - {name: uri, target: "h:3"}
                  - {name: sc, target: "h:4"}
                  - {name: conn, target: "h:5"}
                  - {name: lab, target: "h:6", labels: {a: b}}
                """)
            let loaded = try settings(
                yaml: """
                    targets:
                      - {name: new, target: "h:7"}
                      - {name: lab, target: "h:6", labels: {a: c}}
                      - {name: conn, target: "h:5", keepalive: {time: 1m}}
                      - {name: sc, target: "h:4", service_config: '{"loadBalancingConfig":[{"round_robin":{}}]}'}
                      - {name: uri, target: "dns:///h:3"}
                      - {name: keep, target: "h:1", labels: {a: b}, idle: connected}
                    """)
            let diff = ConfigDiff(running: running, loaded: loaded)
            #expect(diff.added.map(\.name.rawValue) == ["new"])
            #expect(diff.removed.map(\.rawValue) == ["gone"])
            #expect(diff.unchanged.map(\.rawValue) == ["keep"])
            #expect(diff.changed.map(\.name.rawValue) == ["conn", "lab", "sc", "uri"])
            #expect(diff.changed.map(\.changes) == [.connection, .labels, .serviceConfig, .targetURI])
            #expect(diff.changed.map(\.changes.description) == ["connection", "labels", "service_config", "target"])
            #expect(diff.changed[0].old.keepalive == nil)
            #expect(diff.changed[0].new.keepalive != nil)
            #expect(!diff.isEmpty)
            #expect(diff.summary == "1 added, 1 removed, 4 changed, 1 unchanged")
        }

        @Test func identicalSetsAreEmpty() throws {
            let yaml = "targets:\n  - {name: a, target: \"h:1\"}\n  - {name: b, target: \"h:2\"}\n"
            let diff = ConfigDiff(running: try targets(yaml), loaded: try targets(yaml))
            #expect(diff.isEmpty)
            #expect(diff.unchanged.map(\.rawValue) == ["a", "b"])
        }

        @Test func fromNothingAndToNothing() throws {
            let some = try targets("targets:\n  - {name: b, target: \"h:2\"}\n  - {name: a, target: \"h:1\"}\n")
            #expect(ConfigDiff(running: [:], loaded: some).added.map(\.name.rawValue) == ["a", "b"])
            #expect(ConfigDiff(running: some, loaded: [:]).removed.map(\.rawValue) == ["a", "b"])
            #expect(ConfigDiff(running: [:], loaded: [:]).isEmpty)
        }
    }
}
