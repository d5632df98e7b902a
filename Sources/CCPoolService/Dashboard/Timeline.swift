import Vocabulary
import History

/// The state timeline of one target over a window: one band for the channel and one per subchannel, each a
/// run of segments `[start, end)` in one state.
///
/// Built by ``build(window:initial:events:subchannels:)``, a pure function of the history rows, so the page,
/// the tests and the DOM check all agree on what is drawn. Times are microseconds since the Unix epoch.
struct Timeline: Sendable, Equatable {
    /// Which object a band shows.
    enum BandKey: Sendable, Hashable, Comparable {
        case channel
        case subchannel(Int64)

        /// `channel` or `subchannel-17`: the band's id in the page (`data-band`).
        var slug: String {
            switch self {
            case .channel: "channel"
            case .subchannel(let id): "subchannel-\(id)"
            }
        }
    }

    /// One run of a state. `reason` and `from` come from the event that started it; a segment that was
    /// already running when the window opened starts at the window with the event that set it (before).
    struct Segment: Sendable, Equatable {
        var state: ConnectivityState
        var start: Int64
        var end: Int64
        /// The state before (nil when the segment starts with the window and nothing earlier is known).
        var from: ConnectivityState?
        /// The reason of the transition into `state` ("" when none was recorded).
        var reason: String
        /// True when `state` was set before the window opened (the segment is clipped at the window's start).
        var carriedIn: Bool
        /// The id of the event that started the segment.
        var eventID: Int64?
    }

    struct Band: Sendable, Equatable {
        var key: BandKey
        /// The address, when the history or the pool knows it.
        var address: String?
        var segments: [Segment]
    }

    /// `[start, end)`: `end` is "now" when the page was drawn.
    var start: Int64
    var end: Int64
    /// The channel band first, then subchannels by id.
    var bands: [Band]
    /// Subchannel bands left out by `maxSubchannelBands` (the oldest ids go first).
    var omittedSubchannels: Int

    /// Computes the timeline of `window`.
    ///
    /// - Parameters:
    ///   - initial: for each object, the last event before the window (its `to` is the state at `window.start`);
    ///     objects missing from it have no known state there and their band starts with their first event.
    ///   - events: the events in the window, in any order; those outside `window` are ignored (clipped).
    ///     They are applied in (time, id) order; two events at the same time leave no zero-length segment.
    ///   - subchannels: subchannels that get a band even without an event in the window (the pool's current
    ///     ones), with their address.
    ///   - maxSubchannelBands: the largest ids are kept when there are more.
    static func build(
        window: Range<Int64>, initial: [BandKey: StoredEvent], events: [StoredEvent],
        subchannels: [Int64: String?] = [:], maxSubchannelBands: Int = 64
    ) -> Timeline {
        let inside = events
            .filter { window.contains($0.event.time) }
            .sorted { ($0.event.time, $0.id) < ($1.event.time, $1.id) }
        var keys: Set<BandKey> = [.channel]
        for key in initial.keys {
            // A subchannel that was already gone before the window has nothing to show.
            if case .subchannel = key, initial[key]?.event.to == .shutdown { continue }
            keys.insert(key)
        }
        for event in inside { keys.insert(key(of: event.event)) }
        for id in subchannels.keys { keys.insert(.subchannel(id)) }

        var subchannelKeys = keys.filter { $0 != .channel }.sorted()
        let omitted = max(0, subchannelKeys.count - max(0, maxSubchannelBands))
        subchannelKeys.removeFirst(omitted)

        var byKey: [BandKey: [StoredEvent]] = [:]
        for event in inside { byKey[key(of: event.event), default: []].append(event) }

        var bands: [Band] = []
        for key in [BandKey.channel] + subchannelKeys {
            let mine = byKey[key] ?? []
            var address: String?
            if case .subchannel(let id) = key, let known = subchannels[id] { address = known }
            if address == nil {
                address = mine.last(where: { $0.event.address != nil })?.event.address ?? initial[key]?.event.address
            }
            bands.append(Band(
                key: key, address: key == .channel ? nil : address,
                segments: segments(window: window, before: initial[key], events: mine)))
        }
        return Timeline(start: window.lowerBound, end: window.upperBound, bands: bands, omittedSubchannels: omitted)
    }

    static func key(of event: HistoryEvent) -> BandKey {
        if event.scope == .subchannel, let id = event.subchannel { return .subchannel(id) }
        return .channel
    }

    /// One band's segments from the state before the window and the band's events in it, in order.
    static func segments(window: Range<Int64>, before: StoredEvent?, events: [StoredEvent]) -> [Segment] {
        var result: [Segment] = []
        var current: Segment?
        if let before {
            current = Segment(
                state: before.event.to, start: window.lowerBound, end: window.upperBound, from: before.event.from,
                reason: before.event.reason, carriedIn: true, eventID: before.id)
        }
        for stored in events {
            let event = stored.event
            if var open = current {
                open.end = event.time
                if open.end > open.start { result.append(open) }
            }
            current = Segment(
                state: event.to, start: event.time, end: window.upperBound, from: event.from, reason: event.reason,
                carriedIn: false, eventID: stored.id)
        }
        if let open = current, open.end > open.start { result.append(open) }
        return result
    }
}

extension Timeline {
    /// The windows the target page offers (`window=1h|24h|7d`).
    enum Window: String, Sendable, CaseIterable {
        case hour = "1h"
        case day = "24h"
        case week = "7d"

        var micros: Int64 {
            switch self {
            case .hour: 3_600_000_000
            case .day: 86_400_000_000
            case .week: 7 * 86_400_000_000
            }
        }

        var seconds: Int { Int(micros / 1_000_000) }

        var label: String {
            switch self {
            case .hour: "1 hour"
            case .day: "24 hours"
            case .week: "7 days"
            }
        }
    }
}
