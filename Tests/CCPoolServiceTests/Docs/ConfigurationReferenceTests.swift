import Foundation
import Testing

@testable import CCPoolService

/// `docs/configuration.md` against the configuration reader: every setting the reader accepts is documented
/// with its environment variable and flag, every documented one is accepted, documented defaults are the
/// real ones, and the file's top-level and target fields are the ones the reader knows.
@Suite struct ConfigurationReferenceTests {
    static let settingColumns = ["key", "variable", "flag", "default", "reload"]

    func settingRows() throws -> [String: [String: String]] {
        let document = try ReferenceDocument("configuration.md")
        let rows = document.table(startingWith: Self.settingColumns)
        #expect(!rows.isEmpty, "\(document.path) has no table starting with | key | variable | flag | default | reload |")
        var byKey: [String: [String: String]] = [:]
        for row in rows {
            let key = row["key"] ?? ""
            #expect(byKey[key] == nil, "\(key) is documented twice in docs/configuration.md")
            byKey[key] = row
        }
        return byKey
    }

    @Test func everySettingIsDocumentedWithItsVariableAndFlag() throws {
        let rows = try settingRows()
        let accepted = Set(SettingKey.allCases.map(\.rawValue))
        #expect(
            accepted.subtracting(rows.keys).sorted() == [],
            "settings the reader accepts that docs/configuration.md does not list")
        #expect(
            Set(rows.keys).subtracting(accepted).sorted() == [],
            "settings docs/configuration.md lists that the reader does not accept")
        for key in SettingKey.allCases {
            guard let row = rows[key.rawValue] else { continue }
            #expect(row["variable"] == key.environmentVariable, "docs/configuration.md: \(key) has the wrong variable")
            #expect(row["flag"] == key.flagName, "docs/configuration.md: \(key) has the wrong flag")
            #expect(["restart", "SIGHUP"].contains(row["reload"] ?? ""), "docs/configuration.md: \(key) has no reload rule")
        }
    }

    /// Each documented variable is one the loader reads, and a documented default given through it loads as
    /// the embedded default's value.
    @Test func documentedVariablesAreReadAndDefaultsAreTheRealOnes() throws {
        for (key, row) in try settingRows() {
            guard let variable = row["variable"], let setting = SettingKey(rawValue: key) else { continue }
            // Defaults that are not a literal value ("none", "from the hostname") cannot be given.
            guard let value = row["default"], !value.contains(" "), value != "none" else { continue }
            let loaded: ServiceSettings
            do {
                loaded = try ConfigLoader.load(yaml: nil, fileName: "", environment: [variable: value])
            } catch {
                Issue.record("docs/configuration.md: \(variable)=\(value) (the documented default) is refused: \(error)")
                continue
            }
            #expect(loaded.sources[setting] == .environment, "\(variable) is not read as \(key)")
            var expected = ServiceSettings.embeddedDefault
            // Unset, shard_count means one replica; set, it is stored.
            if setting == .shardCount { expected.shardCount = 1 }
            #expect(loaded == expected, "docs/configuration.md: the default of \(key) is not \(value)")
        }
    }

    @Test func theOtherVariablesAndFlagsAreDocumented() throws {
        let document = try ReferenceDocument("configuration.md")
        let names = document.table(startingWith: ["name", "what"]).compactMap { $0["name"] }
        for expected in ["--config / \(SettingKey.configFileVariable)", SettingKey.adminTokenVariable, "targets"] {
            #expect(names.contains(expected), "docs/configuration.md does not describe \(expected)")
        }
    }

    /// The reader names its known fields when it meets an unknown one far from all of them.
    func knownFields(yaml: String, at path: String) throws -> Set<String> {
        do {
            _ = try ConfigLoader.load(yaml: yaml, fileName: "probe.yaml")
        } catch {
            let diagnostic = error.diagnostics.first(where: { $0.path == path })
            let message = try #require(diagnostic?.message, "no diagnostic at \(path): \(error)")
            let list = try #require(message.split(separator: ":", maxSplits: 1).last, "\(message)")
            return Set(list.dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        Issue.record("an unknown field was accepted")
        return []
    }

    @Test func topLevelFieldsAreTheReadersFields() throws {
        let known = try knownFields(yaml: "zzzzzzzzzzzzzzzzzzzz: 1\n", at: "zzzzzzzzzzzzzzzzzzzz")
        let documented = Set(try settingRows().keys.map { String($0.split(separator: ".")[0]) }).union(["targets"])
        #expect(known.subtracting(documented).sorted() == [], "top-level fields the reader knows that docs/configuration.md does not")
        #expect(documented.subtracting(known).sorted() == [], "top-level fields docs/configuration.md names that the reader does not know")
    }

    @Test func targetFieldsAreTheReadersFields() throws {
        let yaml = """
            targets:
              - name: a
                target: "ipv4:127.0.0.1:1"
                zzzzzzzzzzzzzzzzzzzz: 1
            """
        let known = try knownFields(yaml: yaml, at: "targets[0].zzzzzzzzzzzzzzzzzzzz")
        let document = try ReferenceDocument("configuration.md")
        let documented = Set(document.table(startingWith: ["field", "default", "meaning"]).compactMap { $0["field"] })
        #expect(known.subtracting(documented).sorted() == [], "target fields the reader knows that docs/configuration.md does not")
        #expect(documented.subtracting(known).sorted() == [], "target fields docs/configuration.md names that the reader does not know")
    }
}
