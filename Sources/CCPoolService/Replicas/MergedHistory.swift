import Foundation
import History
import HTTPServer

/// `GET /v1/history` for the whole pool: one page merged from every replica's page, in time order.
///
/// Every replica is asked for up to `limit` events after its position in the cursor
/// (``MergedHistoryCursor``), with the same filters. The pages are merged like sorted runs: the next event
/// is always the earliest head among the replicas (ties by replica index), and each replica's events
/// stay in its own order, so what a page takes of a replica is always a prefix of what it returned.
/// That prefix's last id becomes the replica's new position; nothing after it was shown, nothing up to it
/// will be shown again. A replica that did not answer keeps its position (the page is marked partial and
/// has a `next_cursor`, so a later page can still bring its events).
enum MergedHistory {
    struct Part {
        var replica: Int
        var url: String
        /// A `{"events": [...], "next_cursor"?}` page.
        var body: [UInt8]
    }

    private struct Run {
        var part: Int
        var replica: Int
        var events: [Range<Int>]
        var times: [Int64]
        var ids: [Int64]
        var hasMore: Bool
        /// The replica's own `next_cursor` position, when it gave one.
        var resumeAfter: Int64?
        var next = 0
    }

    static func merge(_ parts: [Part], missing: [MissingReplica], cursor: MergedHistoryCursor, limit: Int) -> [UInt8] {
        var missing = missing
        var cursor = cursor
        var runs: [Run] = []
        for (index, part) in parts.enumerated() {
            guard let run = parse(part, index) else {
                missing.append(MissingReplica(replica: part.replica, url: part.url, reason: "answered a malformed history page"))
                continue
            }
            runs.append(run)
        }
        var out: [UInt8] = []
        out.append(contentsOf: #"{"events":["#.utf8)
        var taken = 0
        while taken < limit {
            var best: Int?
            for r in runs.indices where runs[r].next < runs[r].events.count {
                guard let current = best else { best = r; continue }
                let a = runs[r], b = runs[current]
                let ta = a.times[a.next], tb = b.times[b.next]
                if ta < tb || (ta == tb && a.replica < b.replica) { best = r }
            }
            guard let r = best else { break }
            let run = runs[r]
            if taken > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: parts[run.part].body[run.events[run.next]])
            cursor.positions[run.replica] = run.ids[run.next]
            runs[r].next += 1
            taken += 1
        }
        out.append(contentsOf: "]".utf8)
        // A replica whose page was taken whole continues where it said: a history page may end early (even
        // empty) at the end of its scan window, and its position must move past the window.
        for run in runs where run.next == run.events.count {
            if let resume = run.resumeAfter, resume > (cursor.positions[run.replica] ?? 0) {
                cursor.positions[run.replica] = resume
            }
        }
        let more = !missing.isEmpty || runs.contains { $0.next < $0.events.count || $0.hasMore }
        if more {
            out.append(contentsOf: #","next_cursor":"#.utf8)
            out.append(contentsOf: "\"\(cursor.encoded)\"".utf8)
        }
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: MissingReplica.members(missing.sorted { $0.replica < $1.replica }).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func parse(_ part: Part, _ index: Int) -> Run? {
        let body = part.body
        let whole = 0..<body.count
        guard let list = JSONSlices.member("events", in: body, whole), let events = JSONSlices.elements(in: body, list) else {
            return nil
        }
        var times: [Int64] = []
        var ids: [Int64] = []
        times.reserveCapacity(events.count)
        ids.reserveCapacity(events.count)
        for event in events {
            guard let idRange = JSONSlices.member("id", in: body, event), let id = JSONSlices.integer(body, idRange),
                let timeRange = JSONSlices.member("time", in: body, event), let text = JSONSlices.string(body, timeRange),
                let time = HistoryTime.parse(text)
            else { return nil }
            times.append(time)
            ids.append(id)
        }
        var hasMore = false
        var resumeAfter: Int64?
        if let next = JSONSlices.member("next_cursor", in: body, whole) {
            hasMore = body[next.lowerBound] == UInt8(ascii: "\"")
            resumeAfter = JSONSlices.string(body, next).flatMap(HistoryQuery.decodeCursor)
        }
        return Run(
            part: index, replica: part.replica, events: events, times: times, ids: ids, hasMore: hasMore,
            resumeAfter: resumeAfter)
    }
}

extension PoolRoutes {
    /// The history route: merged over every replica, or `local` for this replica alone (not sharded,
    /// `?replicas=local`, or asked by another replica).
    func history(
        read: @escaping @Sendable (HistoryQuery) throws(HTTPError) -> HistoryPage, _ local: @escaping HTTPHandler
    ) -> HTTPHandler {
        { (original: HTTPRequest) throws(HTTPError) -> HTTPResponse in
            var request = original
            guard let peers = try fanOutPeers(&request) else { return try local(request) }
            // The filters are checked here first: a bad request is refused before any replica is asked.
            var items: [(key: String, value: String)] = []
            var cursorText: [String] = []
            for item in request.query {
                if item.name == "cursor" { cursorText.append(item.value ?? "") } else { items.append((item.name, item.value ?? "")) }
            }
            let query: HistoryQuery
            do throws(HistoryQueryError) {
                query = try HistoryQuery.parse(items)
            } catch {
                throw .badRequest("invalid_parameter", error.message)
            }
            guard cursorText.count <= 1 else {
                throw .badRequest("invalid_parameter", "parameter 'cursor' is given more than once")
            }
            var cursor = MergedHistoryCursor(count: replica.count)
            if let text = cursorText.first {
                guard let decoded = MergedHistoryCursor.decode(text, count: replica.count) else {
                    throw .badRequest(
                        "invalid_parameter",
                        "invalid value for 'cursor': not a cursor this API returned for the \(replica.count) replicas of this pool")
                }
                cursor = decoded
            }
            let positions = cursor.positions
            let pending = ask(peers) { other in
                var query = items
                if let after = positions[other] { query.append(("cursor", HistoryQuery.encodeCursor(afterID: after))) }
                return "/v1/history?" + QueryEncoding.encode(query)
            }
            var localQuery = query
            localQuery.afterID = positions[replica.index]
            let page = try read(localQuery)
            let localBody = Array(HistoryJSON.page(page).utf8)
            let asked = collect(peers, pending)
            var parts = [MergedHistory.Part(replica: replica.index, url: peers.urls[replica.index], body: localBody)]
            for (other, answer) in asked.answers.sorted(by: { $0.key < $1.key }) {
                parts.append(MergedHistory.Part(replica: other, url: peers.urls[other], body: answer.body))
            }
            let body = MergedHistory.merge(parts, missing: asked.missing, cursor: cursor, limit: query.limit)
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: body)
        }
    }

    /// `GET /v1/targets`: merged over every replica, or `local` alone.
    func targetList(_ local: @escaping HTTPHandler) -> HTTPHandler {
        { (original: HTTPRequest) throws(HTTPError) -> HTTPResponse in
            var request = original
            guard let peers = try fanOutPeers(&request) else { return try local(request) }
            let pending = ask(peers) { _ in "/v1/targets" }
            let own = try local(request)
            let asked = collect(peers, pending)
            var bodies = [(replica: replica.index, url: peers.urls[replica.index], body: own.bodyBytes)]
            for (other, answer) in asked.answers.sorted(by: { $0.key < $1.key }) {
                bodies.append((other, peers.urls[other], answer.body))
            }
            let body = MergedTargetList.merge(bodies, missing: asked.missing)
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: body)
        }
    }
}

/// Writes query parameters as a query string, percent-encoding everything but RFC 3986's unreserved
/// characters.
enum QueryEncoding {
    static func encode(_ items: [(key: String, value: String)]) -> String {
        items.map { escape($0.key) + "=" + escape($0.value) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
