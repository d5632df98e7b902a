import NIOCore
import NIOHPACK
import NIOHTTP2
import Vocabulary

/// Interprets the server's side of one gRPC call on an HTTP/2 stream: response headers, framed
/// messages in DATA frames, and trailers (or a trailers-only response), ending in exactly one
/// ``GRPCStatus``.
///
/// ```
///  awaitingHeaders ──HEADERS (:status 200, grpc content-type)──▶ receivingMessages
///        │                                                          │  DATA → messages
///        │ HEADERS+END_STREAM (trailers-only)                       │ HEADERS+END_STREAM (trailers)
///        ▼                                                          ▼
///    finished ◀───────── bad headers, DATA before HEADERS, framing error, stream closed
/// ```
///
/// A value type with no I/O: the caller feeds it frames and acts on the outputs (delivers
/// messages; after ``Output/finished(_:)`` resets the stream unless the server ended it). Once
/// finished it ignores everything. Where the server sent no `grpc-status`, the status is
/// synthesised as grpc-go does (see ``GRPCStatusMapping``).
public struct GRPCResponseParser: Sendable {
    public enum Output: Hashable, Sendable {
        /// One complete message, unframed.
        case message(ByteBuffer)
        /// The call is over; always the last output. `endedByServer` is true when the server
        /// closed the stream itself (trailers), false when the client must reset it.
        case finished(GRPCStatus, endedByServer: Bool)
    }

    private enum State: Sendable {
        case awaitingHeaders
        case receivingMessages
        case finished
    }

    private var state: State = .awaitingHeaders
    private var deframer: GRPCMessageDeframer

    public init(maximumMessageSize: Int = GRPCMessageDeframer.defaultMaximumMessageSize) {
        self.deframer = GRPCMessageDeframer(maximumMessageSize: maximumMessageSize)
    }

    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// A HEADERS frame from the server.
    public mutating func receiveHeaders(_ headers: HPACKHeaders, endStream: Bool) -> [Output] {
        switch state {
        case .awaitingHeaders:
            if !endStream, let status = headers.first(name: ":status").flatMap(Int.init), (100..<200).contains(status) {
                return []  // Informational: the real response follows.
            }
            if let failure = Self.validateResponseHeaders(headers) {
                return finish(failure, endedByServer: endStream)
            }
            if endStream {
                return finish(Self.status(fromTrailers: headers), endedByServer: true)
            }
            state = .receivingMessages
            return []
        case .receivingMessages:
            guard endStream else {
                return finish(
                    GRPCStatus(code: .internal, message: "received a second HEADERS frame that does not end the stream"),
                    endedByServer: false)
            }
            do {
                try deframer.checkEndOfStream()
            } catch {
                return finish(error.status, endedByServer: true)
            }
            return finish(Self.status(fromTrailers: headers), endedByServer: true)
        case .finished:
            return []
        }
    }

    /// A DATA frame from the server.
    public mutating func receiveData(_ data: ByteBuffer, endStream: Bool) -> [Output] {
        switch state {
        case .awaitingHeaders:
            return finish(
                GRPCStatus(code: .internal, message: "received DATA before the response headers"),
                endedByServer: endStream)
        case .receivingMessages:
            deframer.append(data)
            var outputs: [Output] = []
            do {
                while let message = try deframer.next() {
                    outputs.append(.message(message))
                }
            } catch {
                return outputs + finish(error.status, endedByServer: endStream)
            }
            if endStream {
                outputs += finish(
                    GRPCStatus(code: .internal, message: "server closed the stream without sending trailers"),
                    endedByServer: true)
            }
            return outputs
        case .finished:
            return []
        }
    }

    /// The stream closed without trailers: the server reset it (`resetCode`) or the connection
    /// went away (nil).
    public mutating func streamClosed(resetCode: HTTP2ErrorCode?) -> [Output] {
        guard !isFinished else { return [] }
        let status: GRPCStatus
        if let resetCode {
            status = GRPCStatus(
                code: GRPCStatusMapping.code(forResetStream: resetCode),
                message: "stream terminated by RST_STREAM with error code: \(HTTP2ErrorName.text(of: resetCode))")
        } else {
            status = GRPCStatus(code: .unavailable, message: "connection closed before the call completed")
        }
        return finish(status, endedByServer: true)
    }

    /// Ends the call for a reason of the client's own (a deadline, a cancellation, a bad message);
    /// the caller resets the stream.
    public mutating func abort(_ status: GRPCStatus) -> [Output] {
        guard !isFinished else { return [] }
        return finish(status, endedByServer: false)
    }

    private mutating func finish(_ status: GRPCStatus, endedByServer: Bool) -> [Output] {
        state = .finished
        return [.finished(status, endedByServer: endedByServer)]
    }

    // MARK: Header rules

    /// nil when the response headers announce a gRPC response; otherwise the status to end with.
    static func validateResponseHeaders(_ headers: HPACKHeaders) -> GRPCStatus? {
        guard let text = headers.first(name: ":status"), let httpStatus = Int(text) else {
            return GRPCStatus(code: .internal, message: "malformed header: missing HTTP status")
        }
        guard httpStatus == 200 else {
            return GRPCStatus(
                code: GRPCStatusMapping.code(forHTTPStatus: httpStatus),
                message: "unexpected HTTP status code received from server: \(httpStatus)")
        }
        let contentType = headers.first(name: "content-type") ?? ""
        guard isGRPCContentType(contentType) else {
            return GRPCStatus(
                code: .unknown, message: "transport: received unexpected content-type \"\(contentType)\"")
        }
        return nil
    }

    /// `application/grpc`, optionally followed by `+<format>` or `;<parameters>`.
    static func isGRPCContentType(_ value: String) -> Bool {
        let lowered = value.lowercased()
        guard lowered.hasPrefix("application/grpc") else { return false }
        let rest = lowered.dropFirst("application/grpc".count)
        return rest.isEmpty || rest.first == "+" || rest.first == ";"
    }

    /// The status carried by trailers (`grpc-status`, percent-decoded `grpc-message`).
    static func status(fromTrailers headers: HPACKHeaders) -> GRPCStatus {
        let message = headers.first(name: "grpc-message").map(GRPCMessagePercentCoding.decode) ?? ""
        guard let raw = headers.first(name: "grpc-status") else {
            return GRPCStatus(code: .unknown, message: message.isEmpty ? "missing grpc-status in trailers" : message)
        }
        guard let value = Int(raw.trimmingASCIISpaces()) else {
            return GRPCStatus(code: .unknown, message: "malformed grpc-status \"\(raw)\"")
        }
        return GRPCStatus(code: GRPCStatus.Code(wireValue: value), message: message)
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var view = self[...]
        while view.first == " " || view.first == "\t" { view = view.dropFirst() }
        while view.last == " " || view.last == "\t" { view = view.dropLast() }
        return view
    }
}
