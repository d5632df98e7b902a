/// Draws a ``Timeline`` as inline SVG: a label and a track per band, one `<rect class="seg st-STATE">` per
/// segment with a `<title>` (shown on hover: the state, from/to times, the previous state and the reason),
/// and a relative time axis (`-60m … now`), which stays true while the page's script slides the window.
///
/// Each segment carries its exact data for scripts and checks: `data-state`, `data-start`, `data-end`
/// (RFC 3339 with microseconds, like the API's event times), `data-from`, `data-event` and `data-open="1"` on
/// a band's last segment (it runs until now).
enum TimelineSVG {
    static let width = 1100.0
    static let plotX = 210.0
    static let plotWidth = 880.0
    static let bandHeight = 20.0
    static let bandGap = 8.0
    static let axisHeight = 24.0

    static func height(bands: Int) -> Double {
        Double(bands) * (bandHeight + bandGap) + axisHeight
    }

    /// The x of a time in the plot.
    static func x(_ time: Int64, _ timeline: Timeline) -> Double {
        let span = Double(max(1, timeline.end - timeline.start))
        let clamped = min(max(time, timeline.start), timeline.end)
        return plotX + Double(clamped - timeline.start) / span * plotWidth
    }

    static func label(_ band: Timeline.Band) -> String {
        switch band.key {
        case .channel: "channel"
        case .subchannel(let id): "#\(id)" + (band.address.map { " " + $0 } ?? "")
        }
    }

    static func render(_ timeline: Timeline, window: Timeline.Window, into html: inout HTML.Builder) {
        let height = height(bands: timeline.bands.count)
        html.raw("<svg class=\"timeline\" id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" ")
        html.raw("viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" data-start=\"\(DashboardFormat.time(micros: timeline.start))\" ")
        html.raw("data-end=\"\(DashboardFormat.time(micros: timeline.end))\" data-window=\"\(window.seconds)\" ")
        html.raw("aria-label=\"state timeline over the last \(window.label)\">")
        html.raw("""
            <defs><pattern id="pat-tf" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">\
            <rect width="6" height="6" fill="#d2453f"/><rect width="2" height="6" fill="#ee9d98"/></pattern>\
            <pattern id="pat-shutdown" width="6" height="6" patternUnits="userSpaceOnUse">\
            <rect width="6" height="6" fill="#5f5a78"/><path d="M0 3H6M3 0V6" stroke="#8f8aa8" stroke-width="1"/></pattern></defs>
            """)
        for (index, band) in timeline.bands.enumerated() {
            let y = Double(index) * (bandHeight + bandGap)
            html.raw("<g class=\"band\" data-band=\"\(band.key.slug)\" data-y=\"\(fmt(y))\">")
            let text = label(band)
            html.raw("<text x=\"0\" y=\"\(fmt(y + 14))\">")
            html.text(text.count > 28 ? String(text.prefix(27)) + "\u{2026}" : text)
            html.raw("<title>")
            html.text(text)
            html.raw("</title></text>")
            html.raw("<rect class=\"track\" x=\"\(fmt(plotX))\" y=\"\(fmt(y))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(bandHeight))\" rx=\"3\"/>")
            for (position, segment) in band.segments.enumerated() {
                self.segment(segment, band: band, open: position == band.segments.count - 1 && segment.end == timeline.end,
                             y: y, timeline: timeline, window: window, into: &html)
            }
            html.raw("</g>")
        }
        axis(timeline, window: window, top: Double(timeline.bands.count) * (bandHeight + bandGap), into: &html)
        html.raw("</svg>")
    }

    private static func segment(
        _ segment: Timeline.Segment, band: Timeline.Band, open: Bool, y: Double, timeline: Timeline,
        window: Timeline.Window, into html: inout HTML.Builder
    ) {
        let x0 = x(segment.start, timeline)
        let x1 = x(segment.end, timeline)
        let state = segment.state.rawValue
        html.raw("<rect class=\"seg st-\(state)\" x=\"\(fmt(x0))\" y=\"\(fmt(y))\" width=\"\(fmt(max(0.6, x1 - x0)))\" ")
        html.raw("height=\"\(fmt(bandHeight))\" data-state=\"\(state)\" data-start=\"\(DashboardFormat.time(micros: segment.start))\" ")
        html.raw("data-end=\"\(DashboardFormat.time(micros: segment.end))\"")
        if let from = segment.from { html.raw(" data-from=\"\(from.rawValue)\"") }
        if let id = segment.eventID { html.raw(" data-event=\"\(id)\"") }
        if segment.carriedIn { html.raw(" data-carried=\"1\"") }
        if open { html.raw(" data-open=\"1\"") }
        html.raw(" data-reason=\"")
        html.text(segment.reason)
        html.raw("\"><title>")
        html.text(title(segment, band: band, open: open, window: window))
        html.raw("</title></rect>")
    }

    /// The hover text: what, when, and why.
    static func title(_ segment: Timeline.Segment, band: Timeline.Band, open: Bool, window: Timeline.Window) -> String {
        func when(_ micros: Int64) -> String {
            window == .hour ? DashboardFormat.clock(micros: micros) : DashboardFormat.dateTime(micros: micros)
        }
        var text = "\(label(band)): \(segment.state.rawValue)\n"
        text += segment.carriedIn ? "before the window" : when(segment.start)
        text += " \u{2192} " + (open ? "now" : when(segment.end))
        text += " (\(DashboardFormat.duration(micros: segment.end - segment.start))\(segment.carriedIn ? " shown" : ""))\n"
        if let from = segment.from {
            text += "from \(from.rawValue)"
        }
        text += segment.reason.isEmpty ? " (no reason recorded)" : ": \(segment.reason)"
        return text
    }

    private static func axis(_ timeline: Timeline, window: Timeline.Window, top: Double, into html: inout HTML.Builder) {
        let ticks: [(Int64, String)]
        switch window {
        case .hour: ticks = stride(from: 60, through: 0, by: -10).map { (Int64($0) * 60_000_000, $0 == 0 ? "now" : "-\($0)m") }
        case .day: ticks = stride(from: 24, through: 0, by: -4).map { (Int64($0) * 3_600_000_000, $0 == 0 ? "now" : "-\($0)h") }
        case .week: ticks = stride(from: 7, through: 0, by: -1).map { (Int64($0) * 86_400_000_000, $0 == 0 ? "now" : "-\($0)d") }
        }
        html.raw("<g class=\"axis\">")
        for (ago, text) in ticks {
            let tickX = x(timeline.end - ago, timeline)
            html.raw("<line class=\"tick\" x1=\"\(fmt(tickX))\" x2=\"\(fmt(tickX))\" y1=\"0\" y2=\"\(fmt(top + 4))\"/>")
            let anchor = ago == 0 ? "end" : (tickX <= plotX + 1 ? "start" : "middle")
            html.raw("<text x=\"\(fmt(tickX))\" y=\"\(fmt(top + 17))\" text-anchor=\"\(anchor)\">\(text)</text>")
        }
        html.raw("</g>")
    }

    /// A coordinate with at most two decimals, without trailing zeros.
    static func fmt(_ value: Double) -> String {
        let scaled = (value * 100).rounded()
        let whole = Int(scaled) / 100
        let fraction = abs(Int(scaled) % 100)
        if fraction == 0 { return "\(whole)" }
        let sign = scaled < 0 && whole == 0 ? "-" : ""
        return fraction % 10 == 0 ? "\(sign)\(whole).\(fraction / 10)" : "\(sign)\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
