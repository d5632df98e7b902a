import History

/// What the target page reads from the history store: a bounded number of rows, with blocking reads on the
/// caller's thread (an MHD thread; the reader is a read-only SQLite connection).
///
/// Reads, in order: the newest `maxEvents` events of the window (newest first); for the channel and each
/// subchannel that gets a band, the last event before the window (its state when the window opened). When the
/// window holds more than `maxEvents` events the timeline starts at the oldest one read instead, and says so.
struct TargetHistory: Sendable {
    var timeline: Timeline
    /// The newest events of the window, newest first (at most `latestCount`).
    var latest: [StoredEvent]
    /// The window held more events than were read: the timeline starts later than the window.
    var truncated: Bool

    static let maxEvents = 5_000
    static let latestCount = 50

    /// - Parameter subchannels: the pool's current subchannels of the target (id → address), which get a band
    ///   even when the window has no event of theirs.
    static func load(
        reader: HistoryReader, target: String, window: Timeline.Window, now: Int64, subchannels: [Int64: String?],
        maxEvents: Int = TargetHistory.maxEvents, maxSubchannelBands: Int = 64
    ) throws(SQLiteError) -> TargetHistory {
        let windowStart = now - window.micros
        let newest = try reader.newestEvents(target: target, since: windowStart, until: now, limit: maxEvents + 1)
        let truncated = newest.count > maxEvents
        let events = Array(newest.prefix(maxEvents))
        // With too many events, draw from the oldest one read (the cutoff): its band starts in its state, the
        // other bands in the state of their last row before it (same time included, by id).
        let cutoff = truncated ? events.last : nil
        let start = cutoff?.event.time ?? windowStart

        var keys: Set<Timeline.BandKey> = [.channel]
        for stored in events { keys.insert(Timeline.key(of: stored.event)) }
        for id in subchannels.keys { keys.insert(.subchannel(id)) }
        // Look up the state before the window only for the bands that will be drawn.
        let subchannelKeys = keys.filter { $0 != .channel }.sorted().suffix(maxSubchannelBands)
        var initial: [Timeline.BandKey: StoredEvent] = [:]
        for key in [Timeline.BandKey.channel] + subchannelKeys {
            let subchannel: Int64? = if case .subchannel(let id) = key { id } else { nil }
            let event = try reader.lastEvent(
                target: target, subchannel: subchannel, before: cutoff == nil ? start : start + 1, beforeID: cutoff?.id)
            if let event { initial[key] = event }
        }
        var inside = events
        if let cutoff {
            initial[Timeline.key(of: cutoff.event)] = cutoff
            inside.removeLast()
        }
        var timeline = Timeline.build(
            window: start..<max(now, start + 1), initial: initial, events: inside, subchannels: subchannels,
            maxSubchannelBands: maxSubchannelBands)
        timeline.omittedSubchannels = max(0, keys.count - 1 - maxSubchannelBands)
        return TargetHistory(timeline: timeline, latest: Array(events.prefix(latestCount)), truncated: truncated)
    }
}
