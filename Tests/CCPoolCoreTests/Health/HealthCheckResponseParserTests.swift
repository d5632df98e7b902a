import CCPoolCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import Testing

/// The response side of a gRPC call, without I/O: headers, messages, trailers, and every way a
/// status is synthesised when the server gives none.
@Suite("HealthCheck response parser")
struct HealthCheckResponseParserTests {
    private let allocator = ByteBufferAllocator()
    private let okHeaders: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]

    private func finished(_ outputs: [GRPCResponseParser.Output]) -> GRPCStatus? {
        guard case .finished(let status, _) = outputs.last else { return nil }
        return status
    }

    @Test("headers, two messages, trailers with a percent-encoded message")
    func normalStream() {
        var parser = GRPCResponseParser()
        #expect(parser.receiveHeaders(okHeaders, endStream: false).isEmpty)
        var data = GRPCMessageFramer.frame([0x08, 0x01], allocator: allocator)
        GRPCMessageFramer.frame([0x08, 0x02], into: &data)
        let outputs = parser.receiveData(data, endStream: false)
        #expect(outputs.count == 2)
        let end = parser.receiveHeaders(["grpc-status": "14", "grpc-message": "going away: 100%25 d%C3%A9j%C3%A0 vu"], endStream: true)
        #expect(end == [.finished(GRPCStatus(code: .unavailable, message: "going away: 100% déjà vu"), endedByServer: true)])
        #expect(parser.isFinished)
        // Anything after the end is ignored.
        #expect(parser.receiveData(data, endStream: false).isEmpty)
        #expect(parser.streamClosed(resetCode: .cancel).isEmpty)
    }

    @Test("trailers-only UNIMPLEMENTED and NOT_FOUND")
    func trailersOnly() {
        var parser = GRPCResponseParser()
        var headers = okHeaders
        headers.add(name: "grpc-status", value: "12")
        #expect(finished(parser.receiveHeaders(headers, endStream: true))?.code == .unimplemented)

        var notFound = GRPCResponseParser()
        #expect(finished(notFound.receiveHeaders([":status": "200", "content-type": "application/grpc+proto", "grpc-status": "5"], endStream: true))?.code == .notFound)
    }

    @Test(
        "a non-200 HTTP status is mapped per http-grpc-status-mapping",
        arguments: [
            (400, GRPCStatus.Code.internal), (401, .unauthenticated), (403, .permissionDenied), (404, .unimplemented),
            (429, .unavailable), (502, .unavailable), (503, .unavailable), (504, .unavailable), (500, .unknown), (418, .unknown),
        ] as [(Int, GRPCStatus.Code)]
    )
    func httpStatusMapping(httpStatus: Int, code: GRPCStatus.Code) {
        for endStream in [false, true] {
            var parser = GRPCResponseParser()
            let outputs = parser.receiveHeaders([":status": "\(httpStatus)", "grpc-status": "0"], endStream: endStream)
            #expect(finished(outputs)?.code == code)
            #expect(finished(outputs)?.message == "unexpected HTTP status code received from server: \(httpStatus)")
            #expect(outputs == [.finished(finished(outputs)!, endedByServer: endStream)])
        }
    }

    @Test("1xx headers are skipped; a wrong content-type is UNKNOWN; no :status is INTERNAL")
    func headerRules() {
        var parser = GRPCResponseParser()
        #expect(parser.receiveHeaders([":status": "100"], endStream: false).isEmpty)
        #expect(parser.receiveHeaders(okHeaders, endStream: false).isEmpty)

        var wrongType = GRPCResponseParser()
        #expect(finished(wrongType.receiveHeaders([":status": "200", "content-type": "text/html"], endStream: false))?.code == .unknown)
        var grpcWeb = GRPCResponseParser()
        #expect(finished(grpcWeb.receiveHeaders([":status": "200", "content-type": "application/grpcx"], endStream: false))?.code == .unknown)
        var noStatus = GRPCResponseParser()
        #expect(finished(noStatus.receiveHeaders(["content-type": "application/grpc"], endStream: false))?.code == .internal)
    }

    @Test("grpc-status: missing or malformed is UNKNOWN; out of range is UNKNOWN")
    func grpcStatusRules() {
        for (trailers, code) in [
            (HPACKHeaders(), GRPCStatus.Code.unknown), (["grpc-status": "abc"], .unknown), (["grpc-status": "99"], .unknown),
            (["grpc-status": " 0 "], .ok), (["grpc-status": "4"], .deadlineExceeded),
        ] as [(HPACKHeaders, GRPCStatus.Code)] {
            var parser = GRPCResponseParser()
            _ = parser.receiveHeaders(okHeaders, endStream: false)
            #expect(finished(parser.receiveHeaders(trailers, endStream: true))?.code == code, "\(trailers)")
        }
    }

    @Test("protocol violations end the call with INTERNAL and ask the client to reset")
    func violations() {
        var dataFirst = GRPCResponseParser()
        #expect(dataFirst.receiveData(GRPCMessageFramer.frame([1], allocator: allocator), endStream: false)
            == [.finished(GRPCStatus(code: .internal, message: "received DATA before the response headers"), endedByServer: false)])

        var noTrailers = GRPCResponseParser()
        _ = noTrailers.receiveHeaders(okHeaders, endStream: false)
        let outputs = noTrailers.receiveData(GRPCMessageFramer.frame([0x08, 0x01], allocator: allocator), endStream: true)
        #expect(outputs.count == 2)
        #expect(finished(outputs)?.code == .internal)

        var secondHeaders = GRPCResponseParser()
        _ = secondHeaders.receiveHeaders(okHeaders, endStream: false)
        #expect(finished(secondHeaders.receiveHeaders(okHeaders, endStream: false))?.code == .internal)

        var partial = GRPCResponseParser()
        _ = partial.receiveHeaders(okHeaders, endStream: false)
        #expect(partial.receiveData(allocator.buffer(bytes: [0, 0, 0, 0, 5, 1]), endStream: false).isEmpty)
        #expect(finished(partial.receiveHeaders(["grpc-status": "0"], endStream: true))?.code == .internal)
    }

    @Test("an oversized message is RESOURCE_EXHAUSTED, after the messages before it")
    func oversized() {
        var parser = GRPCResponseParser(maximumMessageSize: 4)
        _ = parser.receiveHeaders(okHeaders, endStream: false)
        var data = GRPCMessageFramer.frame([0x08, 0x01], allocator: allocator)
        GRPCMessageFramer.frame([1, 2, 3, 4, 5], into: &data)
        let outputs = parser.receiveData(data, endStream: false)
        #expect(outputs.count == 2)
        #expect(finished(outputs)?.code == .resourceExhausted)
        #expect(outputs.last == .finished(finished(outputs)!, endedByServer: false))
    }

    @Test(
        "a reset stream maps like grpc-go; a closed connection is UNAVAILABLE",
        arguments: [
            (HTTP2ErrorCode.refusedStream, GRPCStatus.Code.unavailable), (.cancel, .cancelled), (.enhanceYourCalm, .resourceExhausted),
            (.inadequateSecurity, .permissionDenied), (.internalError, .internal), (.noError, .internal), (.protocolError, .internal),
        ] as [(HTTP2ErrorCode, GRPCStatus.Code)]
    )
    func resets(errorCode: HTTP2ErrorCode, code: GRPCStatus.Code) {
        var parser = GRPCResponseParser()
        _ = parser.receiveHeaders(okHeaders, endStream: false)
        #expect(finished(parser.streamClosed(resetCode: errorCode))?.code == code)

        var closed = GRPCResponseParser()
        #expect(finished(closed.streamClosed(resetCode: nil))?.code == .unavailable)
    }

    @Test("grpc-message percent coding round-trips and tolerates malformed escapes")
    func percentCoding() {
        for text in ["", "plain", "100%", "déjà vu\n", "😀 %41"] {
            #expect(GRPCMessagePercentCoding.decode(GRPCMessagePercentCoding.encode(text)) == text)
        }
        #expect(GRPCMessagePercentCoding.encode("a%b\u{7F}é") == "a%25b%7F%C3%A9")
        #expect(GRPCMessagePercentCoding.decode("%zz%4") == "%zz%4")
        #expect(GRPCMessagePercentCoding.decode("%41%62") == "Ab")
    }

    @Test("grpc-timeout uses the finest unit that fits in 8 digits, rounded up")
    func timeoutEncoding() {
        #expect(GRPCTimeout.encode(.milliseconds(20)) == "20000000n")
        #expect(GRPCTimeout.encode(.milliseconds(100)) == "100000u")
        #expect(GRPCTimeout.encode(.seconds(20)) == "20000000u")
        #expect(GRPCTimeout.encode(.nanoseconds(100_000_001)) == "100001u")
        #expect(GRPCTimeout.encode(.hours(30)) == "108000S")
        #expect(GRPCTimeout.encode(.nanoseconds(-5)) == "0n")
        #expect(GRPCTimeout.encode(.nanoseconds(.max)) == "2562048H")
        #expect(GRPCTimeout.decode("20000m") == .seconds(20))
        #expect(GRPCTimeout.decode("5x") == nil)
        #expect(GRPCTimeout.decode("123456789S") == nil)
    }
}
