import CCPoolCore
import ChannelPool
import Foundation
import History
import HTTPServer
import MetricsExposition
import NIOCore
import Synchronization

/// Every route of docs/api.md, wired to the running service.
///
/// Handlers run on libmicrohttpd's threads: they read snapshots, do blocking reads on read-only
/// SQLite connections, and wait on event-loop futures at most — never on Swift concurrency.
public struct APIRouter: Sendable {
    let runtime: ServiceRuntime
    let metrics: MetricsEndpoint
    let auth: AdminAuth
    let picksInFlight: InFlightLimit

    /// - Parameter httpThreads: the HTTP server's threads; a pick may hold one while it waits, so
    ///   at most half of them may be waiting in picks at once (the rest keep probes and scrapes
    ///   answered).
    public init(runtime: ServiceRuntime, httpThreads: Int = 8) {
        self.runtime = runtime
        self.metrics = MetricsEndpoint(runtime: runtime)
        self.auth = runtime.adminAuth
        self.picksInFlight = InFlightLimit(max(1, httpThreads / 2))
    }

    /// The largest `TargetSpec` body a PUT reads.
    static let maxTargetSpecBytes = 1 << 20
    /// The largest pick body read (its two fields fit in a few dozen bytes).
    static let maxPickBodyBytes = 4096

    /// The longest a pick may wait (it holds an HTTP thread meanwhile).
    static let maxPickTimeoutMilliseconds = 60_000

