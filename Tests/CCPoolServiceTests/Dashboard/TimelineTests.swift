@testable import CCPoolService
import Vocabulary
import Foundation
import History
import Testing

/// `Timeline.build`: segments from synthetic events — the state at the window's start, boundaries, clipping.
@Suite("Dashboard timeline")
struct TimelineTests {
    typealias F = DashboardFixtures
    let window = F.micros(1000)..<F.micros(2000)

    func spans(_ band: Timeline.Band) -> [String] {
        band.segments.map { "\($0.state.rawValue)@\(($0.start - F.t0) / 1_000_000)-\(($0.end - F.t0) / 1_000_000)" }
    }

    @Test("the state at the window's start is the last event before it, clipped to the window")
    func stateAtWindowStart() {
        let before = F.event(1, at: 400, .connecting, .ready, reason: "subchannel 3 READY")
        let events = [F.event(2, at: 1500, .ready, .transientFailure, reason: "GOAWAY")]
        let timeline = Timeline.build(window: window, initial: [.channel: before], events: events)
        let channel = timeline.bands[0]
        #expect(channel.key == .channel)
        #expect(spans(channel) == ["READY@1000-1500", "TRANSIENT_FAILURE@1500-2000"])
        #expect(channel.segments[0].carriedIn)
        #expect(channel.segments[0].reason == "subchannel 3 READY")
        #expect(channel.segments[0].eventID == 1)
        #expect(!channel.segments[1].carriedIn)
        #expect(channel.segments[1].from == .ready)
        #expect(channel.segments[1].reason == "GOAWAY")
    }

    @Test("without an earlier event the band starts at its first event (blank before)")
    func unknownStart() {
        let events = [F.event(1, at: 1200, .idle, .connecting), F.event(2, at: 1300, .connecting, .ready)]
        let timeline = Timeline.build(window: window, initial: [:], events: events)
        #expect(spans(timeline.bands[0]) == ["CONNECTING@1200-1300", "READY@1300-2000"])
    }

    @Test("a window with no event at all: one carried-in segment, or nothing when nothing is known")
    func quietWindow() {
        let before = F.event(7, at: 10, .connecting, .ready)
        #expect(spans(Timeline.build(window: window, initial: [.channel: before], events: []).bands[0]) == ["READY@1000-2000"])
        let empty = Timeline.build(window: window, initial: [:], events: [])
        #expect(empty.bands.count == 1)
        #expect(empty.bands[0].segments.isEmpty)
    }

    @Test("events outside the window are clipped; an event exactly at the start opens a segment there; end is exclusive")
    func boundaries() {
        let events = [
            F.event(1, at: 999, .idle, .connecting),  // before the window: ignored here (it belongs in `initial`)
            F.event(2, at: 1000, .connecting, .ready),  // exactly at the start
            F.event(3, at: 2000, .ready, .idle),  // exactly at the end: outside [start, end)
            F.event(4, at: 2500, .idle, .connecting),  // after
        ]
        let before = F.event(1, at: 999, .idle, .connecting)
        let timeline = Timeline.build(window: window, initial: [.channel: before], events: events)
        // The carried-in CONNECTING segment would have zero length, so it is dropped.
        #expect(spans(timeline.bands[0]) == ["READY@1000-2000"])
        #expect(timeline.bands[0].segments[0].carriedIn == false)
    }

    @Test("events are applied in (time, id) order whatever order they come in; equal times leave no empty segment")
    func ordering() {
        let events = [
            F.event(5, at: 1700, .ready, .idle),
            F.event(3, at: 1100, .connecting, .transientFailure),
            F.event(4, at: 1100, .transientFailure, .ready),
        ]
        let timeline = Timeline.build(window: window, initial: [.channel: F.event(1, at: 0, .idle, .connecting)], events: events)
        #expect(spans(timeline.bands[0]) == ["CONNECTING@1000-1100", "READY@1100-1700", "IDLE@1700-2000"])
    }

    @Test("one band per subchannel: current ones, ones with events, not ones gone before the window")
    func subchannelBands() {
        let initial: [Timeline.BandKey: StoredEvent] = [
            .channel: F.event(1, at: 10, .connecting, .ready),
            .subchannel(3): F.event(2, at: 20, .connecting, .ready, subchannel: 3),
            .subchannel(2): F.event(3, at: 30, .ready, .shutdown, subchannel: 2),  // gone before the window
        ]
        let events = [
            F.event(10, at: 1200, .ready, .shutdown, subchannel: 3, reason: "address removed"),
            F.event(11, at: 1200, .idle, .connecting, subchannel: 4, reason: "connect requested"),
            F.event(12, at: 1210, .connecting, .ready, subchannel: 4, reason: "connected"),
        ]
        let timeline = Timeline.build(
            window: window, initial: initial, events: events, subchannels: [4: "10.9.9.9:443", 6: nil])
        #expect(timeline.bands.map(\.key) == [.channel, .subchannel(3), .subchannel(4), .subchannel(6)])
        #expect(spans(timeline.bands[1]) == ["READY@1000-1200", "SHUTDOWN@1200-2000"])
        #expect(spans(timeline.bands[2]) == ["CONNECTING@1200-1210", "READY@1210-2000"])
        #expect(timeline.bands[2].address == "10.9.9.9:443")  // the pool's address wins
        #expect(timeline.bands[1].address == "10.0.0.3:50051")  // else the history's
        #expect(timeline.bands[3].segments.isEmpty)  // current, but no history known
        #expect(timeline.omittedSubchannels == 0)
    }

