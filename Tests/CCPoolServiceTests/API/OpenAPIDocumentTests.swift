import Foundation
import HTTPServer
import Logging
import Testing
import Yams

@testable import CCPoolService

/// `/openapi.yaml` against the router it describes: the document parses, and its paths and methods are
/// exactly the router's routes (HEAD is implied by GET and not listed separately).
@Suite struct OpenAPIDocumentTests {
    static let operationKeys: Set<String> = ["get", "put", "post", "delete", "patch", "options", "head", "trace"]

    /// The parsed document.
    func document() throws -> [String: Any] {
        let parsed = try Yams.load(yaml: EmbeddedFiles.openAPIYAML)
        return try #require(parsed as? [String: Any], "the document is not a YAML mapping")
    }

    /// Method and path of every operation in the document (`GET /v1/targets/{name}`).
    func documentedOperations() throws -> Set<String> {
        let paths = try #require(try document()["paths"] as? [String: Any])
        var result: Set<String> = []
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "path item \(path) is not a mapping")
            for key in item.keys where Self.operationKeys.contains(key) {
                result.insert("\(key.uppercased()) \(path)")
            }
        }
        return result
    }

    /// Method and pattern of every route of the real router.
    func routedOperations() async throws -> Set<String> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ccpool-openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = ServiceSettings()
        settings.database = directory.appendingPathComponent("ccpool.db").path
        settings.shards = 1
        let runtime = try await ServiceRuntime.start(
            settings: settings,
            launch: .init(configFlag: nil, environment: [:], flags: [:], hostname: "ccpool-test"),
            logger: Logger(label: "openapi-test"))
        let table = APIRouter(runtime: runtime).router.routeTable
        await runtime.shutdownPool()
        runtime.closeHistory()
        return Set(table.map { "\($0.method.rawValue) \($0.pattern)" })
    }

    @Test func documentIsOpenAPI31WithTheSharedPieces() throws {
        let document = try document()
        #expect(document["openapi"] as? String == "3.1.0")
        let components = try #require(document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        for name in ["Error", "TargetSpec", "TargetStatus", "Subchannel", "Event", "PickRequest"] {
            #expect(schemas[name] != nil, "components.schemas.\(name) is missing")
        }
        let schemes = try #require(components["securitySchemes"] as? [String: Any])
        let admin = try #require(schemes["adminToken"] as? [String: Any])
        #expect(admin["type"] as? String == "http")
        #expect(admin["scheme"] as? String == "bearer")
    }

    @Test func everyRouteIsDocumentedWithExactlyItsMethods() async throws {
        let documented = try documentedOperations()
        let routed = try await routedOperations()
        #expect(!routed.isEmpty)
        #expect(routed.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
        #expect(documented.subtracting(routed).sorted() == [], "operations in openapi.yaml that no route serves")
    }

    @Test func adminOperationsCarryTheBearerSchemeAnd401And403() throws {
        let paths = try #require(try document()["paths"] as? [String: Any])
        let item = try #require(paths["/v1/targets/{name}"] as? [String: Any])
        for method in ["put", "delete"] {
            let operation = try #require(item[method] as? [String: Any])
            let security = try #require(operation["security"] as? [[String: Any]], "\(method) has no security")
            #expect(security.contains { $0["adminToken"] != nil })
            let responses = try #require(operation["responses"] as? [String: Any])
            #expect(responses["401"] != nil && responses["403"] != nil, "\(method) lacks 401/403")
        }
    }

    /// The served document is the repository's `openapi.yaml`, byte for byte (the build embeds it).
    @Test func servedDocumentIsTheRepositoryFile() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try Data(contentsOf: root.appendingPathComponent("openapi.yaml"))
        #expect(Array(EmbeddedFiles.openAPIYAML.utf8) == Array(file))
    }

    /// No mapping holds a null value: in a YAML flow mapping an unquoted comma in prose starts a new key
    /// (`{description: The address, if any.}` makes a keyword `if any.`), which validators accept silently.
    @Test func noMappingValueIsNull() throws {
        var nulls: [String] = []
        func walk(_ node: Any, _ path: String) {
            if let mapping = node as? [String: Any] {
                for (key, value) in mapping {
                    if value is NSNull { nulls.append(path + "/" + key) }
                    walk(value, path + "/" + key)
                }
            } else if let sequence = node as? [Any] {
                for (index, item) in sequence.enumerated() { walk(item, "\(path)[\(index)]") }
            }
        }
        walk(try document(), "")
        #expect(nulls == [])
    }

    /// Every `$ref` points at something the document defines.
    @Test func everyReferenceResolves() throws {
        let document = try document()
        var missing: [String] = []
        func resolve(_ reference: String) -> Any? {
            guard reference.hasPrefix("#/") else { return nil }
            var node: Any? = document
            for part in reference.dropFirst(2).split(separator: "/") {
                node = (node as? [String: Any])?[String(part)]
            }
            return node
        }
        func walk(_ node: Any) {
            if let mapping = node as? [String: Any] {
                if let reference = mapping["$ref"] as? String, resolve(reference) == nil { missing.append(reference) }
                mapping.values.forEach(walk)
            } else if let sequence = node as? [Any] {
                sequence.forEach(walk)
            }
        }
        walk(document)
        #expect(missing == [])
    }
}
