/// Why the gRPC length-prefixed message stream could not be decoded.
public struct GRPCFramingError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case messageTooLarge, compressionNotNegotiated, invalidCompressedFlag, truncatedMessage
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The length prefix announces more than the receiver's maximum message size.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The compressed flag is set, but the client asked for no compression.
        public static let compressionNotNegotiated = Code(.compressionNotNegotiated)
        /// The flag byte is neither 0 nor 1.
        public static let invalidCompressedFlag = Code(.invalidCompressedFlag)
        /// The stream ended in the middle of a message.
        public static let truncatedMessage = Code(.truncatedMessage)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The status a client reports for this error: RESOURCE_EXHAUSTED for an oversized message
    /// (as grpc-go does), INTERNAL otherwise.
    public var status: GRPCStatus {
        GRPCStatus(code: code == .messageTooLarge ? .resourceExhausted : .internal, message: message)
    }

    public var description: String { "gRPC framing error (\(code)): \(message)" }
}
