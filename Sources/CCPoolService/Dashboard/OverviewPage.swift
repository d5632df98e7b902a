import CCPoolCore
import ChannelPool
import Foundation

/// `GET /`: every target with its channel state, counts per state, subchannel counts, a filter, sorting and
/// server-side pagination.
///
/// A pure function of a pool snapshot and the validated query, so it is tested and measured without a
/// server. It touches every target once for the counts and the filter, sorts only the matches, and renders
/// only one page of rows: 5,000 targets cost a few milliseconds (see `OverviewPageTests`).
enum OverviewPage {
    /// Things the page shows beside the targets.
    struct Context: Sendable {
        var now: Date
        /// "replica 1 of 3", when the service runs sharded.
        var replica: String?
        var nonce: String
        /// A warning shown above the list (a partial answer: replicas that did not answer).
        var banner: String? = nil
    }

    /// The rows one request shows, and the totals around them.
    struct Selection {
        var rows: ArraySlice<TargetSummary>
        /// Targets matching the filter and state.
        var matched: Int
        /// Channels per state over all targets (the filter does not change these).
        var counts: [String: Int]
        var total: Int
        var pageCount: Int
        /// 0-based index of the first row in the matches.
        var offset: Int
    }

    static func select(_ targets: [TargetSummary], _ query: OverviewQuery) -> Selection {
        var counts: [String: Int] = [:]
        var stateCounts = [Int](repeating: 0, count: StateLook.all.count + 1)
        let needle = Array(query.filter.utf8).map(Self.fold)
        // Indices of the matches in name order (the pool's snapshot is already sorted by name).
        var order = Array(targets.indices)
        if !isSortedByName(targets) { order.sort { targets[$0].name < targets[$1].name } }
        // Matches bucketed by state rank: sorting by state is then a concatenation that keeps name order.
        var buckets = [[Int]](repeating: [], count: StateLook.all.count + 1)
        for index in order {
            let target = targets[index]
            let state = target.state.rawValue
            let rank = StateLook.rank(of: state)
            stateCounts[rank] += 1
            if let wanted = query.state, state != wanted { continue }
            if !needle.isEmpty && !matchesFilter(target, needle) { continue }
            buckets[query.sort == .state ? rank : 0].append(index)
        }
        for look in StateLook.all { counts[look.name] = stateCounts[look.rank] }
        counts = counts.filter { $0.value > 0 }
        let matches = buckets.joined()
        let matched = matches.count
        let pageCount = max(1, (matched + query.perPage - 1) / query.perPage)
        let offset = min((query.page - 1) * query.perPage, matched)
        let end = min(offset + query.perPage, matched)
        let rows = matches.dropFirst(offset).prefix(end - offset).map { targets[$0] }
        return Selection(
            rows: rows[...], matched: matched, counts: counts, total: targets.count, pageCount: pageCount, offset: offset)
    }

    private static func isSortedByName(_ targets: [TargetSummary]) -> Bool {
        var index = 1
        while index < targets.count {
            if !(targets[index - 1].name < targets[index].name) { return false }
            index += 1
        }
        return true
    }

    /// ASCII lowercase of one UTF-8 byte (other bytes unchanged).
    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// Substring of the name, the URI, or a label written `key=value`, ignoring ASCII case. `needle` is folded.
    static func matchesFilter(_ target: TargetSummary, _ needle: [UInt8]) -> Bool {
        if contains(target.name, needle) || contains(target.uri, needle) { return true }
        if target.labels.isEmpty { return false }
        if needle.contains(UInt8(ascii: "=")) {
            for (key, value) in target.labels where contains("\(key)=\(value)", needle) { return true }
        } else {
            for (key, value) in target.labels where contains(key, needle) || contains(value, needle) { return true }
        }
        return false
    }

    /// Whether `haystack` contains `needle` (folded bytes), comparing bytes with ASCII case folded: no
    /// allocation per target, which keeps a filter over 5,000 targets cheap.
    static func contains(_ haystack: String, _ needle: [UInt8]) -> Bool {
        var haystack = haystack
        return haystack.withUTF8 { bytes in
            guard needle.count <= bytes.count else { return false }
            let first = needle[0]
            var start = 0
            let last = bytes.count - needle.count
            while start <= last {
                if fold(bytes[start]) == first {
                    var offset = 1
                    while offset < needle.count && fold(bytes[start + offset]) == needle[offset] { offset += 1 }
                    if offset == needle.count { return true }
                }
                start += 1
            }
            return false
        }
    }

