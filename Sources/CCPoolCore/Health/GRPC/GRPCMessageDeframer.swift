import NIOCore

/// Reassembles gRPC length-prefixed messages from the DATA frames of one stream: a message may be
/// split over several frames and one frame may hold several messages.
///
/// Feed it with ``append(_:)``, drain it with ``next()`` until nil. The length prefix is checked
/// against ``maximumMessageSize`` as soon as it arrives, so an oversized message is rejected
/// before its bytes are buffered. After an error the deframer stays failed. A value type with
/// no I/O, so it is unit-tested on its own.
public struct GRPCMessageDeframer: Sendable {
    /// gRPC's default limit for a received message.
    public static let defaultMaximumMessageSize = 4 * 1024 * 1024

    public let maximumMessageSize: Int
    private var buffer: ByteBuffer?
    /// The length of the message whose prefix was read and whose body is still incomplete.
    private var pendingLength: Int?
    private var failure: GRPCFramingError?

    public init(maximumMessageSize: Int = GRPCMessageDeframer.defaultMaximumMessageSize) {
        precondition(maximumMessageSize >= 0, "maximumMessageSize must not be negative")
        self.maximumMessageSize = maximumMessageSize
    }

    /// True while bytes of an incomplete message (or prefix) are buffered: if the stream ends
    /// now, a message was truncated.
    public var hasPartialMessage: Bool {
        pendingLength != nil || (buffer?.readableBytes ?? 0) > 0
    }

    /// Adds the payload of one DATA frame.
    public mutating func append(_ bytes: ByteBuffer) {
        guard failure == nil, bytes.readableBytes > 0 else { return }
        if buffer == nil || buffer!.readableBytes == 0 {
            buffer = bytes
        } else {
            var bytes = bytes
            buffer!.writeBuffer(&bytes)
        }
    }

    /// The next complete message, or nil when more bytes are needed.
    public mutating func next() throws(GRPCFramingError) -> ByteBuffer? {
        if let failure { throw failure }
        guard var buffer else { return nil }
        // Take the buffer out while working on it, so clearing it does not copy its storage.
        self.buffer = nil
        defer { self.buffer = buffer }

        if pendingLength == nil {
            guard buffer.readableBytes >= GRPCMessageFramer.prefixLength else { return nil }
            let flag = buffer.readInteger(as: UInt8.self)!
            let length = buffer.readInteger(endianness: .big, as: UInt32.self)!
            switch flag {
            case 0: break
            case 1:
                return try fail(.compressionNotNegotiated, "compressed message received, but no compression was negotiated")
            default:
                return try fail(.invalidCompressedFlag, "invalid compressed flag \(flag)")
            }
            guard UInt64(length) <= UInt64(maximumMessageSize) else {
                return try fail(
                    .messageTooLarge,
                    "received message larger than max (\(length) vs. \(maximumMessageSize))")
            }
            pendingLength = Int(length)
        }

        let length = pendingLength!
        guard buffer.readableBytes >= length else { return nil }
        pendingLength = nil
        let message = buffer.readSlice(length: length)!
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex > 64 * 1024 {
            buffer.discardReadBytes()
        }
        return message
    }

    /// Reports a stream that ended: a buffered partial message is an error.
    public func checkEndOfStream() throws(GRPCFramingError) {
        if let failure { throw failure }
        if hasPartialMessage {
            throw GRPCFramingError(code: .truncatedMessage, message: "stream ended inside a message")
        }
    }

    private mutating func fail(_ code: GRPCFramingError.Code, _ message: String) throws(GRPCFramingError) -> ByteBuffer? {
        let error = GRPCFramingError(code: code, message: message)
        failure = error
        throw error
    }
}
