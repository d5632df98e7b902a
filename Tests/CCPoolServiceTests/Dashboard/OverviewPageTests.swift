import CCPoolCore
@testable import CCPoolService
import ChannelPool
import Foundation
import HTTPServer
import Testing

/// `GET /`: query validation, filter, sort, pagination, counts, escaping, and the render time of 5,000 targets.
@Suite("Dashboard overview page")
struct OverviewPageTests {
    typealias F = DashboardFixtures

    static func items(_ query: String) -> [QueryItem] {
        (try? RequestTarget(parsing: "/?" + query).query) ?? []
    }

    static let context = OverviewPage.Context(now: Date(timeIntervalSince1970: 1_767_229_200), replica: nil, nonce: "n0nce")

    @Test("valid queries parse; defaults are page 1, 100 per page, sorted by name")
    func parse() throws {
        #expect(try OverviewQuery.parse([]) == OverviewQuery())
        let query = try OverviewQuery.parse(Self.items("page=3&per_page=25&filter=%20team%3Dbilling%20&sort=state&state=READY"))
        #expect(query == OverviewQuery(page: 3, perPage: 25, filter: "team=billing", sort: .state, state: "READY"))
        #expect(try OverviewQuery.parse(Self.items("state=")).state == nil)
    }

    @Test("bad parameters are a 400 with a sentence", arguments: [
        "page=0", "page=-1", "page=abc", "page=1.5", "page=99999999999", "per_page=0", "per_page=501", "per_page=",
        "sort=size", "sort=", "state=ready", "state=BROKEN", "nope=1", "page=1&page=2",
        "filter=" + String(repeating: "x", count: 201), "filter=a%0Ab",
    ])
    func rejects(_ query: String) {
        #expect(throws: DashboardError.self) { try OverviewQuery.parse(Self.items(query)) }
        do {
            _ = try OverviewQuery.parse(Self.items(query))
        } catch {
            #expect(error.status == 400)
            #expect(error.code == "invalid_parameter")
            #expect(!error.message.isEmpty)
        }
    }

    @Test("pagination: pages of per_page rows, the last one partial, a page past the end is empty")
    func pagination() {
        let targets = F.many(250)
        let first = OverviewPage.select(targets, OverviewQuery(page: 1, perPage: 100))
        #expect(first.rows.count == 100 && first.offset == 0 && first.pageCount == 3 && first.matched == 250)
        #expect(first.rows.first?.name == "t00000")
        let last = OverviewPage.select(targets, OverviewQuery(page: 3, perPage: 100))
        #expect(last.rows.count == 50 && last.offset == 200)
        #expect(last.rows.map(\.name).first == "t00200" && last.rows.last?.name == "t00249")
        let past = OverviewPage.select(targets, OverviewQuery(page: 9, perPage: 100))
        #expect(past.rows.isEmpty && past.pageCount == 3)
        let html = OverviewPage.render(targets, query: OverviewQuery(page: 9, perPage: 100), context: Self.context)
        #expect(html.contains("This page is past the end of the list."))
        #expect(html.contains("rel=\"first\" href=\"/?page=1\"") || html.contains("rel=\"first\" href=\"/\""))
    }

    @Test("filter: case-insensitive substring of name, URI or key=value label; counts stay over all targets")
    func filter() {
        let targets = [
            F.target("payments", labels: ["team": "Billing"]),
            F.target("ledger", state: .transientFailure, uri: "ipv4:10.1.2.3:443"),
            F.target("search", state: .idle, labels: ["zone": "eu-west"]),
        ]
        func names(_ filter: String, state: String? = nil) -> [String] {
            OverviewPage.select(targets, OverviewQuery(filter: filter, state: state)).rows.map(\.name)
        }
        #expect(names("PAY") == ["payments"])
        #expect(names("10.1.2") == ["ledger"])
        #expect(names("team=bill") == ["payments"])
        #expect(names("zone=eu") == ["search"])
        #expect(names("internal") == ["payments", "search"])
        #expect(names("nothing") == [])
        #expect(names("", state: "TRANSIENT_FAILURE") == ["ledger"])
        let selection = OverviewPage.select(targets, OverviewQuery(filter: "pay"))
        #expect(selection.counts == ["READY": 1, "TRANSIENT_FAILURE": 1, "IDLE": 1])
        #expect(selection.total == 3 && selection.matched == 1)
    }