    static func render(_ targets: [TargetSummary], query: OverviewQuery, context: Context) -> String {
        let selection = select(targets, query)
        let nowMicros = DashboardFormat.micros(context.now)
        var html = HTML.Builder(reserving: 4_096 + selection.rows.count * 900)
        PageShell.begin(title: "Targets", crumbs: [], nonce: context.nonce, refreshes: true, into: &html)
        html.raw("<div id=\"overview\" data-now=\"\(DashboardFormat.time(micros: nowMicros))\">")

        html.raw("<div class=\"headline\"><h1>Targets</h1><span class=\"muted\">")
        html.raw("\(selection.total) target\(selection.total == 1 ? "" : "s")")
        if let replica = context.replica {
            html.raw(" · ")
            html.text(replica)
        }
        html.raw("</span></div>")
        if let banner = context.banner {
            html.raw("<p class=\"banner\" id=\"partial\" role=\"alert\">")
            html.text(banner)
            html.raw("</p>")
        }

        // Counts per state: each card filters the list by its state (a second click clears it).
        html.raw("<nav class=\"cards\" aria-label=\"targets per state\">")
        html.open("a", ["class": query.state == nil ? "card on" : "card", "href": query.url(page: 1, state: .some(nil))])
        html.raw("<span class=\"muted\">all targets</span><span class=\"n\" id=\"count-all\">\(selection.total)</span></a>")
        for look in StateLook.all {
            let on = query.state == look.name
            html.open("a", [
                "class": on ? "card on" : "card", "href": query.url(page: 1, state: on ? .some(nil) : .some(look.name)),
                "data-state": look.name,
            ])
            StateLook.badge(look.name, short: look.name == "TRANSIENT_FAILURE", into: &html)
            html.raw("<span class=\"n\" id=\"count-\(look.name)\">\(selection.counts[look.name, default: 0])</span></a>")
        }
        html.raw("</nav>")

        html.raw("<section class=\"panel\">")
        tools(query, into: &html)
        table(selection, nowMicros: nowMicros, into: &html)
        pager(selection, query, into: &html)
        html.raw("</section><section class=\"panel\"><h2>Legend</h2>")
        PageShell.legend(into: &html)
        html.raw("<p class=\"note\">Badges show a channel\u{2019}s state; the subchannel column counts its subchannels per state. ")
        html.raw("Open a target for its subchannels and state timeline.</p></section></div>")
        PageShell.end(script: DashboardScript.overview, nonce: context.nonce, into: &html)
        return html.html
    }

    /// The filter form: a plain GET form, so it works without JavaScript.
    private static func tools(_ query: OverviewQuery, into html: inout HTML.Builder) {
        html.raw("<form class=\"tools\" method=\"get\" action=\"/\" role=\"search\">")
        html.raw("<label>Filter<input type=\"search\" name=\"filter\" id=\"filter\" maxlength=\"\(OverviewQuery.maxFilterLength)\" ")
        html.raw("placeholder=\"name, URI or label key=value\" value=\"")
        html.text(query.filter)
        html.raw("\"></label><label>State<select name=\"state\"><option value=\"\">all</option>")
        for look in StateLook.all {
            html.raw("<option value=\"\(look.name)\"\(query.state == look.name ? " selected" : "")>\(look.name)</option>")
        }
        html.raw("</select></label><label>Sort<select name=\"sort\">")
        html.raw("<option value=\"name\"\(query.sort == .name ? " selected" : "")>name</option>")
        html.raw("<option value=\"state\"\(query.sort == .state ? " selected" : "")>state (worst first)</option>")
        html.raw("</select></label><label>Per page<select name=\"per_page\">")
        var sizes = [25, 50, 100, 200, 500]
        if !sizes.contains(query.perPage) { sizes.append(query.perPage); sizes.sort() }
        for size in sizes {
            html.raw("<option value=\"\(size)\"\(query.perPage == size ? " selected" : "")>\(size)</option>")
        }
        html.raw("</select></label><button type=\"submit\">Apply</button>")
        if query != OverviewQuery() { html.raw("<a href=\"/\">clear</a>") }
        html.raw("</form>")
    }

