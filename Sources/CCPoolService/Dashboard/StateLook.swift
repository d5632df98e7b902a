import Vocabulary

/// How the dashboard shows a connectivity state: its label, a shape (so no state is told by colour alone),
/// its CSS class, and its rank when sorting "worst first".
///
/// Keyed by the gRPC spelling, which the pool's `ConnectivityState` and the history's `ConnectivityState`
/// share.
struct StateLook: Sendable {
    /// `READY`, as gRPC writes it (also the CSS class suffix: `st-READY`).
    var name: String
    /// A shorter label for tight places (`TF`).
    var short: String
    /// A glyph of a distinct shape per state.
    var icon: String
    /// Sorting by state puts the states that need attention first.
    var rank: Int
    /// One line for the legend.
    var meaning: String

    /// The five states in the order the summary and the legend show them.
    static let all: [StateLook] = [
        StateLook(name: "READY", short: "READY", icon: "\u{2713}", rank: 3, meaning: "connected and usable"),
        StateLook(name: "CONNECTING", short: "CONN", icon: "\u{21BB}", rank: 1, meaning: "trying to connect"),
        StateLook(name: "IDLE", short: "IDLE", icon: "\u{25CB}", rank: 2, meaning: "not connected, nothing asked for it"),
        StateLook(name: "TRANSIENT_FAILURE", short: "TF", icon: "\u{2715}", rank: 0, meaning: "failed; retrying after backoff"),
        StateLook(name: "SHUTDOWN", short: "DOWN", icon: "\u{25A0}", rank: 4, meaning: "closed for good"),
    ]

    private static let byName: [String: StateLook] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The sort rank of `name` (0 = needs attention most); unknown spellings sort last.
    static func rank(of name: String) -> Int {
        switch name {
        case "TRANSIENT_FAILURE": 0
        case "CONNECTING": 1
        case "IDLE": 2
        case "READY": 3
        case "SHUTDOWN": 4
        default: 5
        }
    }

    /// The look of `name`; an unknown spelling gets a neutral look of its own name.
    static func of(_ name: String) -> StateLook {
        byName[name] ?? StateLook(name: name, short: name, icon: "?", rank: 5, meaning: "")
    }

    /// `<span class="badge st-READY" data-state="READY"><span aria-hidden="true">✓</span> READY</span>`.
    static func badge(_ name: String, short: Bool = false, into html: inout HTML.Builder) {
        let look = of(name)
        html.raw("<span class=\"badge st-")
        html.text(look.name)
        html.raw("\" data-state=\"")
        html.text(look.name)
        html.raw("\"><span class=\"ic\" aria-hidden=\"true\">\(look.icon)</span> ")
        html.text(short ? look.short : look.name)
        html.raw("</span>")
    }
}