    @Test("sort=state puts the worst first (TF, CONNECTING, IDLE, READY, SHUTDOWN), then by name")
    func sortByState() {
        let targets = [
            F.target("a", state: .ready), F.target("b", state: .shutdown), F.target("c", state: .transientFailure),
            F.target("d", state: .idle), F.target("e", state: .connecting), F.target("f", state: .transientFailure),
        ]
        let rows = OverviewPage.select(targets, OverviewQuery(sort: .state)).rows
        #expect(rows.map(\.name) == ["c", "f", "e", "d", "a", "b"])
        #expect(OverviewPage.select(targets.reversed(), OverviewQuery()).rows.map(\.name) == ["a", "b", "c", "d", "e", "f"])
    }

    @Test("the page: counts per state, a badge with icon and text per target, subchannel counts, links that keep the query")
    func content() {
        let targets = [
            F.target("pay", state: .ready, subchannels: [(1, .ready, nil), (2, .ready, nil), (3, .transientFailure, "refused")]),
            F.target("ledger", state: .transientFailure),
        ]
        let none = OverviewPage.render(targets, query: OverviewQuery(perPage: 1, filter: "a b"), context: Self.context)
        #expect(none.contains("<span class=\"n\" id=\"count-READY\">1</span>"))
        #expect(none.contains("<span class=\"n\" id=\"count-TRANSIENT_FAILURE\">1</span>"))
        #expect(none.contains("<span class=\"n\" id=\"count-IDLE\">0</span>"))
        #expect(none.contains("No target matches.") && !none.contains("<tr data-target="))
        let all = OverviewPage.render(targets, query: OverviewQuery(perPage: 1), context: Self.context)
        #expect(all.contains("<tr data-target=\"ledger\">") && !all.contains("<tr data-target=\"pay\">"))
        #expect(all.contains("rel=\"next\" href=\"/?per_page=1&amp;page=2\""))
        let page2 = OverviewPage.render(targets, query: OverviewQuery(page: 2, perPage: 1), context: Self.context)
        #expect(page2.contains("<td class=\"subchannels\" data-count=\"3\">"))
        #expect(page2.contains("class=\"pip st-READY\" data-state=\"READY\" data-count=\"2\""))
        #expect(page2.contains("class=\"pip st-TRANSIENT_FAILURE\" data-state=\"TRANSIENT_FAILURE\" data-count=\"1\""))
        #expect(page2.contains("<span class=\"badge st-READY\" data-state=\"READY\"><span class=\"ic\" aria-hidden=\"true\">\u{2713}</span> READY</span>"))
        #expect(page2.contains("href=\"/ui/targets/pay\""))
        // The filter's value comes back escaped in the form, and encoded in links.
        let filtered = OverviewPage.render(targets, query: OverviewQuery(filter: "\"><b>x"), context: Self.context)
        #expect(filtered.contains("value=\"&quot;&gt;&lt;b&gt;x\""))
        #expect(filtered.contains("href=\"/?filter=%22%3E%3Cb%3Ex&amp;state=READY\""))
        #expect(!filtered.contains("<b>x"))
    }

    @Test("labels and URIs are text: a <script> label shows as text, and the only script is the page's own")
    func escaping() {
        let target = F.target(
            "xss", uri: "ipv4:127.0.0.1:1", labels: ["team": "<script>alert(1)</script>", "note": "a&b \"q\" 'x'"])
        let html = OverviewPage.render([target], query: OverviewQuery(), context: Self.context)
        #expect(html.contains("team=&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("note=a&amp;b &quot;q&quot; &#39;x&#39;"))
        #expect(html.components(separatedBy: "<script").count - 1 == 1)
        #expect(html.contains("<script nonce=\"n0nce\">"))
        #expect(HTML.escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;")
        #expect(HTML.escape("plain ünïcødé ✓") == "plain ünïcødé ✓")
    }

    @Test("render time of 5,000 targets (printed, not asserted)")
    func renderTime() {
        let targets = F.many(5_000).map(TargetSummary.init)
        let clock = ContinuousClock()
        for (label, query) in [
            ("page 1 of 100 rows", OverviewQuery()),
            ("sort=state, page 20", OverviewQuery(page: 20, sort: .state)),
            ("filter=team3", OverviewQuery(filter: "team3")),
            ("per_page=500", OverviewQuery(perPage: 500)),
        ] {
            _ = OverviewPage.render(targets, query: query, context: Self.context)  // warm up
            var best = Duration.seconds(1000)
            var bytes = 0
            for _ in 0..<5 {
                let elapsed = clock.measure { bytes = OverviewPage.render(targets, query: query, context: Self.context).utf8.count }
                best = min(best, elapsed)
            }
            print("dashboard overview, 5000 targets, \(label): best of 5 \(best.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 2)))), \(bytes) bytes")
        }
    }
}
