import History
import HTTPServer
import Logging

/// How request handlers reach the history store: each with a reader of its own from the pool, or a refusal at
/// once when all are busy; and what the client is told when the store fails (a generic sentence: the details,
/// which may hold SQL text or file paths, go to the log only).
extension ServiceRuntime {
    /// Runs `body` with a free history reader; 503 `overloaded` when every reader is busy, 503
    /// `query_timeout` when a statement ran past `history.query_timeout`, 503 `storage_unavailable` otherwise.
    func withHistoryReader<T>(_ body: (HistoryReader) throws(SQLiteError) -> T) throws(HTTPError) -> T {
        let result: T?
        do {
            result = try readers.withReader(body)
        } catch {
            throw historyError(error)
        }
        guard let result else { throw HTTPError.overloaded(readers.count) }
        return result
    }

    /// The answer for a failed history read; logs the details.
    func historyError(_ error: SQLiteError) -> HTTPError {
        if error.isInterrupted {
            return HTTPError(
                status: 503, code: "query_timeout",
                message: "The history query ran longer than \(settings.limits.historyQueryTimeout); narrow it (a target, a later since, a smaller limit).")
        }
        logger.error("history read failed", metadata: ["error": "\(error)"])
        return HTTPError(status: 503, code: "storage_unavailable", message: "The history store failed to answer; the service log has the details.")
    }
}

extension HTTPError {
    /// Refusal of expensive work beyond its concurrency cap: answered at once, so the HTTP threads stay free
    /// for probes and scrapes.
    static func overloaded(_ limit: Int) -> HTTPError {
        HTTPError(
            status: 503, code: "overloaded",
            message: "Too many requests of this kind are running already (at most \(limit)); try again shortly.",
            headers: ["Retry-After": "1"])
    }
}
