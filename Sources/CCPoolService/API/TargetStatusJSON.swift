import CCPoolCore
import ChannelPool
import History
import Vocabulary

/// the API's `TargetStatus` (docs/api.md), from a pool snapshot.
enum TargetStatusJSON {
    static func write(_ target: TargetSnapshot, to json: inout JSONWriter) {
        let stats = target.stats
        json.object { json in
            json.member("name", target.definition.name)
            json.member("target", target.definition.uri)
            json.member("state", stats.state.rawValue)
            json.member("state_since", RFC3339.format(stats.since, fractionDigits: 3))
            json.member("lb_policy", stats.lbPolicy)
            json.key("labels")
            json.object { json in
                for (key, value) in target.definition.labels.sorted(by: { $0.key < $1.key }) {
                    json.member(key, value)
                }
            }
            json.key("subchannels")
            json.array { json in
                for subchannel in stats.subchannels.values.sorted(by: { $0.id < $1.id }) {
                    json.object { json in
                        json.key("id")
                        json.number(subchannel.id.rawValue)
                        json.key("addresses")
                        json.array { json in
                            for address in subchannel.addresses { json.string(address.description) }
                        }
                        json.member("connected_address", subchannel.connectedAddress?.description)
                        json.member("state", subchannel.state.rawValue)
                        json.member("state_since", RFC3339.format(subchannel.since, fractionDigits: 3))
                        json.member("health", apiHealth(subchannel.health))
                    }
                }
            }
        }
    }

    /// The API lists SERVING, NOT_SERVING, UNKNOWN and DISABLED; the server's SERVICE_UNKNOWN is
    /// shown as NOT_SERVING there (the metrics keep the distinction).
    static func apiHealth(_ health: HealthStatus) -> String {
        health == .serviceUnknown ? HealthStatus.notServing.rawValue : health.rawValue
    }

    static func list(_ snapshot: PoolSnapshot) -> String {
        var json = JSONWriter()
        json.object { json in
            json.key("targets")
            json.array { json in
                for target in snapshot.targets { write(target, to: &json) }
            }
        }
        return json.text
    }

    static func one(_ target: TargetSnapshot) -> String {
        var json = JSONWriter()
        write(target, to: &json)
        return json.text
    }
}
