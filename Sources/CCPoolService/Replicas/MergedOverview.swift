import CCPoolCore
import ChannelPool
import Foundation
import History
import HTTPServer
import Vocabulary

extension PoolRoutes {
    /// `GET /`: the dashboard's overview of the whole pool: this replica's targets and every other
    /// replica's `/v1/targets`, with a banner naming the replicas that did not answer in time.
    func overview(_ dashboard: DashboardRoutes, local: @escaping HTTPHandler) -> HTTPHandler {
        { (original: HTTPRequest) -> HTTPResponse in
            var request = original
            let peers: PeerClient?
            do throws(HTTPError) {
                peers = try fanOutPeers(&request)
            } catch {
                return DashboardRoutes.errorPage(error)
            }
            guard let peers else { return (try? local(request)) ?? HTTPResponse(status: 500) }
            let query: OverviewQuery
            do throws(DashboardError) {
                query = try OverviewQuery.parse(request.query)
            } catch {
                return ErrorPage.response(error)
            }
            let pending = ask(peers) { _ in "/v1/targets" }
            var targets = dashboard.runtime.pool.summaries()
            let asked = collect(peers, pending)
            var missing = asked.missing
            for (other, answer) in asked.answers.sorted(by: { $0.key < $1.key }) {
                guard let summaries = TargetSummary.list(json: answer.body) else {
                    missing.append(MissingReplica(replica: other, url: peers.urls[other], reason: "answered a malformed target list"))
                    continue
                }
                targets.append(contentsOf: summaries)
            }
            targets.sort { $0.name < $1.name }
            var seen = Set<String>()
            targets.removeAll { !seen.insert($0.name).inserted }
            let banner = missing.isEmpty ? nil : MissingReplica.sentence(missing.sorted { $0.replica < $1.replica })
            return dashboard.overview(query, targets: targets, replica: "all \(replica.count) replicas", banner: banner)
        }
    }
}

extension TargetSummary {
    /// The summaries of a `{"targets": [TargetStatus]}` body, or nil when it is not one.
    static func list(json body: [UInt8]) -> [TargetSummary]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let items = object["targets"] as? [[String: Any]]
        else { return nil }
        var result: [TargetSummary] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let summary = TargetSummary(status: item) else { return nil }
            result.append(summary)
        }
        return result
    }

    /// One `TargetStatus` object of the API.
    init?(status item: [String: Any]) {
        guard let name = item["name"] as? String, let uri = item["target"] as? String,
            let stateText = item["state"] as? String, let state = ConnectivityState(rawValue: stateText)
        else { return nil }
        let sinceMicros = (item["state_since"] as? String).flatMap(HistoryTime.parse) ?? 0
        self.init(
            name: name, uri: uri, labels: item["labels"] as? [String: String] ?? [:], state: state,
            since: Date(timeIntervalSince1970: Double(sinceMicros) / 1e6), lbPolicy: item["lb_policy"] as? String ?? "",
            subchannelStates: (item["subchannels"] as? [[String: Any]] ?? []).compactMap {
                ($0["state"] as? String).flatMap(ConnectivityState.init(rawValue:))
            })
    }
}
