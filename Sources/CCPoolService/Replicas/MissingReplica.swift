/// A replica whose part is missing from a merged answer, and why (`"partial": true` answers list them).
struct MissingReplica: Sendable, Equatable {
    var replica: Int
    var url: String
    /// A short human reason: "connection refused", "no answer within 2s", "answered 503: ...".
    var reason: String

    init(_ failure: PeerFailure) {
        replica = failure.replica
        url = failure.url
        reason = failure.reason
    }

    init(replica: Int, url: String, reason: String) {
        self.replica = replica
        self.url = url
        self.reason = reason
    }

    /// `"partial": …` and, when partial, `"missing_replicas": [{"replica", "url", "reason"}]`: the members
    /// a merged answer ends with.
    static func members(_ missing: [MissingReplica]) -> String {
        var json = JSONWriter()
        json.object { json in
            json.key("partial")
            json.bool(!missing.isEmpty)
            if !missing.isEmpty {
                json.key("missing_replicas")
                json.array { json in
                    for entry in missing {
                        json.object { json in
                            json.key("replica")
                            json.number(entry.replica)
                            json.member("url", entry.url)
                            json.member("reason", entry.reason)
                        }
                    }
                }
            }
        }
        // The object's members without its braces, to append to another object.
        return String(json.text.dropFirst().dropLast())
    }

    /// One sentence for a page's banner.
    static func sentence(_ missing: [MissingReplica]) -> String {
        let parts = missing.map { "replica \($0.replica) (\($0.url)): \($0.reason)" }
        return "Partial answer: \(parts.joined(separator: "; ")). Its targets are not shown."
    }
}
