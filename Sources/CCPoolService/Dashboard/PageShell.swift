import HTTPServer

/// The frame every dashboard page shares: `<head>` with the inline style sheet, the top bar, and the
/// response headers (a strict Content-Security-Policy whose per-response nonce is the only way a script or
/// style runs, so a missed escape cannot execute anything).
///
/// Pages are self-contained: no CDN, no external file, nothing fetched but the JSON API.
enum PageShell {
    /// A fresh CSP nonce (128 random bits, hex).
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let a = generator.next() as UInt64
        let b = generator.next() as UInt64
        return hex(a) + hex(b)
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// The response for a rendered page.
    static func response(_ html: String, status: Int = 200, nonce: String) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [
                "Content-Type": "text/html; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Content-Security-Policy":
                    "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; connect-src 'self'; "
                    + "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ],
            body: Array(html.utf8))
    }

    /// `<!doctype html>` up to the opening `<main>`. `crumbs` follow the "ccpool" home link in the top bar.
    /// `refreshes` says whether the page's script keeps it live (the status slot then shows the last update);
    /// without JavaScript a `<noscript>` meta refresh reloads the page every `noScriptRefreshSeconds`.
    static func begin(
        title: String, crumbs: [(text: String, href: String?)], nonce: String, refreshes: Bool,
        noScriptRefreshSeconds: Int = 30, into html: inout HTML.Builder
    ) {
        html.raw("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        html.raw("<title>")
        html.text(title)
        html.raw(" · ccpool</title>")
        if refreshes {
            html.raw("<noscript><meta http-equiv=\"refresh\" content=\"\(noScriptRefreshSeconds)\"></noscript>")
        }
        html.raw("<style nonce=\"\(nonce)\">")
        html.raw(css)
        html.raw("</style></head><body><header class=\"top\"><nav aria-label=\"breadcrumb\"><a class=\"brand\" href=\"/\">ccpool</a>")
        for crumb in crumbs {
            html.raw("<span class=\"sep\" aria-hidden=\"true\">/</span>")
            if let href = crumb.href {
                html.open("a", ["href": href])
                html.text(crumb.text)
                html.raw("</a>")
            } else {
                html.element("span", ["class": "here"], text: crumb.text)
            }
        }
        html.raw("</nav>")
        if refreshes {
            html.raw("<span class=\"live\" id=\"live\" role=\"status\" aria-live=\"polite\">")
            html.raw("<noscript>auto-refresh every \(noScriptRefreshSeconds) s (JavaScript is off)</noscript></span>")
        }
        html.raw("</header><main>")
    }

    /// Closes `<main>`, adds the page's script (with the nonce) and ends the document.
    static func end(script: String?, nonce: String, into html: inout HTML.Builder) {
        html.raw("</main><footer>ccpool · times in UTC · <a href=\"/v1/targets\">JSON API</a> · ")
        html.raw("<a href=\"/openapi.yaml\">OpenAPI</a> · <a href=\"/metrics\">metrics</a></footer>")
        if let script {
            html.raw("<script nonce=\"\(nonce)\">")
            html.raw(script)
            html.raw("</script>")
        }
        html.raw("</body></html>\n")
    }

    /// The legend of the five states, as a definition list.
    static func legend(into html: inout HTML.Builder) {
        html.raw("<dl class=\"legend\" aria-label=\"legend\">")
        for look in StateLook.all {
            html.raw("<div><dt>")
            StateLook.badge(look.name, into: &html)
            html.raw("</dt><dd>")
            html.text(look.meaning)
            html.raw("</dd></div>")
        }
        html.raw("</dl>")
    }

    /// The whole style sheet. Colours: calm tints for badges (text colour dark enough for WCAG AA on
    /// them), stronger fills for the timeline, with a pattern on the two failure-ish states.
    /// (`Dashboard/Assets/dashboard.css`, embedded at build time.)
    static let css = EmbeddedFiles.dashboardCSS
}
