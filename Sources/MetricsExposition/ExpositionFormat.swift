/// The two text formats `/metrics` speaks, and the content negotiation between them.
public enum ExpositionFormat: Sendable, Hashable, CaseIterable {
    /// Prometheus text format 0.0.4.
    case prometheusText
    /// OpenMetrics 1.0.0 text.
    case openMetrics

    /// The exact `Content-Type` (docs/metrics.md; Prometheus 3 fails a scrape on a malformed one).
    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// Picks the format for an `Accept` header: OpenMetrics only when the header gives an OpenMetrics media
    /// range (version 1.0.0, 0.0.1 or unspecified) a strictly higher q-value than the best range that covers
    /// the text format (`text/plain`, `text/*`, `*/*`). Anything else, no header, or a malformed one → text.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept, !accept.isEmpty else { return .prometheusText }
        var openMetricsQ = -1.0
        var textQ = -1.0
        for range in MediaRange.parseList(accept) {
            switch (range.type, range.subtype) {
            case ("application", "openmetrics-text"):
                let version = range.parameters["version"]
                if version == nil || version == "1.0.0" || version == "0.0.1" { openMetricsQ = max(openMetricsQ, range.q) }
            case ("text", "plain"):
                let version = range.parameters["version"]
                if version == nil || version == "0.0.4" { textQ = max(textQ, range.q) }
            case ("text", "*"), ("*", "*"):
                textQ = max(textQ, range.q)
            default:
                break
            }
        }
        return openMetricsQ > 0 && openMetricsQ > textQ ? .openMetrics : .prometheusText
    }
}

/// Whether an `Accept-Encoding` header allows gzip: a `gzip`, `x-gzip` or `*` coding with q > 0, where an
/// explicit `gzip;q=0` wins over `*`.
public func acceptsGzip(_ acceptEncoding: String?) -> Bool {
    guard let acceptEncoding else { return false }
    var gzipQ: Double?
    var starQ: Double?
    for item in acceptEncoding.split(separator: ",") {
        let parts = item.split(separator: ";").map { $0.trimmingCharacters() }
        guard let coding = parts.first?.lowercased(), !coding.isEmpty else { continue }
        var q = 1.0
        for parameter in parts.dropFirst() {
            let kv = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters() }
            if kv.count == 2, kv[0].lowercased() == "q" { q = Double(kv[1]) ?? 0 }
        }
        if coding == "gzip" || coding == "x-gzip" { gzipQ = max(gzipQ ?? 0, q) } else if coding == "*" { starQ = q }
    }
    if let gzipQ { return gzipQ > 0 }
    return (starQ ?? 0) > 0
}

/// One media range of an `Accept` header.
struct MediaRange {
    var type: String
    var subtype: String
    var parameters: [String: String]
    var q: Double

    static func parseList(_ header: String) -> [MediaRange] {
        header.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters() }
            guard let mediaType = parts.first else { return nil }
            let typeParts = mediaType.lowercased().split(separator: "/", maxSplits: 1)
            guard typeParts.count == 2 else { return nil }
            var parameters: [String: String] = [:]
            var q = 1.0
            for parameter in parts.dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters() }
                guard kv.count == 2 else { continue }
                let name = kv[0].lowercased()
                var value = kv[1]
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                if name == "q" { q = min(max(Double(value) ?? 0, 0), 1) } else { parameters[name] = value }
            }
            return MediaRange(type: String(typeParts[0]), subtype: String(typeParts[1]), parameters: parameters, q: q)
        }
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
