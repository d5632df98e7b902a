import ChannelPool
import HTTPServer
import NIOCore

/// Makes any replica of a sharded pool answer for the whole pool.
///
/// With `peers` configured and more than one replica, a one-target request goes to the replica that owns
/// the target by rendezvous hashing (this one answers itself, the others forward and relay the owner's
/// answer), and a list is asked of every replica at once and merged. Without peers, or with one replica,
/// every route answers exactly as the replica alone does. `?replicas=local` (``RequestScope``) asks for
/// that answer on purpose.
///
/// Requests between replicas carry ``PeerClient/forwardedHeader``: the receiver answers them from its
/// own state and never forwards them again, so two replicas that disagree about the owner (configured
/// with different shard counts) answer an error instead of passing a request back and forth.
struct PoolRoutes: Sendable {
    let replica: ReplicaIdentity
    /// nil when this replica answers alone.
    let peers: PeerClient?

    init(replica: ReplicaIdentity, peers: PeerClient?) {
        self.replica = replica
        self.peers = peers
    }

    init(runtime: ServiceRuntime) {
        replica = runtime.replica
        if replica.count > 1, let list = runtime.settings.peers, let urls = try? list.urls(count: replica.count) {
            peers = PeerClient(
                urls: urls, selfIndex: replica.index, timeout: runtime.settings.peerTimeout.timeAmount,
                metrics: runtime.peerMetrics)
        } else {
            peers = nil
        }
    }

    /// Whether `request` came from another replica.
    static func isForwarded(_ request: HTTPRequest) -> Bool {
        request.headers[PeerClient.forwardedHeader] != nil
    }

    /// The peers to ask and the scope, or nil when `request` is this replica's alone to answer (then
    /// stripped of the scope parameter).
    func fanOutPeers(_ request: inout HTTPRequest) throws(HTTPError) -> PeerClient? {
        let scope = try RequestScope.take(from: &request)
        guard let peers, scope == .pool, !Self.isForwarded(request) else { return nil }
        return peers
    }

    /// Sends one request to every other replica at once and waits for all of them (each at most the
    /// peer timeout). An answer other than 200 counts as missing, with the status and its message.
    func fanOut(_ peers: PeerClient, target: (Int) -> String) -> (answers: [Int: PeerAnswer], missing: [MissingReplica]) {
        collect(peers, ask(peers, target: target))
    }

    /// Sends `GET target(i)` to every other replica `i`, without waiting.
    func ask(_ peers: PeerClient, target: (Int) -> String) -> [(Int, PendingPeerAnswer)] {
        var pending: [(Int, PendingPeerAnswer)] = []
        for other in 0..<replica.count where other != replica.index {
            pending.append((other, peers.send(to: other, method: .get, target: target(other), headers: [("Accept", "application/json")])))
        }
        return pending
    }

    /// Waits for what ``ask(_:target:)`` sent.
    func collect(_ peers: PeerClient, _ pending: [(Int, PendingPeerAnswer)]) -> (answers: [Int: PeerAnswer], missing: [MissingReplica]) {
        var answers: [Int: PeerAnswer] = [:]
        var missing: [MissingReplica] = []
        for (other, request) in pending {
            switch request.wait() {
            case .success(let answer) where answer.status == 200:
                answers[other] = answer
            case .success(let answer):
                let detail = answer.errorMessage.map { ": \($0)" } ?? ""
                missing.append(MissingReplica(replica: other, url: peers.urls[other], reason: "answered \(answer.status)\(detail)"))
            case .failure(let failure):
                missing.append(MissingReplica(failure))
            }
        }
        return (answers, missing)
    }

    // MARK: One target

    /// A one-target route (`{name}` in its pattern): the owner answers with `local`; another replica
    /// forwards the request (method, path, query, body, `Authorization`, `Content-Type`, `Accept`) and relays
    /// the answer, or answers 503 naming the owner when it does not answer in time.
    ///
    /// - Parameters:
    ///   - extraTime: added to the peer timeout for a request that may take long on purpose (a waiting pick).
    ///   - waiting: the limit on requests that may hold an HTTP thread for long (picks); a forwarded one
    ///     counts against it too, since it holds this replica's thread while the owner waits.
    ///   - errorResponse: how this route shows its own errors (the dashboard answers HTML pages).
    func owned(
        extraTime: @escaping @Sendable (HTTPRequest) -> TimeAmount = { _ in .zero },
        waiting: InFlightLimit? = nil,
        errorResponse: (@Sendable (HTTPError) -> HTTPResponse)? = nil,
        _ local: @escaping HTTPHandler
    ) -> HTTPHandler {
        let replica = self.replica
        let peers = self.peers
        return { (original: HTTPRequest) throws(HTTPError) -> HTTPResponse in
            do throws(HTTPError) {
                var request = original
                let scope = try RequestScope.take(from: &request)
                let name = request.parameter("name") ?? ""
                guard let peers, Rendezvous.isCandidateName(name) else { return try local(request) }
                let owner = replica.owner(of: name)
                if Self.isForwarded(request) {
                    guard owner == replica.index else {
                        let sender = request.headers[PeerClient.forwardedHeader] ?? "?"
                        throw HTTPError(
                            status: 421, code: "misdirected_request",
                            message: "Replica \(sender) forwarded target \(name) to this replica (\(replica.index) of \(replica.count)), "
                                + "which finds that replica \(owner) owns it: the replicas disagree on shard_count or peers. "
                                + "Requests between replicas are never forwarded again.")
                    }
                    return try local(request)
                }
                if scope == .local || owner == replica.index { return try local(request) }
                var headers: [(String, String)] = []
                for field in ["Authorization", "Content-Type", "Accept"] {
                    if let value = original.headers[field] { headers.append((field, value)) }
                }
                if let waiting {
                    guard waiting.enter() else {
                        throw HTTPError(
                            status: 503, code: "overloaded",
                            message: "Too many requests are waiting already (at most \(waiting.limit)); try again.")
                    }
                }
                defer { waiting?.leave() }
                let target = original.target.rawPath + (original.target.rawQuery.map { "?" + $0 } ?? "")
                let pending = peers.send(
                    to: owner, method: original.method, target: target, headers: headers, body: original.body,
                    timeout: peers.timeout + extraTime(request))
                switch pending.wait() {
                case .success(let answer):
                    return answer.relayed
                case .failure(let failure):
                    throw HTTPError(
                        status: 503, code: "replica_unavailable",
                        message: "Target \(name) is owned by replica \(owner) (\(failure.url)), which did not answer: \(failure.reason).")
                }
            } catch {
                if let errorResponse { return errorResponse(error) }
                throw error
            }
        }
    }
}

extension Rendezvous {
    /// Whether `name` can be a target name at all; anything else is left to the route's own checks.
    static func isCandidateName(_ name: String) -> Bool {
        (try? TargetName(name)) != nil
    }
}
