import History
import Vocabulary

/// The JSON of history: `Event` objects (for `/v1/history`, the replicas' merged history and the lines of
/// `ccpool history --format json`), pages of them, and availability.
///
/// An event's keys always come in the order id, time, target, scope, subchannel, address, from, to, reason;
/// `time` is RFC 3339 in UTC with microseconds; `subchannel` and `address` are null when unknown.
public enum HistoryJSON {
    public static func write(_ stored: StoredEvent, to json: inout JSONWriter) {
        let event = stored.event
        json.object { json in
            json.key("id")
            json.number(stored.id)
            json.member("time", RFC3339.format(micros: event.time))
            json.member("target", event.target)
            json.member("scope", event.scope.rawValue)
            json.key("subchannel")
            if let subchannel = event.subchannel { json.number(subchannel) } else { json.null() }
            json.member("address", event.address)
            json.member("from", event.from.rawValue)
            json.member("to", event.to.rawValue)
            json.member("reason", event.reason)
        }
    }

    /// One event as a single line of JSON (no newline).
    public static func line(_ stored: StoredEvent) -> String {
        var json = JSONWriter()
        write(stored, to: &json)
        return json.text
    }

    /// `{"events": [Event…], "next_cursor": "…"}`, `next_cursor` only when more rows may match.
    public static func page(_ page: HistoryPage) -> String {
        var json = JSONWriter()
        json.object { json in
            json.key("events")
            json.array { json in
                for event in page.events { write(event, to: &json) }
            }
            if let next = page.nextCursor { json.member("next_cursor", next) }
        }
        return json.text
    }

    /// `{"window_seconds", "ready_seconds", "ready_fraction", "transitions"}`.
    public static func availability(_ result: Availability) -> String {
        var json = JSONWriter()
        json.object { json in
            json.key("window_seconds")
            json.double(result.windowSeconds)
            json.key("ready_seconds")
            json.double(result.readySeconds)
            json.key("ready_fraction")
            json.double(result.readyFraction)
            json.key("transitions")
            json.number(result.transitions)
        }
        return json.text
    }
}
