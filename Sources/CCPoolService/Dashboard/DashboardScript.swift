/// The pages' inline scripts: they keep a page live by polling the JSON API every few seconds and updating
/// the server-rendered DOM in place, so scroll position, the filter and the layout stay as they are.
///
/// Rules they keep: text from the API goes in through `textContent` only (never `innerHTML`); no request
/// overlaps the previous one; nothing runs while the tab is hidden; a failed poll says so in the top bar and
/// the next one retries. Without JavaScript the pages are complete as rendered (and reload themselves through
/// a `<noscript>` refresh).
///
/// The code lives in `Dashboard/Assets/*.js` (embedded at build time, linted by `make dashboard-check`):
/// `common.js` holds the helpers both pages use (badges like ``StateLook/badge(_:short:into:)``, time
/// formats, the poll loop); `overview.js` and `target.js` each page's own part.
enum DashboardScript {
    /// `GET /`: counts, and each visible row's state, since and subchannel counts from `/v1/targets`.
    static let overview = page(EmbeddedFiles.dashboardOverviewJS)

    /// `GET /ui/targets/{name}`: the channel badge, the subchannels table, the availability, and the timeline
    /// and event list, extended with the events `/v1/history` returns since the newest one on the page.
    static let target = page(EmbeddedFiles.dashboardTargetJS)

    /// The helpers and a page's own part inside one function, so nothing leaks into the page's global scope
    /// (and the page's part may `return` early when its root element is missing).
    private static func page(_ own: String) -> String {
        "(function(){" + EmbeddedFiles.dashboardCommonJS + own + "})();"
    }
}
