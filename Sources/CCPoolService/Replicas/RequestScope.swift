import HTTPServer

/// Which replicas a request asks about: the whole pool (the default) or only the replica that got it.
///
/// Query parameter `replicas`: `all` (default) or `local`. `local` keeps the answer of one replica alone:
/// its own targets and history, and 404 naming the owner for a target it does not own. (The name is not
/// `scope` because `/v1/history` already filters events by `scope`.)
enum RequestScope: Sendable, Equatable {
    case pool
    case local

    static let parameter = "replicas"

    /// Reads the parameter and removes it from `request`, so the route's own checks never see it.
    static func take(from request: inout HTTPRequest) throws(HTTPError) -> RequestScope {
        let values = request.queryValues(parameter)
        guard !values.isEmpty else { return .pool }
        request.target.query.removeAll { $0.name == parameter }
        guard values.count == 1 else {
            throw .badRequest("invalid_parameter", "The parameter \(parameter) is given more than once.")
        }
        switch values[0] {
        case "all": return .pool
        case "local": return .local
        default:
            throw .badRequest(
                "invalid_parameter",
                "\(parameter) must be all (answer for every replica, the default) or local (this replica alone).")
        }
    }
}
