import ChannelPool
import Foundation
import History
import HTTPServer

/// The dashboard's two HTML routes, `GET /` and `GET /ui/targets/{name}`, wired to the running service.
///
/// Like every handler they run synchronously on libmicrohttpd's threads: they take the pool's snapshot and do
/// bounded blocking reads on the read-only history connection (``TargetHistory``), then hand the values to a
/// pure page renderer. Bad input answers an HTML error page (400/404/503) rather than the API's JSON shape.
struct DashboardRoutes: Sendable {
    let runtime: ServiceRuntime

    /// `GET /?page=&per_page=&filter=&sort=&state=`.
    func overview(_ request: HTTPRequest) -> HTTPResponse {
        let query: OverviewQuery
        do {
            query = try OverviewQuery.parse(request.query)
        } catch {
            return ErrorPage.response(error)
        }
        return overview(query, targets: runtime.pool.summaries(), replica: replicaText, banner: nil)
    }

    /// The overview of `targets` (this replica's, or the whole pool's); `banner` warns above the list.
    func overview(_ query: OverviewQuery, targets: [TargetSummary], replica: String?, banner: String?) -> HTTPResponse {
        let nonce = PageShell.nonce()
        var context = OverviewPage.Context(now: Date(), replica: replica, nonce: nonce)
        context.banner = banner
        return PageShell.response(OverviewPage.render(targets, query: query, context: context), nonce: nonce)
    }

    /// An API error shown as the dashboard's HTML error page.
    @Sendable static func errorPage(_ error: HTTPError) -> HTTPResponse {
        ErrorPage.response(DashboardError(status: error.status, code: error.code, message: error.message))
    }

    /// `GET /ui/targets/{name}?window=1h|24h|7d`.
    func target(_ request: HTTPRequest) -> HTTPResponse {
        do {
            return try targetPage(request)
        } catch {
            return ErrorPage.response(error)
        }
    }

    private func targetPage(_ request: HTTPRequest) throws(DashboardError) -> HTTPResponse {
        let raw = request.parameter("name") ?? ""
        let name: TargetName
        do {
            name = try TargetName(raw)
        } catch {
            throw DashboardError(status: 400, code: "invalid_name", message: "\u{201C}\(raw)\u{201D} is not a target name: \(error.message).")
        }
        let window = try Self.window(request.query)
        guard let snapshot = runtime.pool.snapshot(of: name.description) else {
            let owner = runtime.replica.owner(of: name.description)
            let message = owner == runtime.replica.index
                ? "No target named \u{201C}\(name)\u{201D}."
                : "Target \u{201C}\(name)\u{201D} is owned by replica \(owner) of \(runtime.replica.count), not by this one (\(runtime.replica.index))."
            throw DashboardError(status: 404, code: "not_found", message: message)
        }
        let now = HistoryTime.micros(Date())
        var current: [Int64: String?] = [:]
        for subchannel in snapshot.stats.subchannels.values {
            current[Int64(subchannel.id.rawValue)] = (subchannel.connectedAddress ?? subchannel.addresses.first)?.description
        }
        let history: TargetHistory
        let availability: Availability?
        do {
            (history, availability) = try runtime.withHistoryReader { reader throws(SQLiteError) in
                (try TargetHistory.load(reader: reader, target: name.description, window: window, now: now, subchannels: current),
                 try? reader.availability(target: name.description, window: .microseconds(window.micros), now: now))
            }
        } catch {
            throw DashboardError(status: error.status, code: error.code, message: error.message)
        }
        let source: String? = switch runtime.source(of: name) {
        case .config: "config file"
        case .admin: "admin API"
        case nil: nil
        }
        let nonce = PageShell.nonce()
        let content = TargetPage.Content(
            target: snapshot, window: window, history: history, availability: availability, now: now, nonce: nonce,
            source: source)
        return PageShell.response(TargetPage.render(content), nonce: nonce)
    }

    /// The only parameter: `window`, one of 1h, 24h, 7d (default 1h).
    static func window(_ items: [QueryItem]) throws(DashboardError) -> Timeline.Window {
        var window = Timeline.Window.hour
        var seen = false
        for item in items {
            guard item.name == "window" else {
                throw .badParameter("Unknown parameter \u{201C}\(item.name)\u{201D}; this page takes only window.")
            }
            guard !seen else { throw .badParameter("The parameter window is given more than once.") }
            seen = true
            guard let parsed = Timeline.Window(rawValue: item.value ?? "") else {
                throw .badParameter("window must be 1h, 24h or 7d.")
            }
            window = parsed
        }
        return window
    }

    private var replicaText: String? {
        runtime.replica.count > 1 ? "replica \(runtime.replica.index) of \(runtime.replica.count)" : nil
    }
}
