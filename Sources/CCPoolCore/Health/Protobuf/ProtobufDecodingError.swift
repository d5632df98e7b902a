/// Why bytes could not be decoded as a protobuf message.
///
/// Typed (a code plus a human message) so a caller can tell a truncated message from a bad varint
/// without matching strings; the health client turns any of them into an `INTERNAL` status.
public struct ProtobufDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case truncated, malformedVarint, invalidFieldNumber, invalidWireType, invalidUTF8, unmatchedGroup
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input ended inside a tag, a varint, a fixed-width value or a length-delimited field.
        public static let truncated = Code(.truncated)
        /// A varint longer than 10 bytes, or one whose 10th byte overflows 64 bits.
        public static let malformedVarint = Code(.malformedVarint)
        /// Field number 0, or one above 2²⁹−1.
        public static let invalidFieldNumber = Code(.invalidFieldNumber)
        /// Wire type 6 or 7, which do not exist.
        public static let invalidWireType = Code(.invalidWireType)
        /// A `string` field that is not valid UTF-8 (proto3 requires it).
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// An end-group tag without its start, or a group left open at the end of the input.
        public static let unmatchedGroup = Code(.unmatchedGroup)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "protobuf decoding error (\(code)): \(message)" }
}
