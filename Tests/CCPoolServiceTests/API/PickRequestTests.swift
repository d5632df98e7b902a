import HTTPServer
import Testing

@testable import CCPoolService

/// The pick body is read with `JSONDecoder`; its refusals keep the API's codes and words.
@Suite("Pick request body")
struct PickRequestTests {
    func parse(_ text: String) throws(HTTPError) -> PickRequest { try PickRequest.parse(Array(text.utf8)) }

    @Test("an empty body, {} and both fields")
    func accepted() throws {
        #expect(try parse("") == PickRequest())
        #expect(try parse(" \n") == PickRequest())
        #expect(try parse("{}") == PickRequest())
        #expect(try parse(#"{"wait_for_ready": true, "timeout_ms": 250}"#) == PickRequest(waitForReady: true, timeoutMilliseconds: 250))
        #expect(try parse(#"{"timeout_ms": 60000.0}"#).timeoutMilliseconds == 60_000)
    }

    @Test("refusals", arguments: [
        ("{", "invalid_json", "The body is not valid JSON."),
        ("[]", "invalid_json", "The body must be a JSON object."),
        ("\"x\"", "invalid_json", "The body must be a JSON object."),
        (#"{"wait_for_ready": 1}"#, "invalid_body", "wait_for_ready must be true or false."),
        (#"{"wait_for_ready": null}"#, "invalid_body", "wait_for_ready must be true or false."),
        (#"{"timeout_ms": true}"#, "invalid_body", "timeout_ms must be a whole number from 1 to 60000."),
        (#"{"timeout_ms": 1.5}"#, "invalid_body", "timeout_ms must be a whole number from 1 to 60000."),
        (#"{"timeout_ms": 0}"#, "invalid_body", "timeout_ms must be a whole number from 1 to 60000."),
        (#"{"timeout_ms": 60001}"#, "invalid_body", "timeout_ms must be a whole number from 1 to 60000."),
        (#"{"timeout_ms": "5"}"#, "invalid_body", "timeout_ms must be a whole number from 1 to 60000."),
        (#"{"wait": true}"#, "invalid_body", "Unknown field \"wait\"; the body takes wait_for_ready and timeout_ms."),
    ])
    func refused(_ body: String, _ code: String, _ message: String) {
        #expect(throws: HTTPError.self) { try parse(body) }
        do {
            _ = try parse(body)
        } catch {
            #expect(error.status == 400)
            #expect(error.code == code)
            #expect(error.message == message)
        }
    }
}
