import CCPoolCore
import HTTPServer

/// `GET /`: a server-rendered overview of every target (no JavaScript needed).
enum DashboardPage {
    static func render(_ snapshot: PoolSnapshot) -> String {
        var counts: [ConnectivityState: Int] = [:]
        for target in snapshot.targets { counts[target.stats.state, default: 0] += 1 }
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ccpool</title>
            <style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
            td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}
            .s{padding:1px 6px;border-radius:4px;font-size:12px}.READY{background:#cfe9d4}.CONNECTING{background:#fdf0c2}
            .IDLE{background:#e4e4e4}.TRANSIENT_FAILURE{background:#f6cccc}.SHUTDOWN{background:#d5d5e6}</style></head><body>
            <h1>ccpool</h1><p>
            """
        for state in ConnectivityState.allCases {
            html += "<span class=\"s \(state.rawValue)\">\(state.rawValue)</span> \(counts[state, default: 0]) &nbsp; "
        }
        html += "</p><table><thead><tr><th>target</th><th>state</th><th>policy</th><th>subchannels</th></tr></thead><tbody>"
        for target in snapshot.targets {
            let state = target.stats.state.rawValue
            let ready = target.stats.subchannels.values.filter { $0.state == .ready }.count
            html += "<tr><td>\(escape(target.definition.name))</td><td><span class=\"s \(state)\">\(state)</span></td>"
            html += "<td>\(escape(target.stats.lbPolicy))</td><td>\(ready)/\(target.stats.subchannels.count) READY</td></tr>"
        }
        html += "</tbody></table></body></html>\n"
        return html
    }

    /// HTML text escaping: names, labels and reasons are user input.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
