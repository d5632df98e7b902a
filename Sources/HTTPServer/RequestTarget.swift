/// The request target (`/path?query`) split and percent-decoded, from the raw bytes the client sent.
///
/// The server parses the raw target itself (libmicrohttpd hands it over untouched through its URI log
/// callback) so that `%2F` inside a segment stays inside the segment, `%00` cannot truncate anything, and
/// invalid input is refused with a 400 instead of being guessed at:
/// - every path segment is percent-decoded on its own and must be valid UTF-8 without NUL or `/`;
/// - `.` and `..` segments (raw or decoded) are refused: no path names a parent;
/// - the query keeps every `key=value` pair in order, raw and decoded (`+` is a space there), so handlers see
///   duplicate and unknown parameters and can refuse them.
public struct RequestTarget: Sendable, Equatable {
    /// The target exactly as received.
    public var raw: String
    /// The path part before `?`, still percent-encoded.
    public var rawPath: String
    /// The decoded segments of the path: `/v1/targets/a%20b` → `["v1", "targets", "a b"]`; `/` → `[]`.
    public var segments: [String]
    /// The query, or nil when the target has no `?`.
    public var rawQuery: String?
    /// The decoded query items, in order, duplicates kept.
    public var query: [QueryItem]

    /// Parses a raw request target; throws a 400 `HTTPError` on anything malformed.
    public init(parsing raw: String) throws(HTTPError) {
        self.raw = raw
        // RFC 9112 §3.2: the request target is visible ASCII; anything else is refused, never guessed at.
        guard raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPError.badRequest("invalid_path", "The request target has bytes outside visible ASCII.")
        }
        var target = Substring(raw)
        // absolute-form (RFC 9112 §3.2.2): drop scheme and authority.
        if target.hasPrefix("http://") || target.hasPrefix("https://") {
            let afterScheme = target[target.index(target.firstIndex(of: ":")!, offsetBy: 3)...]
            target = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterScheme[$0...] } ?? "/"
            if target.hasPrefix("?") { target = "/" + target }
        }
        guard target.hasPrefix("/") else {
            throw HTTPError.badRequest("invalid_path", "The request target must start with '/'.")
        }
        if let fragment = target.firstIndex(of: "#") { target = target[..<fragment] }
        let pathPart: Substring
        if let q = target.firstIndex(of: "?") {
            pathPart = target[..<q]
            rawQuery = String(target[target.index(after: q)...])
        } else {
            pathPart = target
            rawQuery = nil
        }
        rawPath = String(pathPart)

        var segments: [String] = []
        if pathPart != "/" {
            for rawSegment in pathPart.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                guard let decoded = PercentDecoding.decode(rawSegment, plusIsSpace: false) else {
                    throw HTTPError.badRequest(
                        "invalid_path", "The path has a malformed percent escape or is not valid UTF-8.")
                }
                if decoded == "." || decoded == ".." {
                    throw HTTPError.badRequest("invalid_path", "The path must not contain '.' or '..' segments.")
                }
                if decoded.utf8.contains(0) || decoded.utf8.contains(UInt8(ascii: "/")) {
                    throw HTTPError.badRequest("invalid_path", "A path segment must not contain NUL or an encoded '/'.")
                }
                segments.append(decoded)
            }
        }
        self.segments = segments

        var items: [QueryItem] = []
        if let rawQuery, !rawQuery.isEmpty {
            for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
                let rawName: Substring
                let rawValue: Substring?
                if let eq = pair.firstIndex(of: "=") {
                    rawName = pair[..<eq]
                    rawValue = pair[pair.index(after: eq)...]
                } else {
                    rawName = pair
                    rawValue = nil
                }
                let invalid = HTTPError.badRequest(
                    "invalid_query", "The query has a malformed percent escape or is not valid UTF-8.")
                guard let name = PercentDecoding.decode(rawName, plusIsSpace: true) else { throw invalid }
                var value: String?
                if let rawValue {
                    guard let decoded = PercentDecoding.decode(rawValue, plusIsSpace: true) else { throw invalid }
                    value = decoded
                }
                items.append(QueryItem(rawName: String(rawName), rawValue: rawValue.map(String.init), name: name, value: value))
            }
        }
        query = items
    }
}

/// One `name=value` pair of a query string.
public struct QueryItem: Sendable, Equatable {
    /// As sent, still percent-encoded.
    public var rawName: String
    /// As sent, or nil when the pair had no `=`.
    public var rawValue: String?
    /// Decoded.
    public var name: String
    /// Decoded, or nil when the pair had no `=`.
    public var value: String?
}

/// Percent-decoding (RFC 3986 §2.1) that refuses malformed escapes and invalid UTF-8.
public enum PercentDecoding {
    /// Decodes `input`; nil when an escape is malformed or the result is not valid UTF-8.
    public static func decode<S: StringProtocol>(_ input: S, plusIsSpace: Bool) -> String? {
        let utf8 = input.utf8
        // Fast path: nothing to decode.
        if !utf8.contains(UInt8(ascii: "%")) && !(plusIsSpace && utf8.contains(UInt8(ascii: "+"))) {
            return String(input)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
