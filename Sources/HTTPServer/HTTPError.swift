/// An error that a handler (or the router) answers with, in the shape of docs/api.md:
/// `{"error": {"code": "<snake_case>", "message": "<human sentence>"}}` and the matching status.
///
/// Handlers throw it; the server turns it into a response. `code` is a stable snake_case word that scripts
/// match on; `message` is for people and may change.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    /// Extra response headers (for example `Allow` on a 405).
    public var headers: HTTPHeaders

    public init(status: Int, code: String, message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }

    public static func == (lhs: HTTPError, rhs: HTTPError) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message
    }

    /// The JSON response for this error.
    public var response: HTTPResponse {
        var body = #"{"error":{"code":"#
        JSONString.append(code, to: &body)
        body += #","message":"#
        JSONString.append(message, to: &body)
        body += "}}"
        var response = HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
        response.headers.replace("Content-Type", "application/json")
        return response
    }

    // Common errors of the API.
    public static func badRequest(_ code: String = "bad_request", _ message: String) -> HTTPError {
        HTTPError(status: 400, code: code, message: message)
    }
    public static func notFound(_ message: String = "No such resource.") -> HTTPError {
        HTTPError(status: 404, code: "not_found", message: message)
    }
    public static func methodNotAllowed(_ allowed: [HTTPMethod]) -> HTTPError {
        HTTPError(
            status: 405, code: "method_not_allowed",
            message: "This resource allows only \(allowed.map(\.rawValue).joined(separator: ", ")).",
            headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")])
    }
    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(status: 413, code: "body_too_large", message: "The request body is larger than \(limit) bytes.")
    }
    public static func internalError(_ message: String = "The server failed to answer.") -> HTTPError {
        HTTPError(status: 500, code: "internal", message: message)
    }
}

/// JSON string literal encoding (RFC 8259 §7), without Foundation.
public enum JSONString {
    /// Appends `value` as a quoted JSON string.
    public static func append(_ value: String, to out: inout String) {
        // Most strings (names, states, addresses) need no escape: copied whole. 0xE2 starts U+2028/U+2029.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 != 0x7F && $0 != 0xE2 }) {
            out.append("\"")
            out.append(value)
            out.append("\"")
            return
        }
        out.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    /// `value` as a quoted JSON string.
    public static func quoted(_ value: String) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }
}