    public var router: Router {
        var router = Router()
        router.get("/metrics") { request in metrics.respond(request) }
        router.get("/healthz") { _ in .json(#"{"status":"ok"}"#) }
        router.get("/readyz") { _ throws(HTTPError) in
            if let reason = runtime.notReadyReason {
                throw HTTPError(status: 503, code: "not_ready", message: reason)
            }
            return .json(#"{"status":"ready"}"#)
        }
        // Sharded with peers, any replica answers for the whole pool (PoolRoutes); otherwise as alone.
        let pool = PoolRoutes(runtime: runtime)
        router.get("/v1/targets", pool.targetList { _ in .json(TargetStatusJSON.list(runtime.pool.snapshot())) })
        router.get("/v1/targets/{name}", pool.owned { request throws(HTTPError) in
            let name = try targetName(request)
            return .json(TargetStatusJSON.one(try snapshot(of: name)))
        })
        let admin = RouteAdmission(authorize: auth.checkHeaders)
        var putAdmission = admin
        putAdmission.maxBodyBytes = Self.maxTargetSpecBytes
        putAdmission.requiresJSON = true
        router.put("/v1/targets/{name}", admission: putAdmission, pool.owned(auth.protect { request throws(HTTPError) in try put(request) }))
        router.delete("/v1/targets/{name}", admission: admin, pool.owned(auth.protect { request throws(HTTPError) in try delete(request) }))
        router.post(
            "/v1/targets/{name}/pick", admission: .json(maxBodyBytes: Self.maxPickBodyBytes),
            pool.owned(extraTime: PickRequest.longest, waiting: picksInFlight) { request throws(HTTPError) in try pick(request) })
        // History reads run on the server's offload workers (one per history reader), never on an MHD thread.
        router.get("/v1/targets/{name}/availability", offload: true, pool.owned { request throws(HTTPError) in try availability(request) })
        router.get("/v1/history", offload: true, pool.history(read: { query throws(HTTPError) in
            try runtime.withHistoryReader { reader throws(SQLiteError) in try reader.events(query) }
        }) { request throws(HTTPError) in try history(request) })
        router.get("/openapi.yaml") { _ in
            .text(EmbeddedFiles.openAPIYAML, contentType: "application/yaml; charset=utf-8")
        }
        let dashboard = DashboardRoutes(runtime: runtime)
        router.get("/", pool.overview(dashboard) { request in dashboard.overview(request) })
        router.get("/ui/targets/{name}", offload: true, pool.owned(errorResponse: DashboardRoutes.errorPage) { request in dashboard.target(request) })
        return router
    }

    /// Counts requests for `ccpool_http_*`.
    public var observer: HTTPResponseObserver {
        let metrics = runtime.httpMetrics
        return { route, status, seconds in
            metrics.record(handler: route.isEmpty ? "unmatched" : route, status: status, seconds: seconds)
        }
    }

    // MARK: Handlers

    private func targetName(_ request: HTTPRequest) throws(HTTPError) -> TargetName {
        let raw = request.parameter("name") ?? ""
        do {
            return try TargetName(raw)
        } catch {
            throw .badRequest("invalid_name", error.description)
        }
    }

    /// The target's snapshot, or 404 (naming the owner replica when another one owns it).
    private func snapshot(of name: TargetName) throws(HTTPError) -> TargetSnapshot {
        if let snapshot = runtime.pool.snapshot(of: name.description) { return snapshot }
        throw notFound(name)
    }

    private func notFound(_ name: TargetName) -> HTTPError {
        let owner = runtime.replica.owner(of: name.description)
        if owner != runtime.replica.index {
            return HTTPError(
                status: 404, code: "not_found",
                message: "Target \(name) is owned by replica \(owner) of \(runtime.replica.count), not by this one (\(runtime.replica.index)).")
        }
        return HTTPError(status: 404, code: "not_found", message: "No target named \(name).")
    }

    private func put(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let name = try targetName(request)
        let spec: TargetSpec
        do {
            spec = try TargetSpec.decode(json: request.body)
        } catch {
            throw .badRequest(error.code == .malformed ? "invalid_json" : "invalid_target_spec", error.message)
        }
        let result: Pool.UpsertResult
        do {
            result = try runtime.putTarget(name: name, spec: spec)
        } catch {
            throw map(error, name)
        }
        let body = runtime.pool.snapshot(of: name.description).map(TargetStatusJSON.one) ?? "{}"
        return .json(body, status: result == .created ? 201 : 200)
    }

    private func delete(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let name = try targetName(request)
        do {
            try runtime.deleteTarget(name: name)
        } catch {
            throw map(error, name)
        }
        return HTTPResponse(status: 204)
    }

    private func map(_ error: ServiceRuntime.AdminError, _ name: TargetName) -> HTTPError {
        switch error {
        case .definedByConfig:
            return HTTPError(
                status: 409, code: "conflict",
                message: "Target \(name) is defined in the config file; change it there and reload.")
        case .notOwned:
            return notFound(name)
        case .notFound:
            return notFound(name)
        case .invalidTLS(let message):
            return .badRequest("invalid_target_spec", "tls: \(message)")
        case .tooManyAddresses(let message):
            return .badRequest("invalid_target_spec", "target: \(message)")
        case .tooManyTargets(let limit):
            return HTTPError(
                status: 409, code: "too_many_targets",
                message: "This process runs \(limit) targets already, the most limits.max_targets allows; delete one first.")
        case .storage(let message):
            runtime.logger.error("target store failed", metadata: ["target": "\(name)", "error": "\(message)"])
            return HTTPError(status: 503, code: "storage_unavailable", message: "The target store failed; the service log has the details.")
        case .shuttingDown:
            return HTTPError(status: 503, code: "not_ready", message: "The service is shutting down.")
        }
    }

    private func pick(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let name = try targetName(request)
        let options = try PickRequest.parse(request.body)
        guard picksInFlight.enter() else { throw HTTPError.overloaded(picksInFlight.limit) }
        defer { picksInFlight.leave() }
        guard let future = runtime.pool.pick(
            name.description, waitForReady: options.waitForReady, timeout: .milliseconds(Int64(options.timeoutMilliseconds)))
        else { throw notFound(name) }
        do {
            let picked = try future.wait()
            var json = JSONWriter()
            json.object { json in
                json.key("subchannel")
                json.number(picked.id.rawValue)
                json.member("address", picked.address.description)
            }
            return .json(json.text)
        } catch {
            let message = (error as? PickError)?.description ?? "The pick failed."
            throw HTTPError(status: 503, code: "no_ready_subchannel", message: message)
        }
    }

    private func availability(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let name = try targetName(request)
        var window: Duration = .seconds(3600)
        for item in request.query {
            guard item.name == "window" else {
                throw .badRequest("invalid_parameter", "Unknown parameter \"\(item.name)\"; only window is accepted.")
            }
            guard let parsed = Availability.parseDuration(item.value ?? ""), parsed > .zero, parsed <= .seconds(366 * 86_400) else {
                throw .badRequest("invalid_parameter", "window must be a duration like 90s, 15m, 1h or 7d, at most 366d.")
            }
            window = parsed
        }
        if runtime.pool.snapshot(of: name.description) == nil {
            throw notFound(name)
        }
        do {
            let now = HistoryTime.micros(Date())
            let result = try runtime.withHistoryReader { reader throws(SQLiteError) in
                try reader.availability(target: name.description, window: window, now: now)
            }
            return .json(HistoryJSON.availability(result))
        }
    }

    private func history(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let query: HistoryQuery
        do {
            query = try HistoryQuery.parse(request.query.map { (key: $0.name, value: $0.value ?? "") })
        } catch {
            throw .badRequest("invalid_parameter", error.message)
        }
        let page = try runtime.withHistoryReader { reader throws(SQLiteError) in try reader.events(query) }
        return .json(HistoryJSON.page(page))
    }
}

/// Counts operations in flight and refuses those past a limit.
final class InFlightLimit: Sendable {
    let limit: Int
    private let count = Atomic<Int>(0)

    init(_ limit: Int) {
        self.limit = limit
    }

    /// True if the caller may proceed (and must call ``leave()``).
    func enter() -> Bool {
        if count.add(1, ordering: .acquiring).newValue <= limit { return true }
        count.subtract(1, ordering: .releasing)
        return false
    }

    func leave() {
        count.subtract(1, ordering: .releasing)
    }
}
