import Testing

@testable import CCPoolService

extension ConfigTests {
    @Suite struct ConfigCheckTests {
        @Test func validFileExitsZero() {
            let check = ConfigCheck.run(path: "ok.yaml", readFile: { _ in "targets:\n  - {name: a, target: \"h:1\"}\n" })
            #expect(check.exitCode == 0)
            #expect(check.diagnostics.isEmpty)
            #expect(check.settings?.targets.count == 1)
            #expect(check.summary == "ok.yaml: OK (1 target, listen 127.0.0.1:9090, database ./ccpool.db)")
        }

        @Test func invalidFileExitsOneWithEveryReason() {
            let check = ConfigCheck.run(
                path: "bad.yaml", readFile: { _ in "listen: nowhere\ntargets:\n  - {name: a, target: \"h:1\", idle: x}\n" })
            #expect(check.exitCode == 1)
            #expect(check.settings == nil)
            #expect(
                check.diagnostics.map(\.description) == [
                    #"bad.yaml:1:9: listen: "nowhere" has no port; write host:port, such as "nowhere:9090""#,
                    #"bad.yaml:3:36: targets[0].idle: must be one of "connected", "lazy", got "x""#,
                ])
            #expect(check.summary == "bad.yaml: 2 problems")
        }

        @Test func unreadableAndMalformedFilesExitOne() {
            let unreadable = ConfigCheck.run(path: "gone.yaml", readFile: { _ in throw FileReadError(message: "cannot read gone.yaml: no such file") })
            #expect(unreadable.exitCode == 1)
            #expect(unreadable.diagnostics.map(\.description) == ["gone.yaml: cannot read gone.yaml: no such file"])
            let malformed = ConfigCheck.run(path: "m.yaml", readFile: { _ in "a: b: c\n" })
            #expect(malformed.exitCode == 1)
            #expect(malformed.diagnostics.map(\.description) == ["m.yaml:1:5: not valid YAML: mapping values are not allowed in this context"])
        }

        @Test func environmentOverridesAreCheckedWhenGiven() {
            let check = ConfigCheck.run(path: "ok.yaml", environment: ["CCPOOL_SHARDS": "-3"], readFile: { _ in "" })
            #expect(check.exitCode == 1)
            #expect(check.diagnostics.map(\.description) == ["environment CCPOOL_SHARDS: shards: must be from 0 to 4096, got -3"])
        }
    }
}
