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
    static let css = """
        :root{--bg:#f5f6f8;--panel:#fff;--line:#d8dee4;--text:#1f2328;--muted:#59636e;--link:#0b5cad;
        --ready:#2f9e55;--ready-bg:#e3f4e8;--ready-fg:#1b5e31;
        --connecting:#d9a520;--connecting-bg:#fdf3d7;--connecting-fg:#6b4e00;
        --idle:#aeb7c1;--idle-bg:#eceff2;--idle-fg:#464f58;
        --tf:#d2453f;--tf-bg:#fce6e4;--tf-fg:#9b1c17;
        --shutdown:#5f5a78;--shutdown-bg:#e6e4ef;--shutdown-fg:#433e5c}
        *{box-sizing:border-box}
        body{margin:0;background:var(--bg);color:var(--text);
        font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;font-variant-numeric:tabular-nums}
        a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
        header.top{display:flex;align-items:center;justify-content:space-between;gap:16px;padding:10px 24px;
        background:var(--panel);border-bottom:1px solid var(--line)}
        header.top nav{display:flex;align-items:center;gap:8px;min-width:0;overflow:hidden;white-space:nowrap}
        .brand{font-weight:700;color:var(--text);letter-spacing:.02em}.sep{color:var(--muted)}
        .here{font-weight:600;overflow:hidden;text-overflow:ellipsis}
        .live{color:var(--muted);font-size:12px;min-width:16em;text-align:right;white-space:nowrap}
        .live.stale{color:var(--tf-fg)}
        main{max-width:1280px;margin:0 auto;padding:20px 24px}
        footer{max-width:1280px;margin:0 auto;padding:8px 24px 32px;color:var(--muted);font-size:12px}
        h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:0 0 10px}
        .panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:16px;margin:0 0 16px}
        .muted{color:var(--muted)}.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px}
        .badge{display:inline-flex;align-items:center;gap:4px;padding:1px 8px;border-radius:999px;font-size:12px;
        font-weight:600;border:1px solid transparent;white-space:nowrap;line-height:18px}
        .badge .ic{font-size:11px;width:1em;text-align:center}
        .badge.st-READY{background:var(--ready-bg);color:var(--ready-fg);border-color:#b5dfc2}
        .badge.st-CONNECTING{background:var(--connecting-bg);color:var(--connecting-fg);border-color:#ecd488}
        .badge.st-IDLE{background:var(--idle-bg);color:var(--idle-fg);border-color:#cfd6dd}
        .badge.st-TRANSIENT_FAILURE{background:var(--tf-bg);color:var(--tf-fg);border-color:#f1b5b1}
        .badge.st-SHUTDOWN{background:var(--shutdown-bg);color:var(--shutdown-fg);border-color:#c9c5da}
        .cards{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:12px;margin:0 0 16px}
        .card{display:block;background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 14px;color:var(--text)}
        .card:hover{text-decoration:none;border-color:#9aa6b2}.card.on{outline:2px solid var(--link);outline-offset:-1px}
        .card .n{display:block;font-size:24px;font-weight:650;margin-top:4px}
        .banner{background:#fff4e5;border:1px solid #f0b45a;border-radius:8px;padding:10px 14px;margin:0 0 12px}
        @media (max-width:900px){.cards{grid-template-columns:repeat(3,minmax(0,1fr))}}
        form.tools{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin:0 0 12px}
        form.tools label{display:flex;flex-direction:column;gap:2px;font-size:12px;color:var(--muted)}
        input,select,button{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--text)}
        input[type=search]{width:22em}button{background:#f3f4f6;cursor:pointer}button:hover{background:#e9ebee}
        table{width:100%;border-collapse:collapse}
        th,td{padding:7px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:middle}
        th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc}
        tbody tr:hover{background:#f8fafc}tr.gone{opacity:.55}
        td.num{text-align:right}
        .pips{display:inline-flex;gap:6px;white-space:nowrap}.pips .total{min-width:1.5em}.pip{font-size:12px;white-space:nowrap}
        .pip .ic{font-size:11px}
        .pip.st-READY{color:var(--ready-fg)}.pip.st-CONNECTING{color:var(--connecting-fg)}.pip.st-IDLE{color:var(--idle-fg)}
        .pip.st-TRANSIENT_FAILURE{color:var(--tf-fg)}.pip.st-SHUTDOWN{color:var(--shutdown-fg)}
        .chip{display:inline-block;padding:0 6px;margin:1px 2px 1px 0;border-radius:4px;background:#eef1f4;font-size:12px;color:#3b444d}
        .pager{display:flex;gap:12px;align-items:center;justify-content:space-between;margin-top:12px}
        .pager .links{display:flex;gap:6px}.pager a,.pager span.off{padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:#fff}
        .pager span.off{color:#a0a8b0}
        .legend{display:flex;flex-wrap:wrap;gap:8px 20px;margin:0;font-size:12px}
        .legend div{display:flex;gap:6px;align-items:center}.legend dd{margin:0;color:var(--muted)}
        .sr{font-size:11px}
        .pager>span:first-child{padding:3px 0}.pager .links>span:not(.off){padding:3px 4px}
        #targets td.state{width:13.5em}
        .note{font-size:12px;color:var(--muted)}.empty{padding:24px;text-align:center;color:var(--muted)}
        dl.spec{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}
        dl.spec dt{color:var(--muted)}dl.spec dd{margin:0;overflow-wrap:anywhere}
        .grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
        @media (max-width:900px){.grid2{grid-template-columns:1fr}}
        .headline{display:flex;align-items:center;gap:12px;flex-wrap:wrap;margin:0 0 16px}
        .avail{font-size:22px;font-weight:650}
        .tabs{display:inline-flex;border:1px solid var(--line);border-radius:6px;overflow:hidden}
        .tabs a,.tabs span{padding:3px 12px;border-right:1px solid var(--line)}.tabs :last-child{border-right:0}
        .tabs span{background:#eef3fa;font-weight:600}
        svg.timeline{display:block;width:100%;height:auto}
        svg.timeline text{font:12px system-ui,"DejaVu Sans",sans-serif;fill:#3b444d}
        svg.timeline .track{fill:#f1f3f5}svg.timeline .tick{stroke:#d0d7de;stroke-width:1}
        svg.timeline .axis text{fill:#6b7580;font-size:11px}
        .seg.st-READY{fill:var(--ready)}.seg.st-CONNECTING{fill:var(--connecting)}.seg.st-IDLE{fill:var(--idle)}
        .seg.st-TRANSIENT_FAILURE{fill:url(#pat-tf)}.seg.st-SHUTDOWN{fill:url(#pat-shutdown)}
        .seg:hover{stroke:#1f2328;stroke-width:1}
        """
}
