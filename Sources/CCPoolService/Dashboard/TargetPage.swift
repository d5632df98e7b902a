import CCPoolCore
import ChannelPool
import History

/// `GET /ui/targets/{name}`: one target's spec, subchannels, state timeline, latest events and availability.
///
/// A pure function of what ``DashboardRoutes`` gathered (a pool snapshot of the target, the history rows, the
/// availability), so tests render it from synthetic values.
enum TargetPage {
    struct Content: Sendable {
        var target: TargetSnapshot
        var window: Timeline.Window
        var history: TargetHistory
        /// Nil when the history store could not answer (the page says so instead of failing).
        var availability: Availability?
        /// Microseconds since the epoch: when the page was drawn (the timeline's end).
        var now: Int64
        var nonce: String
        /// "config file" or "admin API", when known.
        var source: String?
    }

    static func render(_ content: Content) -> String {
        let target = content.target
        let name = target.definition.name
        let stats = target.stats
        var html = HTML.Builder(reserving: 32_768 + content.history.timeline.bands.reduce(0) { $0 + $1.segments.count } * 400)
        PageShell.begin(
            title: name, crumbs: [(text: "targets", href: "/"), (text: name, href: nil)], nonce: content.nonce,
            refreshes: true, into: &html)
        html.raw("<div id=\"target\" data-name=\"")
        html.text(name)
        html.raw("\" data-now=\"\(DashboardFormat.time(micros: content.now))\" data-window=\"\(content.window.rawValue)\"")
        html.raw(" data-window-seconds=\"\(content.window.seconds)\">")

        // Headline: name, channel state, how long.
        let since = DashboardFormat.micros(stats.since)
        html.raw("<div class=\"headline\"><h1>")
        html.text(name)
        html.raw("</h1><span id=\"channel-state\">")
        StateLook.badge(stats.state.rawValue, into: &html)
        html.raw("</span><span class=\"muted\">channel state since <time id=\"channel-since\" datetime=\"")
        html.raw(DashboardFormat.time(micros: since))
        html.raw("\">\(DashboardFormat.dateTime(micros: since)) UTC</time></span></div>")

        html.raw("<div class=\"grid2\">")
        spec(content, into: &html)
        availability(content, into: &html)
        html.raw("</div>")

        timeline(content, into: &html)
        subchannels(content, into: &html)
        events(content, into: &html)
        html.raw("</div>")
        PageShell.end(script: DashboardScript.target, nonce: content.nonce, into: &html)
        return html.html
    }

    private static func spec(_ content: Content, into html: inout HTML.Builder) {
        let definition = content.target.definition
        html.raw("<section class=\"panel\" id=\"spec\"><h2>Spec</h2><dl class=\"spec\"><dt>target URI</dt><dd class=\"mono\">")
        html.text(definition.uri)
        html.raw("</dd><dt>LB policy</dt><dd id=\"lb-policy\">")
        html.text(content.target.stats.lbPolicy)
        html.raw("</dd><dt>health service</dt><dd>")
        if let service = definition.options.serviceConfig.healthCheckServiceName {
            html.raw("<span class=\"mono\">")
            html.text(service.isEmpty ? "\"\" (whole server)" : service)
            html.raw("</span>")
        } else {
            html.raw("<span class=\"muted\">none (health checking off)</span>")
        }
        html.raw("</dd><dt>labels</dt><dd id=\"labels\">")
        if definition.labels.isEmpty { html.raw("<span class=\"muted\">none</span>") }
        for (key, value) in definition.labels.sorted(by: { $0.key < $1.key }) {
            html.raw("<span class=\"chip\">")
            html.text(key)
            html.raw("=")
            html.text(value)
            html.raw("</span>")
        }
        html.raw("</dd>")
        if let source = content.source {
            html.raw("<dt>defined in</dt><dd>")
            html.text(source)
            html.raw("</dd>")
        }
        html.raw("<dt>shard</dt><dd>\(content.target.shard)</dd></dl></section>")
    }

    private static func availability(_ content: Content, into html: inout HTML.Builder) {
        html.raw("<section class=\"panel\" id=\"availability\"><h2>Availability over the last \(content.window.label)</h2>")
        if let availability = content.availability {
            html.raw("<p><span class=\"avail\" id=\"avail-fraction\">\(DashboardFormat.percent(availability.readyFraction))</span> ")
            html.raw("<span class=\"muted\">of the time READY</span></p><p class=\"muted\" id=\"avail-detail\">")
            html.raw("READY for \(DashboardFormat.duration(micros: Int64(availability.readySeconds * 1_000_000))) of ")
            html.raw("\(DashboardFormat.duration(micros: Int64(availability.windowSeconds * 1_000_000))) · ")
            html.raw("\(availability.transitions) channel transition\(availability.transitions == 1 ? "" : "s")</p>")
        } else {
            html.raw("<p class=\"muted\" id=\"avail-fraction\">not available: the history store did not answer</p>")
        }
        html.raw("<p class=\"note\">From the history: the channel\u{2019}s READY time in the window ")
        html.raw("(<a href=\"/v1/targets/")
        html.text(content.target.definition.name)
        html.raw("/availability?window=\(content.window.rawValue)\">JSON</a>).</p></section>")
    }

