/// A request handler.
///
/// **Threading rule:** handlers run synchronously on libmicrohttpd's own threads, several at once. They must
/// never wait on Swift concurrency (no semaphores around `Task`s, no blocking on an actor): the cooperative
/// pool may be the very thing that is busy, and MHD threads are few. Read immutable snapshots, take short
/// locks, or do blocking reads on read-only SQLite connections. Never call `HTTPServer.stop()` from a handler
/// (it joins the thread the handler runs on).
public typealias HTTPHandler = @Sendable (HTTPRequest) throws(HTTPError) -> HTTPResponse

/// A route pattern: `/v1/targets/{name}/pick`. Literal segments match exactly (after decoding the request's
/// segment); `{name}` matches any one non-empty segment and hands its decoded value to the handler.
public struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]
    public let description: String

    /// Parses a pattern. Patterns are written by programmers, so a malformed one stops the program.
    public init(_ pattern: String) {
        precondition(pattern.hasPrefix("/"), "route pattern must start with '/': \(pattern)")
        description = pattern
        segments = pattern == "/"
            ? []
            : pattern.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { part in
                precondition(!part.isEmpty, "route pattern has an empty segment: \(pattern)")
                if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                    return .parameter(String(part.dropFirst().dropLast()))
                }
                precondition(!part.contains("{") && !part.contains("}"), "bad route segment \(part) in \(pattern)")
                return .literal(String(part))
            }
    }

    /// The parameters when `path` matches, or nil.
    func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(segments, path) {
            switch segment {
            case .literal(let literal): if literal != value { return nil }
            case .parameter(let name):
                if value.isEmpty { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }
}

/// Routes requests by method and path pattern.
///
/// Built once before the server starts and immutable afterwards (a value type), so MHD threads read it
/// without locks. Rules it applies to every request:
/// - `HEAD` is answered by the `GET` route of the same path unless a `HEAD` route exists (MHD then sends the
///   headers without the body);
/// - a path that some route matches with another method → 405 with `Allow` listing the methods, sorted;
/// - no route → 404 `not_found`;
/// - a handler's `HTTPError` becomes the JSON error shape of docs/api.md.
public struct Router: Sendable {
    struct Route: Sendable {
        var method: HTTPMethod
        var pattern: RoutePattern
        var admission: RouteAdmission
        /// Runs on the server's offload workers instead of an MHD thread (see `OffloadWorkers`).
        var offload: Bool
        var handler: HTTPHandler
    }

    /// The result of looking a request up.
    public enum Match: Sendable {
        case found(handler: HTTPHandler, parameters: [String: String], pattern: RoutePattern, route: RouteOptions)
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    private var routes: [Route] = []

    public init() {}

    /// Every route's method and pattern, in the order they were added (for checks of the API description).
    public var routeTable: [(method: HTTPMethod, pattern: String)] {
        routes.map { (method: $0.method, pattern: $0.pattern.description) }
    }

    /// Adds a route. Later routes do not override earlier ones: the first added match wins. Without an
    /// `admission`, PUT and POST routes take any body up to the server's limit and other methods take none.
    /// `offload: true` marks an expensive route (a handler that may run for a while): the server runs it on its
    /// offload workers, or answers 503 `overloaded` at once when they are all busy.
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, admission: RouteAdmission? = nil, offload: Bool = false,
        _ handler: @escaping HTTPHandler
    ) {
        let admission = admission ?? (method == .put || method == .post ? RouteAdmission(maxBodyBytes: .max) : .noBody)
        routes.append(Route(
            method: method, pattern: RoutePattern(pattern), admission: admission, offload: offload, handler: handler))
    }

    public mutating func get(_ pattern: String, offload: Bool = false, _ handler: @escaping HTTPHandler) {
        add(.get, pattern, offload: offload, handler)
    }
    public mutating func put(_ pattern: String, admission: RouteAdmission? = nil, _ handler: @escaping HTTPHandler) {
        add(.put, pattern, admission: admission, handler)
    }
    public mutating func post(_ pattern: String, admission: RouteAdmission? = nil, _ handler: @escaping HTTPHandler) {
        add(.post, pattern, admission: admission, handler)
    }
    public mutating func delete(_ pattern: String, admission: RouteAdmission? = nil, _ handler: @escaping HTTPHandler) {
        add(.delete, pattern, admission: admission, handler)
    }

    /// Finds the route for `method` and the decoded `path`.
    public func match(_ method: HTTPMethod, path: [String]) -> Match {
        var allowed: Set<HTTPMethod> = []
        var getFallback: Match?
        for route in routes {
            guard let parameters = route.pattern.match(path) else { continue }
            if route.method == method {
                return .found(handler: route.handler, parameters: parameters, pattern: route.pattern, route: route.options)
            }
            if method == .head && route.method == .get && getFallback == nil {
                getFallback = .found(handler: route.handler, parameters: parameters, pattern: route.pattern, route: route.options)
            }
            allowed.insert(route.method)
            if route.method == .get { allowed.insert(.head) }
        }
        if let getFallback { return getFallback }
        if allowed.isEmpty { return .notFound }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    /// Answers a complete request: routes it, calls the handler, and maps errors to the JSON error shape.
    public func respond(
        method: HTTPMethod, target rawTarget: String, headers: HTTPHeaders, body: [UInt8]
    ) -> (response: HTTPResponse, pattern: String) {
        let target: RequestTarget
        do {
            target = try RequestTarget(parsing: rawTarget)
        } catch {
            return (error.response, "")
        }
        switch match(method, path: target.segments) {
        case .notFound:
            return (HTTPError.notFound("No route for \(method) \(target.rawPath).").response, "")
        case .methodNotAllowed(let allowed):
            return (HTTPError.methodNotAllowed(allowed).response, "")
        case .found(let handler, let parameters, let pattern, _):
            let request = HTTPRequest(
                method: method, target: target, headers: headers, body: body, pathParameters: parameters,
                routePattern: pattern.description)
            do {
                return (try handler(request), pattern.description)
            } catch {
                return (error.response, pattern.description)
            }
        }
    }

    /// What to do with a request whose headers are in, before its body is read.
    public enum Admission {
        /// Read a body of at most `maxBodyBytes`, then answer with ``respond(method:target:headers:body:)``
        /// (on an offload worker when `offload`).
        case proceed(maxBodyBytes: Int, offload: Bool)
        /// Answer this now and close the connection, without reading the body.
        case refuse(HTTPResponse, pattern: String)
    }

    /// Decides on the headers alone: the matched route's ``RouteAdmission`` (credentials, body size, media
    /// type); a request that no route takes is answered now when it carries a body (its 400/404/405 does not
    /// depend on the body). `headers` and `client` are evaluated only when a check needs them.
    public func admit(
        method: HTTPMethod, target rawTarget: String, headers: () -> HTTPHeaders, client: () -> String,
        declaredLength: Int?, chunked: Bool
    ) -> Admission {
        let hasBody = chunked || (declaredLength ?? 0) > 0
        guard let target = try? RequestTarget(parsing: rawTarget),
            case .found(_, _, let pattern, let route) = match(method, path: target.segments)
        else {
            if !hasBody { return .proceed(maxBodyBytes: 0, offload: false) }
            let (response, pattern) = respond(method: method, target: rawTarget, headers: headers(), body: [])
            return .refuse(response, pattern: pattern)
        }
        let admission = route.admission
        let needsHeaders = admission.authorize != nil || admission.requiresJSON
        if let refusal = admission.refusal(
            headers: needsHeaders ? headers() : HTTPHeaders(), client: admission.authorize != nil ? client() : "",
            declaredLength: declaredLength, chunked: chunked)
        {
            return .refuse(refusal.response, pattern: pattern.description)
        }
        return .proceed(maxBodyBytes: admission.maxBodyBytes, offload: route.offload)
    }
}

/// What the router knows of a route besides its handler: what it admits and where it runs.
public struct RouteOptions: Sendable {
    public var admission: RouteAdmission
    public var offload: Bool
}

extension Router.Route {
    var options: RouteOptions { RouteOptions(admission: admission, offload: offload) }
}
