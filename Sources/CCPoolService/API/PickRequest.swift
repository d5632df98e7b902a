import Foundation
import HTTPServer
import NIOCore

/// The body of `POST /v1/targets/{name}/pick`: `{"wait_for_ready": false, "timeout_ms": 1000}`,
/// both optional; an empty body means the defaults.
///
/// Read with `JSONDecoder` (as every request body is: typed, so `true` is never a number and `1` never a
/// boolean); each field's problem is reported in the API's words.
struct PickRequest: Equatable {
    var waitForReady = false
    var timeoutMilliseconds = 1000

    /// How long a pick asked by `request` may wait (its `timeout_ms`; the longest allowed if the body is bad,
    /// which the owner then refuses at once).
    @Sendable static func longest(_ request: HTTPRequest) -> TimeAmount {
        let milliseconds = (try? parse(request.body))?.timeoutMilliseconds ?? APIRouter.maxPickTimeoutMilliseconds
        return .milliseconds(Int64(milliseconds))
    }

    static func parse(_ body: [UInt8]) throws(HTTPError) -> PickRequest {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return PickRequest() }
        do {
            return try JSONDecoder().decode(PickRequest.self, from: Data(body))
        } catch let error as HTTPError {
            throw error
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw .badRequest("invalid_json", "The body must be a JSON object.")
        } catch {
            throw .badRequest("invalid_json", "The body is not valid JSON.")
        }
    }
}

extension PickRequest: Decodable {
    /// Any member name, so unknown fields can be named in the error.
    private struct Field: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: Field.self)
        for field in object.allKeys {
            switch field.stringValue {
            case "wait_for_ready":
                guard let value = try? object.decode(Bool.self, forKey: field) else {
                    throw HTTPError.badRequest("invalid_body", "wait_for_ready must be true or false.")
                }
                waitForReady = value
            case "timeout_ms":
                let limit = APIRouter.maxPickTimeoutMilliseconds
                guard let value = try? object.decode(Double.self, forKey: field), value.rounded() == value,
                      value >= 1, value <= Double(limit)
                else { throw HTTPError.badRequest("invalid_body", "timeout_ms must be a whole number from 1 to \(limit).") }
                timeoutMilliseconds = Int(value)
            default:
                throw HTTPError.badRequest(
                    "invalid_body", "Unknown field \"\(field.stringValue)\"; the body takes wait_for_ready and timeout_ms.")
            }
        }
    }
}
