import HTTPServer

/// The HTML page for a ``DashboardError``: status, a title, the message (escaped: it may quote the request)
/// and a way back. The status line carries the same status.
enum ErrorPage {
    static func title(for status: Int) -> String {
        switch status {
        case 400: "Bad request"
        case 404: "Not found"
        case 503: "Unavailable"
        default: "Error"
        }
    }

    static func render(_ error: DashboardError, nonce: String) -> String {
        var html = HTML.Builder(reserving: 8_192)
        let title = "\(error.status) \u{00B7} \(Self.title(for: error.status))"
        PageShell.begin(title: title, crumbs: [(text: title, href: nil)], nonce: nonce, refreshes: false, into: &html)
        html.raw("<section class=\"panel\" id=\"error\" data-status=\"\(error.status)\" data-code=\"")
        html.text(error.code)
        html.raw("\"><h1>")
        html.text(title)
        html.raw("</h1><p>")
        html.text(error.message)
        html.raw("</p><p><a href=\"/\">\u{2190} all targets</a></p></section>")
        PageShell.end(script: nil, nonce: nonce, into: &html)
        return html.html
    }

    static func response(_ error: DashboardError) -> HTTPResponse {
        let nonce = PageShell.nonce()
        return PageShell.response(render(error, nonce: nonce), status: error.status, nonce: nonce)
    }
}