    private static func timeline(_ content: Content, into html: inout HTML.Builder) {
        let name = content.target.definition.name
        let timeline = content.history.timeline
        html.raw("<section class=\"panel\" id=\"timeline-panel\"><div class=\"headline\"><h2>State timeline</h2><nav class=\"tabs\" aria-label=\"window\">")
        for window in Timeline.Window.allCases {
            if window == content.window {
                html.raw("<span aria-current=\"true\">\(window.rawValue)</span>")
            } else {
                html.raw("<a href=\"/ui/targets/")
                html.text(name)
                html.raw(window == .hour ? "\">" : "?window=\(window.rawValue)\">")
                html.raw("\(window.rawValue)</a>")
            }
        }
        html.raw("</nav><span class=\"note\">\(DashboardFormat.dateTime(micros: timeline.start)) \u{2192} ")
        html.raw("\(DashboardFormat.dateTime(micros: timeline.end)) UTC · hover a segment for its reason</span></div>")
        TimelineSVG.render(timeline, window: content.window, into: &html)
        PageShell.legend(into: &html)
        if content.history.truncated {
            html.raw("<p class=\"note\" id=\"truncated\">The window holds more than \(TargetHistory.maxEvents) events: the timeline starts at the oldest one read, ")
            html.raw("\(DashboardFormat.dateTime(micros: timeline.start)) UTC. Use <a href=\"/v1/history?target=")
            html.text(name)
            html.raw("\">/v1/history</a> for all of them.</p>")
        }
        if timeline.omittedSubchannels > 0 {
            html.raw("<p class=\"note\">\(timeline.omittedSubchannels) older subchannel\(timeline.omittedSubchannels == 1 ? " is" : "s are") not drawn.</p>")
        }
        html.raw("<p class=\"note\">A band is blank where the history knows no state (before the target existed or before the retention).</p>")
        html.raw("</section>")
    }

    private static func subchannels(_ content: Content, into html: inout HTML.Builder) {
        let stats = content.target.stats
        html.raw("<section class=\"panel\"><h2>Subchannels</h2><table id=\"subchannels\"><thead><tr>")
        html.raw("<th scope=\"col\">id</th><th scope=\"col\">address</th><th scope=\"col\">state</th><th scope=\"col\">health</th>")
        html.raw("<th scope=\"col\">since</th><th scope=\"col\">last reason</th></tr></thead><tbody>")
        let sorted = stats.subchannels.values.sorted { $0.id < $1.id }
        if sorted.isEmpty {
            html.raw("<tr class=\"none\"><td colspan=\"6\" class=\"empty\">No subchannels (the balancer has not created any).</td></tr>")
        }
        for subchannel in sorted {
            html.raw("<tr data-id=\"\(subchannel.id.rawValue)\"><td class=\"mono\">#\(subchannel.id.rawValue)</td><td class=\"mono address\">")
            if let connected = subchannel.connectedAddress {
                html.text(connected.description)
                if subchannel.addresses.count > 1 {
                    html.raw(" <span class=\"note\">(of \(subchannel.addresses.count))</span>")
                }
            } else {
                html.text(subchannel.addresses.map(\.description).joined(separator: ", "))
            }
            html.raw("</td><td class=\"state\">")
            StateLook.badge(subchannel.state.rawValue, into: &html)
            html.raw("</td><td class=\"health\">")
            html.text(TargetStatusJSON.apiHealth(subchannel.health))
            let since = DashboardFormat.micros(subchannel.since)
            html.raw("</td><td class=\"since\"><time datetime=\"\(DashboardFormat.time(micros: since))\">")
            html.raw("\(DashboardFormat.dateTime(micros: since))</time></td><td class=\"reason\">")
            html.text(subchannel.lastReason ?? "")
            html.raw("</td></tr>")
        }
        html.raw("</tbody></table></section>")
    }

    private static func events(_ content: Content, into html: inout HTML.Builder) {
        let name = content.target.definition.name
        html.raw("<section class=\"panel\"><h2>Latest events</h2><table id=\"events\"><thead><tr><th scope=\"col\">time (UTC)</th>")
        html.raw("<th scope=\"col\">object</th><th scope=\"col\">transition</th><th scope=\"col\">reason</th></tr></thead><tbody>")
        if content.history.latest.isEmpty {
            html.raw("<tr class=\"none\"><td colspan=\"4\" class=\"empty\">No event in the last \(content.window.label).</td></tr>")
        }
        for stored in content.history.latest {
            eventRow(stored, into: &html)
        }
        html.raw("</tbody></table><p class=\"note\">The newest \(TargetHistory.latestCount) of the window, newest first. ")
        html.raw("All of them: <a href=\"/v1/history?target=")
        html.text(name)
        html.raw("\">/v1/history?target=")
        html.text(name)
        html.raw("</a>.</p></section>")
    }

    static func eventRow(_ stored: StoredEvent, into html: inout HTML.Builder) {
        let event = stored.event
        html.raw("<tr data-id=\"\(stored.id)\"><td><time datetime=\"\(DashboardFormat.time(micros: event.time))\">")
        html.raw(DashboardFormat.preciseDateTime(micros: event.time))
        html.raw("</time></td><td class=\"mono\">")
        if event.scope == .subchannel, let id = event.subchannel {
            html.raw("#\(id)")
            if let address = event.address {
                html.raw(" ")
                html.text(address)
            }
        } else {
            html.raw("channel")
        }
        html.raw("</td><td>")
        StateLook.badge(event.from.rawValue, short: true, into: &html)
        html.raw(" \u{2192} ")
        StateLook.badge(event.to.rawValue, short: true, into: &html)
        html.raw("</td><td class=\"reason\">")
        html.text(event.reason)
        html.raw("</td></tr>")
    }
}
