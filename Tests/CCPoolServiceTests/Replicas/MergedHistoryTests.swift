import Foundation
import History
import Testing
import Vocabulary

@testable import CCPoolService

/// Paging a history merged over replicas: nothing lost, nothing repeated, time order, partial pages.
@Suite struct MergedHistoryTests {
    /// One replica's history: (id, time in microseconds) in id order.
    struct Replica {
        var events: [(id: Int64, time: Int64)]

        /// What `GET /v1/history?limit=&cursor=` answers on replica `index`.
        func page(_ index: Int, after: Int64?, limit: Int) -> [UInt8] {
            let rest = events.filter { $0.id > (after ?? -1) }
            let shown = rest.prefix(limit)
            let items = shown.map { #"{"id":\#($0.id),"time":"\#(RFC3339.format(micros: $0.time))","target":"r\#(index)","reason":"a \"quoted\" [reason]"}"# }
            var text = #"{"events":["# + items.joined(separator: ",") + "]"
            if rest.count > limit { text += #","next_cursor":"\#(HistoryQuery.encodeCursor(afterID: shown.last!.id))""# }
            return Array((text + "}").utf8)
        }
    }

    /// Every replica paged through the merge with `limit`; `down(page, replica)` leaves a replica out.
    func pageThrough(_ replicas: [Replica], limit: Int, down: (Int, Int) -> Bool = { _, _ in false })
        -> (events: [(replica: Int, id: Int64, time: Int64)], partialPages: Int)
    {
        var cursor = MergedHistoryCursor(count: replicas.count)
        var result: [(replica: Int, id: Int64, time: Int64)] = []
        var partialPages = 0
        for pageNumber in 0..<10_000 {
            var parts: [MergedHistory.Part] = []
            var missing: [MissingReplica] = []
            for (index, replica) in replicas.enumerated() {
                if down(pageNumber, index) {
                    missing.append(MissingReplica(replica: index, url: "http://r\(index)", reason: "connection refused"))
                } else {
                    parts.append(.init(replica: index, url: "http://r\(index)", body: replica.page(index, after: cursor.positions[index], limit: limit)))
                }
            }
            let body = MergedHistory.merge(parts, missing: missing, cursor: cursor, limit: limit)
            let object = try! JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
            let events = object["events"] as! [[String: Any]]
            #expect(events.count <= limit)
            if object["partial"] as! Bool {
                partialPages += 1
                #expect((object["missing_replicas"] as! [[String: Any]]).count == missing.count)
            }
            for event in events {
                let id = (event["id"] as! NSNumber).int64Value
                let time = HistoryTime.parse(event["time"] as! String)!
                let replica = Int((event["target"] as! String).dropFirst())!
                result.append((replica, id, time))
                #expect(event["reason"] as? String == "a \"quoted\" [reason]")
            }
            guard let next = object["next_cursor"] as? String else { return (result, partialPages) }
            cursor = MergedHistoryCursor.decode(next, count: replicas.count)!
        }
        Issue.record("paging did not end")
        return (result, partialPages)
    }

    /// The k-way merge by (time, replica) that keeps each replica's own order.
    func expected(_ replicas: [Replica]) -> [(replica: Int, id: Int64, time: Int64)] {
        var heads = Array(repeating: 0, count: replicas.count)
        var out: [(replica: Int, id: Int64, time: Int64)] = []
        while true {
            var best: Int?
            for r in replicas.indices where heads[r] < replicas[r].events.count {
                if let b = best {
                    let x = replicas[r].events[heads[r]].time, y = replicas[b].events[heads[b]].time
                    if x < y { best = r }
                } else {
                    best = r
                }
            }
            guard let b = best else { return out }
            let event = replicas[b].events[heads[b]]
            out.append((b, event.id, event.time))
            heads[b] += 1
        }
    }

    func randomReplicas(seed: UInt64, sizes: [Int]) -> [Replica] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return sizes.map { size in
            var time: Int64 = 1_760_000_000_000_000
            return Replica(events: (0..<size).map { i in
                // Mostly increasing times, with equal times and small steps back (shards write concurrently).
                time += Int64(next() % 5) * 1000 - (next() % 7 == 0 ? 2000 : 0)
                return (Int64(i + 1) * 3, time)
            })
        }
    }

    static let cases: [(seed: UInt64, sizes: [Int])] = [
        (1, [40, 3, 17]), (2, [0, 25, 25]), (3, [7, 7, 7]), (4, [100, 0, 0]), (5, [1, 50, 2]),
    ]

    @Test(arguments: cases)
    func pagesEqualTheMergedUnion(seed: UInt64, sizes: [Int]) {
        let replicas = randomReplicas(seed: seed, sizes: sizes)
        let paged = pageThrough(replicas, limit: 7)
        let want = expected(replicas)
        #expect(paged.events.count == want.count)
        #expect(paged.events.map { "\($0.replica)/\($0.id)" } == want.map { "\($0.replica)/\($0.id)" })
        #expect(paged.partialPages == 0)
    }

    @Test func aMissingReplicaKeepsItsPlace() {
        let replicas = randomReplicas(seed: 9, sizes: [30, 30, 30])
        // Replica 1 is down for pages 1 to 4: those pages say so, and its events still all come, once.
        let paged = pageThrough(replicas, limit: 7) { page, replica in replica == 1 && (1...4).contains(page) }
        #expect(paged.partialPages == 4)
        let seen = paged.events.map { "\($0.replica)/\($0.id)" }
        #expect(Set(seen).count == seen.count)
        #expect(Set(seen) == Set(expected(replicas).map { "\($0.replica)/\($0.id)" }))
        for r in 0..<3 {
            #expect(paged.events.filter { $0.replica == r }.map(\.id) == replicas[r].events.map(\.id))
        }
    }

    @Test func cursorRoundTripsAndRefusesOthers() {
        let cursor = MergedHistoryCursor(positions: [12, nil, 7])
        #expect(MergedHistoryCursor.decode(cursor.encoded, count: 3) == cursor)
        #expect(MergedHistoryCursor.decode(cursor.encoded, count: 2) == nil)
        #expect(MergedHistoryCursor.decode(HistoryQuery.encodeCursor(afterID: 5), count: 3) == nil)
        #expect(MergedHistoryCursor.decode("not a cursor", count: 3) == nil)
        #expect(MergedHistoryCursor.decode("", count: 3) == nil)
        #expect(HistoryQuery.decodeCursor(cursor.encoded) == nil)
    }
}
