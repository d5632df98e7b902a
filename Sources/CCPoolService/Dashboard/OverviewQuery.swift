import HTTPServer

/// The query of `GET /`: `page`, `per_page`, `filter`, `sort` and `state`, validated.
///
/// - `page`: 1-based, up to 1,000,000 (default 1). A page past the last one shows an empty table with a link
///   back, not an error: the filter may simply have narrowed the list.
/// - `per_page`: 1–500 (default 100).
/// - `filter`: up to 200 characters; a substring (ASCII letters match either case) of the name, the target URI or a label
///   written `key=value`. Empty means no filter.
/// - `sort`: `name` (default, A→Z) or `state` (worst first: TRANSIENT_FAILURE, CONNECTING, IDLE, READY,
///   SHUTDOWN; then by name).
/// - `state`: one of the five states, or empty for all.
/// Unknown or repeated parameters, and values outside these rules, are a 400.
struct OverviewQuery: Sendable, Equatable {
    enum Sort: String, Sendable, CaseIterable {
        case name
        case state
    }

    var page = 1
    var perPage = OverviewQuery.defaultPerPage
    var filter = ""
    var sort = Sort.name
    var state: String?

    static let defaultPerPage = 100
    static let perPageRange = 1...500
    static let pageRange = 1...1_000_000
    static let maxFilterLength = 200
    static let parameterNames: Set<String> = ["page", "per_page", "filter", "sort", "state"]

    init(page: Int = 1, perPage: Int = OverviewQuery.defaultPerPage, filter: String = "", sort: Sort = .name, state: String? = nil) {
        self.page = page
        self.perPage = perPage
        self.filter = filter
        self.sort = sort
        self.state = state
    }

    static func parse(_ items: [QueryItem]) throws(DashboardError) -> OverviewQuery {
        var query = OverviewQuery()
        var seen: Set<String> = []
        for item in items {
            guard parameterNames.contains(item.name) else {
                throw .badParameter(
                    "Unknown parameter \u{201C}\(item.name)\u{201D}; this page takes page, per_page, filter, sort and state.")
            }
            guard seen.insert(item.name).inserted else {
                throw .badParameter("The parameter \(item.name) is given more than once.")
            }
            let value = item.value ?? ""
            switch item.name {
            case "page":
                guard let page = integer(value), pageRange.contains(page) else {
                    throw .badParameter("page must be a whole number from 1 to \(pageRange.upperBound).")
                }
                query.page = page
            case "per_page":
                guard let perPage = integer(value), perPageRange.contains(perPage) else {
                    throw .badParameter(
                        "per_page must be a whole number from \(perPageRange.lowerBound) to \(perPageRange.upperBound).")
                }
                query.perPage = perPage
            case "filter":
                guard value.count <= maxFilterLength else {
                    throw .badParameter("filter is at most \(maxFilterLength) characters.")
                }
                guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw .badParameter("filter must not contain control characters.")
                }
                query.filter = value.trimmingSpaces
            case "sort":
                guard let sort = Sort(rawValue: value) else {
                    throw .badParameter("sort must be name or state.")
                }
                query.sort = sort
            case "state":
                if value.isEmpty { break }
                guard StateLook.all.contains(where: { $0.name == value }) else {
                    throw .badParameter("state must be one of READY, CONNECTING, IDLE, TRANSIENT_FAILURE, SHUTDOWN.")
                }
                query.state = value
            default:
                break
            }
        }
        return query
    }

    /// Plain decimal digits only (no sign, no spaces), at most 9 of them.
    private static func integer(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// The URL of this query with some values changed; defaults are left out so URLs stay short.
    func url(page: Int? = nil, sort: Sort? = nil, state: String?? = nil) -> String {
        var parts: [String] = []
        let filter = self.filter
        let state = state ?? self.state
        let sort = sort ?? self.sort
        let page = page ?? self.page
        if !filter.isEmpty { parts.append("filter=" + HTML.queryEncode(filter)) }
        if let state { parts.append("state=" + state) }
        if sort != .name { parts.append("sort=" + sort.rawValue) }
        if perPage != Self.defaultPerPage { parts.append("per_page=\(perPage)") }
        if page != 1 { parts.append("page=\(page)") }
        return parts.isEmpty ? "/" : "/?" + parts.joined(separator: "&")
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
