import Foundation
import HTTPServer
import Logging
import MetricsExposition
import Testing

@testable import CCPoolService

/// `docs/metrics.md` against what `/metrics` really exposes: the families of the table are exactly the
/// families rendered, with the same types and label names.
///
/// Two renders are compared: `GET /metrics` answered by the real endpoint of a running service (one target
/// whose subchannel fails to connect, an HTTP request and a peer request recorded), and the renderer on a
/// synthetic snapshot that fills every family, disconnections included, with the process metrics read from
/// /proc. Each family must appear in both; its labels are checked on every sample of either.
@Suite struct MetricsReferenceTests {
    struct Family: Equatable, CustomStringConvertible {
        var type: String
        var labels: Set<String>
        var description: String { "\(type) {\(labels.sorted().joined(separator: ", "))}" }
    }

    /// The table of docs/metrics.md.
    func documentedFamilies() throws -> [String: Family] {
        let document = try ReferenceDocument("metrics.md")
        let rows = document.table(startingWith: ["name", "type", "labels", "meaning"])
        #expect(!rows.isEmpty, "\(document.path) has no table starting with | name | type | labels | meaning |")
        var families: [String: Family] = [:]
        for row in rows {
            let name = row["name"] ?? ""
            #expect(families[name] == nil, "\(name) is documented twice in docs/metrics.md")
            families[name] = Family(type: row["type"] ?? "", labels: ReferenceDocument.list(row["labels"]))
        }
        return families
    }

    /// Families of a text-format exposition: their `# TYPE` and the label names seen on their samples
    /// (`le` left out). A family without samples has no labels here; `sampled` says which had some.
    static func parse(_ exposition: String) -> (families: [String: Family], sampled: Set<String>) {
        var families: [String: Family] = [:]
        var sampled: Set<String> = []
        for line in exposition.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { families[String(parts[2]), default: Family(type: "", labels: [])].type = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            let nameEnd = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
            var name = String(line[..<nameEnd])
            if families[name] == nil {
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                    let base = String(name.dropLast(suffix.count))
                    if families[base]?.type == "histogram" { name = base }
                }
            }
            sampled.insert(name)
            var labels = labelNames(line[nameEnd...])
            labels.remove("le")
            families[name, default: Family(type: "", labels: [])].labels.formUnion(labels)
        }
        return (families, sampled)
    }

    /// The label names of `{a="x",b="y\"}"} 1`, minding quoted values.
    static func labelNames(_ rest: Substring) -> Set<String> {
        guard rest.first == "{" else { return [] }
        var names: Set<String> = []
        var name = ""
        var inValue = false
        var escaped = false
        for character in rest.dropFirst() {
            if inValue {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inValue = false }
                continue
            }
            switch character {
            case "}": return names
            case "=": names.insert(name.trimmingCharacters(in: CharacterSet(charactersIn: ", ")))
            case "\"": inValue = true; name = ""
            default: name.append(character)
            }
        }
        return names
    }

    /// `GET /metrics` of a running service whose families all have something to show.
    func endpointExposition() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ccpool-metrics-doc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Port 1 on loopback refuses: the target's subchannel exists and keeps failing.
        var settings = try ConfigLoader.load(
            yaml: "targets: [{name: refused, target: \"ipv4:127.0.0.1:1\"}]", fileName: "metrics-doc.yaml")
        settings.database = directory.appendingPathComponent("ccpool.db").path
        settings.shards = 1
        let runtime = try await ServiceRuntime.start(
            settings: settings, launch: .init(configFlag: nil, environment: [:], flags: [:], hostname: "ccpool-test"),
            logger: Logger(label: "metrics-doc-test"))
        let router = APIRouter(runtime: runtime)
        router.observer("/v1/targets", 200, 0.002)
        runtime.peerMetrics.record(peer: "http://127.0.0.1:9", outcome: .timeout, seconds: 2)
        let endpoint = MetricsEndpoint(runtime: runtime)
        let request = HTTPRequest(method: .get, target: try RequestTarget(parsing: "/metrics"), routePattern: "/metrics")
        var text = ""
        // Wait (bounded) for the subchannel to exist: the balancer creates it on the shard's loop.
        for _ in 0..<200 {
            text = String(decoding: endpoint.respond(request).bodyBytes, as: UTF8.self)
            if text.contains("ccpool_subchannel_state{") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        await runtime.shutdownPool()
        runtime.closeHistory()
        #expect(text.contains("ccpool_subchannel_state{"), "the target's subchannel never appeared in /metrics")
        return text
    }

    /// The renderer on a snapshot with every family filled, the process metrics included.
    func syntheticExposition() throws -> String {
        let process = try #require(ProcessMetricsSampler().current(), "/proc could not be read")
        let snapshot = MetricsSnapshot.synthetic(targets: 3, subchannelsPerTarget: 2, process: process)
        return String(decoding: MetricsRenderer.render(snapshot, format: .prometheusText), as: UTF8.self)
    }

    @Test func theReferenceListsExactlyTheFamiliesExposed() async throws {
        let documented = try documentedFamilies()
        let endpoint = Self.parse(try await endpointExposition())
        let synthetic = Self.parse(try syntheticExposition())
        for (source, rendered) in [("GET /metrics", endpoint.families), ("the renderer", synthetic.families)] {
            #expect(
                Set(rendered.keys).subtracting(documented.keys).sorted() == [],
                "families \(source) exposes that docs/metrics.md does not list")
            #expect(
                Set(documented.keys).subtracting(rendered.keys).sorted() == [],
                "families docs/metrics.md lists that \(source) does not expose")
            for (name, family) in rendered {
                guard let expected = documented[name] else { continue }
                #expect(family.type == expected.type, "\(name): \(source) says \(family.type), docs/metrics.md says \(expected.type)")
            }
        }
        for (name, expected) in documented {
            let seen = [endpoint, synthetic].filter { $0.sampled.contains(name) }
            #expect(!seen.isEmpty, "\(name) had no sample in either render, so its labels went unchecked")
            for render in seen {
                let labels = render.families[name]?.labels ?? []
                #expect(labels == expected.labels, "\(name): rendered with labels \(labels.sorted()), docs/metrics.md says \(expected.labels.sorted())")
            }
        }
    }
}
