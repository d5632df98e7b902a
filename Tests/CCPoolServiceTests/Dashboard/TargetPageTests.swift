import CCPoolCore
@testable import CCPoolService
import ChannelPool
import Foundation
@testable import History
import HTTPServer
import Logging
import Testing

/// `GET /ui/targets/{name}`: the rendered page from synthetic values, and the routes end to end on a real
/// service runtime (404 and 400 pages, the window parameter, escaping of what the history recorded).
@Suite("Dashboard target page")
struct TargetPageTests {
    typealias F = DashboardFixtures

    static func content(_ target: TargetSnapshot, events: [StoredEvent], initial: [Timeline.BandKey: StoredEvent] = [:]) -> TargetPage.Content {
        let window = F.micros(0)..<F.micros(3600)
        let timeline = Timeline.build(window: window, initial: initial, events: events)
        return TargetPage.Content(
            target: target, window: .hour,
            history: TargetHistory(timeline: timeline, latest: events.reversed(), truncated: false),
            availability: Availability(windowSeconds: 3600, readySeconds: 3240, readyFraction: 0.9, transitions: 4),
            now: window.upperBound, nonce: "n0nce", source: "config file")
    }

    @Test("spec, subchannels, timeline, events and availability are all there")
    func content() {
        let target = F.target(
            "payments", state: .ready, labels: ["team": "billing"],
            subchannels: [(1, .ready, "health: SERVING"), (2, .transientFailure, "connection refused")],
            health: "payments.v1.Payments")
        let events = [
            F.event(10, at: 100, .idle, .connecting, reason: "resolving"),
            F.event(11, at: 101, .connecting, .ready, subchannel: 1, reason: "connected"),
            F.event(12, at: 102, .connecting, .ready, reason: "subchannel 1 READY"),
        ]
        let html = TargetPage.render(Self.content(target, events: events))
        #expect(html.contains("<h1>payments</h1><span id=\"channel-state\"><span class=\"badge st-READY\""))
        #expect(html.contains("<dd class=\"mono\">dns:///payments.internal:50051</dd>"))
        #expect(html.contains("<dd id=\"lb-policy\">round_robin</dd>"))
        #expect(html.contains("payments.v1.Payments"))
        #expect(html.contains("<span class=\"chip\">team=billing</span>"))
        #expect(html.contains("<tr data-id=\"1\"><td class=\"mono\">#1</td><td class=\"mono address\">10.0.0.1:50051</td>"))
        #expect(html.contains("<td class=\"health\">SERVING</td>"))
        #expect(html.contains("<td class=\"reason\">connection refused</td>"))
        #expect(html.contains("id=\"avail-fraction\">90.00 %</span>"))
        #expect(html.contains("<span aria-current=\"true\">1h</span>"))
        #expect(html.contains("href=\"/ui/targets/payments?window=24h\""))
        #expect(html.contains("data-band=\"channel\"") && html.contains("data-band=\"subchannel-1\""))
        #expect(html.contains("<tr data-id=\"12\">"))
        #expect(html.contains("<td class=\"reason\">subchannel 1 READY</td>"))
    }

    @Test("reasons, addresses and labels from outside are escaped everywhere")
    func escaping() {
        let evil = "<script>alert(1)</script>"
        let target = F.target("t", labels: [evil: evil], subchannels: [(1, .transientFailure, "peer said " + evil)])
        let events = [F.event(5, at: 10, .connecting, .transientFailure, subchannel: 1, reason: evil, address: "<img src=x>:1")]
        let html = TargetPage.render(Self.content(target, events: events))
        #expect(!html.contains(evil))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;=&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("peer said &lt;script&gt;"))
        #expect(html.contains("&lt;img src=x&gt;:1"))
        #expect(html.components(separatedBy: "<script").count - 1 == 1)
    }