    private static func table(_ selection: Selection, nowMicros: Int64, into html: inout HTML.Builder) {
        html.raw("<table id=\"targets\"><thead><tr><th scope=\"col\">target</th><th scope=\"col\">state</th>")
        html.raw("<th scope=\"col\">since</th><th scope=\"col\">policy</th><th scope=\"col\">subchannels</th>")
        html.raw("<th scope=\"col\">labels</th></tr></thead><tbody>")
        if selection.rows.isEmpty {
            html.raw("<tr><td colspan=\"6\" class=\"empty\">")
            html.raw(selection.matched == 0 ? "No target matches." : "This page is past the end of the list.")
            html.raw("</td></tr>")
        }
        for target in selection.rows {
            row(target, nowMicros: nowMicros, into: &html)
        }
        html.raw("</tbody></table>")
    }

    static func row(_ target: TargetSummary, nowMicros: Int64, into html: inout HTML.Builder) {
        let name = target.name
        html.raw("<tr data-target=\"")
        html.text(name)
        html.raw("\"><td><a href=\"/ui/targets/")
        html.text(HTML.queryEncode(name))
        html.raw("\">")
        html.text(name)
        html.raw("</a><div class=\"note mono\">")
        html.text(target.uri)
        html.raw("</div></td><td class=\"state\">")
        StateLook.badge(target.state.rawValue, into: &html)
        let since = DashboardFormat.micros(target.since)
        html.raw("</td><td class=\"since\"><time datetime=\"\(DashboardFormat.time(micros: since))\" title=\"")
        html.raw(DashboardFormat.dateTime(micros: since))
        html.raw(" UTC\">")
        html.raw(DashboardFormat.duration(micros: nowMicros - since))
        html.raw("</time></td><td>")
        html.text(target.lbPolicy)
        html.raw("</td><td class=\"subchannels\" data-count=\"\(target.subchannelStates.count)\">")
        subchannelCounts(target.subchannelStates.map(\.rawValue), into: &html)
        html.raw("</td><td>")
        for (key, value) in target.labels.sorted(by: { $0.key < $1.key }) {
            html.raw("<span class=\"chip\">")
            html.text(key)
            html.raw("=")
            html.text(value)
            html.raw("</span>")
        }
        html.raw("</td></tr>")
    }

    /// `3 · ✓2 ✕1`: the total and one pip per state present, each with its count and a label for readers.
    static func subchannelCounts(_ states: [String], into html: inout HTML.Builder) {
        var counts: [String: Int] = [:]
        for state in states { counts[state, default: 0] += 1 }
        html.raw("<span class=\"pips\"><span class=\"total\">\(states.count)</span>")
        for look in StateLook.all {
            guard let count = counts[look.name] else { continue }
            html.raw("<span class=\"pip st-\(look.name)\" data-state=\"\(look.name)\" data-count=\"\(count)\" title=\"\(count) \(look.name)\">")
            html.raw("<span class=\"ic\" aria-hidden=\"true\">\(look.icon)</span>\(count)<span class=\"sr\"> \(look.short)</span></span>")
        }
        html.raw("</span>")
    }

    private static func pager(_ selection: Selection, _ query: OverviewQuery, into html: inout HTML.Builder) {
        html.raw("<div class=\"pager\"><span class=\"muted\" id=\"shown\">")
        if selection.rows.isEmpty {
            html.raw("0 of \(selection.matched)")
        } else {
            html.raw("\(selection.offset + 1)\u{2013}\(selection.offset + selection.rows.count) of \(selection.matched)")
        }
        if selection.matched != selection.total { html.raw(" matching (\(selection.total) in all)") }
        html.raw("</span><span class=\"links\">")
        let page = min(query.page, selection.pageCount + 1)
        func link(_ text: String, _ target: Int?, rel: String) {
            if let target {
                html.raw("<a rel=\"\(rel)\" href=\"")
                html.text(query.url(page: target))
                html.raw("\">\(text)</a>")
            } else {
                html.raw("<span class=\"off\">\(text)</span>")
            }
        }
        link("\u{00AB} first", page > 1 ? 1 : nil, rel: "first")
        link("\u{2039} prev", page > 1 ? min(page - 1, selection.pageCount) : nil, rel: "prev")
        html.raw("<span>page \(query.page) of \(selection.pageCount)</span>")
        link("next \u{203A}", page < selection.pageCount ? page + 1 : nil, rel: "next")
        link("last \u{00BB}", page < selection.pageCount ? selection.pageCount : nil, rel: "last")
        html.raw("</span></div>")
    }
}