    @Test("at most maxSubchannelBands subchannel bands: the newest ids stay")
    func bandLimit() {
        let events = (1...10).map { F.event(Int64($0), at: 1000 + Int64($0), .idle, .connecting, subchannel: Int64($0)) }
        let timeline = Timeline.build(window: window, initial: [:], events: events, maxSubchannelBands: 3)
        #expect(timeline.bands.map(\.key) == [.channel, .subchannel(8), .subchannel(9), .subchannel(10)])
        #expect(timeline.omittedSubchannels == 7)
    }

    @Test("segments tile the window without gaps or overlaps from the first known state to the end")
    func tiling() {
        var events: [StoredEvent] = []
        var state = ConnectivityState.idle
        let cycle: [ConnectivityState] = [.connecting, .ready, .transientFailure, .idle]
        for index in 0..<200 {
            let next = cycle[index % cycle.count]
            events.append(F.event(Int64(index + 2), at: 1000 + Int64(index * 4 + (index % 3)), state, next))
            state = next
        }
        let timeline = Timeline.build(window: window, initial: [.channel: F.event(1, at: 5, .ready, .idle)], events: events.shuffled())
        let segments = timeline.bands[0].segments
        #expect(segments.first?.start == window.lowerBound)
        #expect(segments.last?.end == window.upperBound)
        for (a, b) in zip(segments, segments.dropFirst()) {
            #expect(a.end == b.start)
            #expect(a.start < a.end)
        }
    }

    @Test("the SVG: one rect per segment with exact data attributes, a title, the pattern for TRANSIENT_FAILURE")
    func svg() {
        let events = [F.event(2, at: 1500, .ready, .transientFailure, reason: "connection <refused> & \"reset\"")]
        let timeline = Timeline.build(window: window, initial: [.channel: F.event(1, at: 0, .connecting, .ready)], events: events)
        var html = HTML.Builder()
        TimelineSVG.render(timeline, window: .hour, into: &html)
        let svg = html.html
        #expect(svg.components(separatedBy: "<rect class=\"seg ").count - 1 == 2)
        #expect(svg.contains("data-state=\"READY\" data-start=\"2026-01-01T00:16:40.000000Z\" data-end=\"2026-01-01T00:25:00.000000Z\""))
        #expect(svg.contains("data-state=\"TRANSIENT_FAILURE\" data-start=\"2026-01-01T00:25:00.000000Z\" data-end=\"2026-01-01T00:33:20.000000Z\""))
        #expect(svg.contains("data-open=\"1\""))
        #expect(svg.contains("x=\"210\"") && svg.contains("x=\"650\" y=\"0\" width=\"440\""))
        #expect(svg.contains("from READY: connection &lt;refused&gt; &amp; &quot;reset&quot;</title>"))
        #expect(svg.contains("data-reason=\"connection &lt;refused&gt; &amp; &quot;reset&quot;\""))
        #expect(!svg.contains("<refused>"))
        #expect(svg.contains("id=\"pat-tf\""))
    }

    @Test("TargetHistory reads the window and the state before it from a real history store, and bounds the rows")
    func loadFromStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ccpool-dash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("h.db").path
        _ = try Migrator().migrate(path: path)
        let writer = try HistoryWriter(path: path)
        let now = HistoryTime.micros(Date())
        func at(_ secondsAgo: Int64) -> Int64 { now - secondsAgo * 1_000_000 }
        var events = [
            HistoryEvent(time: at(7200), target: "t", scope: .channel, from: .idle, to: .connecting, reason: "resolving"),
            HistoryEvent(time: at(7100), target: "t", scope: .channel, from: .connecting, to: .ready, reason: "sub 1 READY"),
            HistoryEvent(time: at(7100), target: "t", scope: .subchannel, subchannel: 1, address: "10.0.0.1:1", from: .connecting, to: .ready, reason: "connected"),
            HistoryEvent(time: at(5000), target: "other", scope: .channel, from: .ready, to: .idle, reason: "not mine"),
        ]
        // 30 flaps inside the last hour.
        for index in 0..<30 {
            let t = at(3000 - Int64(index) * 60)
            events.append(HistoryEvent(time: t, target: "t", scope: .subchannel, subchannel: 1, address: "10.0.0.1:1",
                                       from: index % 2 == 0 ? .ready : .idle, to: index % 2 == 0 ? .idle : .ready, reason: "flap \(index)"))
        }
        #expect(writer.append(contentsOf: events))
        writer.close()
        let reader = try HistoryReader(path: path)

        let full = try TargetHistory.load(reader: reader, target: "t", window: .hour, now: now, subchannels: [1: "10.0.0.1:1", 2: nil])
        #expect(!full.truncated)
        #expect(full.timeline.start == now - 3_600_000_000)
        #expect(full.timeline.bands.map(\.key) == [.channel, .subchannel(1), .subchannel(2)])
        #expect(full.timeline.bands[0].segments.map(\.state) == [.ready])
        #expect(full.timeline.bands[0].segments[0].carriedIn)
        let sub = full.timeline.bands[1].segments
        #expect(sub.count == 31)
        #expect(sub.first?.state == .ready && sub.first?.carriedIn == true && sub.first?.end == at(3000))
        #expect(sub.last?.state == .ready && sub.last?.end == now)
        #expect(full.latest.count == 30)
        #expect(full.latest.first?.event.reason == "flap 29")

        // Bounded: with room for 10 rows, the timeline starts at the oldest one read.
        let cut = try TargetHistory.load(reader: reader, target: "t", window: .hour, now: now, subchannels: [:], maxEvents: 10)
        #expect(cut.truncated)
        #expect(cut.timeline.start == at(3000 - 20 * 60))
        let cutSub = cut.timeline.bands[1].segments
        #expect(cutSub.count == 10)
        #expect(cutSub.first?.reason == "flap 20" && cutSub.first?.start == cut.timeline.start)
        #expect(cut.timeline.bands[0].segments.map(\.state) == [.ready])
    }
}
