/// An HTTP request method.
///
/// A small value type instead of a closed enum so that methods the router does not know (`PROPFIND`, `BREW`)
/// still reach it and get a proper 405 instead of being folded into a catch-all.
public struct HTTPMethod: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The method token as sent on the wire (case-sensitive, RFC 9110 §9.1).
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let get = HTTPMethod("GET")
    public static let head = HTTPMethod("HEAD")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let delete = HTTPMethod("DELETE")
    public static let patch = HTTPMethod("PATCH")
    public static let options = HTTPMethod("OPTIONS")

    public var description: String { rawValue }

    public static func < (lhs: HTTPMethod, rhs: HTTPMethod) -> Bool { lhs.rawValue < rhs.rawValue }
}
