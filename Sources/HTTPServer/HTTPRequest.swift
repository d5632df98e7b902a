/// One request as a handler sees it: method, parsed target, headers, the whole body, and the values of the
/// route's `{name}` segments.
///
/// Built on the MHD thread that serves the connection once the whole request has arrived; handlers get it
/// by value.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var target: RequestTarget
    public var headers: HTTPHeaders
    /// The request body (at most `HTTPServerConfiguration.maxBodyBytes`).
    public var body: [UInt8]
    /// Values of the matched route's `{name}` segments, decoded.
    public var pathParameters: [String: String]
    /// The route pattern that matched (for example `/v1/targets/{name}`), for logs and metrics labels.
    public var routePattern: String

    public init(
        method: HTTPMethod, target: RequestTarget, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        pathParameters: [String: String] = [:], routePattern: String = ""
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.pathParameters = pathParameters
        self.routePattern = routePattern
    }

    /// The decoded path segments.
    public var path: [String] { target.segments }
    /// The decoded query items, duplicates and unknown names included.
    public var query: [QueryItem] { target.query }

    /// The value of the route parameter `name` (present whenever the route declared it).
    public func parameter(_ name: String) -> String? { pathParameters[name] }

    /// Every decoded value of query parameter `name`, in order (nil values for `?flag` without `=` are "").
    public func queryValues(_ name: String) -> [String] {
        target.query.filter { $0.name == name }.map { $0.value ?? "" }
    }
}
