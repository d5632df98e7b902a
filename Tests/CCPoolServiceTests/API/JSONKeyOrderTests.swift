import CCPoolCore
import Foundation
import History
import HTTPServer
import Testing

@testable import CCPoolService

/// Every JSON object ccpool writes has one key order; these compare whole texts, so a reordered, added or
/// renamed key fails here before a client sees it.
@Suite("JSON key order")
struct JSONKeyOrderTests {
    static let subchannelEvent = StoredEvent(
        id: 7, event: HistoryEvent(time: 1_714_566_896_123_456, target: "payments", scope: .subchannel, subchannel: 17,
                                   address: "127.0.0.1:50051", from: .connecting, to: .transientFailure,
                                   reason: "connection refused"))
    static let channelEvent = StoredEvent(
        id: 8, event: HistoryEvent(time: 1_714_566_896_000_000, target: "payments", scope: .channel, from: .idle,
                                   to: .connecting, reason: "resolver \"update\""))

    @Test("a history event: id, time, target, scope, subchannel, address, from, to, reason")
    func historyEvent() {
        #expect(HistoryJSON.line(Self.subchannelEvent) == #"{"id":7,"time":"2024-05-01T12:34:56.123456Z","target":"payments","scope":"subchannel","subchannel":17,"address":"127.0.0.1:50051","from":"CONNECTING","to":"TRANSIENT_FAILURE","reason":"connection refused"}"#)
        #expect(HistoryJSON.line(Self.channelEvent) == #"{"id":8,"time":"2024-05-01T12:34:56.000000Z","target":"payments","scope":"channel","subchannel":null,"address":null,"from":"IDLE","to":"CONNECTING","reason":"resolver \"update\""}"#)
    }

    @Test("a history page: events, then next_cursor only when there is one")
    func historyPage() {
        let page = HistoryJSON.page(HistoryPage(events: [Self.channelEvent], nextCursor: "abc"))
        #expect(page == #"{"events":["# + HistoryJSON.line(Self.channelEvent) + #"],"next_cursor":"abc"}"#)
        #expect(HistoryJSON.page(HistoryPage(events: [], nextCursor: nil)) == #"{"events":[]}"#)
    }

    @Test("availability: window_seconds, ready_seconds, ready_fraction, transitions")
    func availability() {
        let text = HistoryJSON.availability(Availability(windowSeconds: 60, readySeconds: 30, readyFraction: 0.5, transitions: 2))
        #expect(text == #"{"window_seconds":60.0,"ready_seconds":30.0,"ready_fraction":0.5,"transitions":2}"#)
    }

    @Test("a target: name, target, state, state_since, lb_policy, labels (by key), subchannels (by id)")
    func targetStatus() {
        let target = DashboardFixtures.target(
            "payments", state: .ready, uri: "ipv4:10.0.0.1:50051", labels: ["zone": "a", "team": "billing"],
            subchannels: [(id: 5, state: .connecting, reason: nil), (id: 4, state: .ready, reason: nil)],
            since: Date(timeIntervalSince1970: 1_767_225_600.25))
        let since = "2026-01-01T00:00:00.250Z"
        #expect(TargetStatusJSON.one(target) == #"{"name":"payments","target":"ipv4:10.0.0.1:50051","state":"READY","state_since":""# + since + #"","lb_policy":"round_robin","labels":{"team":"billing","zone":"a"},"subchannels":[{"id":4,"addresses":["10.0.0.2:50051"],"connected_address":"10.0.0.2:50051","state":"READY","state_since":""# + since + #"","health":"SERVING"},{"id":5,"addresses":["10.0.0.1:50051"],"connected_address":null,"state":"CONNECTING","state_since":""# + since + #"","health":"UNKNOWN"}]}"#)
    }

    @Test("an error body: error.code, error.message")
    func errorBody() {
        let response = HTTPError(status: 404, code: "not_found", message: "No target named \"x\".").response
        #expect(String(decoding: response.bodyBytes, as: UTF8.self) == #"{"error":{"code":"not_found","message":"No target named \"x\"."}}"#)
    }

    @Test("a JSON log line: time (microseconds), level, label, message, then metadata by key")
    func logLine() {
        let line = LogLine.json(
            time: Date(timeIntervalSince1970: 1_714_566_896.123456), level: "info", label: "ccpool", message: "started",
            metadata: ["zeta": "1", "alpha": "2", "time": "shadowed"])
        #expect(line == #"{"time":"2024-05-01T12:34:56.123456Z","level":"info","label":"ccpool","message":"started","alpha":"2","zeta":"1"}"#)
    }

    @Test("a text log line: time (microseconds), level, label, metadata by key, source, message")
    func textLogLine() {
        let line = LogLine.text(
            time: Date(timeIntervalSince1970: 1_714_566_896.123456), level: "info", label: "ccpool", message: "history closed",
            metadata: ["written": "12", "dropped": "0"], source: "History")
        #expect(line == "2024-05-01T12:34:56.123456Z info ccpool: dropped=0 written=12 [History] history closed")
    }
}