    @Test("the window parameter takes 1h, 24h or 7d and nothing else")
    func window() throws {
        func parse(_ query: String) throws(DashboardError) -> Timeline.Window {
            try DashboardRoutes.window((try? RequestTarget(parsing: "/x?" + query).query) ?? [])
        }
        #expect(try DashboardRoutes.window([]) == .hour)
        #expect(try parse("window=24h") == .day)
        #expect(try parse("window=7d") == .week)
        for bad in ["window=2h", "window=", "window=1h&window=7d", "page=1"] {
            #expect(throws: DashboardError.self, "\(bad)") { try parse(bad) }
        }
    }

    // MARK: Routes on a real runtime

    static func withRuntime(_ body: (ServiceRuntime, Router) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ccpool-dash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = ServiceSettings()
        settings.database = directory.appendingPathComponent("ccpool.db").path
        settings.shards = 1
        let spec = try TargetSpec.decode(json: Array(#"""
            {"target": "ipv4:127.0.0.1:1", "idle": "lazy", "labels": {"team": "<script>alert(1)</script>"}}
            """#.utf8))
        settings.targets = [ConfiguredTarget(name: try TargetName("lazy-one"), spec: spec)]
        let runtime = try await ServiceRuntime.start(
            settings: settings,
            launch: .init(configFlag: nil, environment: [:], flags: [:], hostname: "test"),
            logger: Logger(label: "dashboard-test"))
        do {
            try await body(runtime, APIRouter(runtime: runtime).router)
        } catch {
            await runtime.shutdownPool()
            runtime.closeHistory()
            throw error
        }
        await runtime.shutdownPool()
        runtime.closeHistory()
    }

    static func get(_ router: Router, _ target: String) -> (status: Int, html: String, headers: HTTPHeaders) {
        let (response, _) = router.respond(method: .get, target: target, headers: HTTPHeaders(), body: [])
        return (response.status, String(decoding: response.bodyBytes, as: UTF8.self), response.headers)
    }

    @Test("an unknown target is a 404 page; a bad name or parameter a 400 page; both HTML and escaped")
    func errorPages() async throws {
        try await Self.withRuntime { _, router in
            let missing = Self.get(router, "/ui/targets/nope")
            #expect(missing.status == 404)
            #expect(missing.headers["Content-Type"] == "text/html; charset=utf-8")
            #expect(missing.html.contains("data-status=\"404\" data-code=\"not_found\""))
            #expect(missing.html.contains("No target named \u{201C}nope\u{201D}."))

            let script = Self.get(router, "/ui/targets/%3Cscript%3Ealert(1)%3C!--")
            #expect(script.status == 400)
            #expect(script.html.contains("&lt;script&gt;alert(1)&lt;!--"))
            #expect(!script.html.contains("<script>alert"))
            #expect(!script.html.contains("<script"))  // the error page has no script at all

            let window = Self.get(router, "/ui/targets/lazy-one?window=3h")
            #expect(window.status == 400 && window.html.contains("window must be 1h, 24h or 7d."))
            let page = Self.get(router, "/?page=0")
            #expect(page.status == 400 && page.html.contains("data-code=\"invalid_parameter\""))
        }
    }

    @Test("both pages render from the running service, with a CSP nonce on the one script")
    func pages() async throws {
        try await Self.withRuntime { _, router in
            let overview = Self.get(router, "/")
            #expect(overview.status == 200)
            #expect(overview.html.contains("<tr data-target=\"lazy-one\">"))
            #expect(overview.html.contains("team=&lt;script&gt;alert(1)&lt;/script&gt;"))
            let csp = try #require(overview.headers["Content-Security-Policy"])
            let nonce = try #require(csp.split(separator: "'").first { $0.hasPrefix("nonce-") }).dropFirst(6)
            #expect(overview.html.contains("<script nonce=\"\(nonce)\">"))

            for window in ["", "?window=24h", "?window=7d"] {
                let target = Self.get(router, "/ui/targets/lazy-one" + window)
                #expect(target.status == 200)
                #expect(target.html.contains("<h1>lazy-one</h1>"))
                #expect(target.html.contains("data-band=\"channel\""))
                #expect(!target.html.contains("<script>alert"))
            }
        }
    }
}
