/// Reads the protobuf wire format from a byte array: tags, varints, length-delimited fields, and
/// skipping of fields the reader does not know.
///
/// Only what the two health messages need, done strictly: every read is bounds-checked and every
/// malformed input ends in a ``ProtobufDecodingError``, never a trap. A value type over a copy of
/// the bytes, so a failed decode leaves nothing behind.
public struct ProtobufReader: Sendable {
    private let bytes: [UInt8]
    private var index: Int

    /// The largest legal field number (2²⁹ − 1).
    public static let maximumFieldNumber = (1 << 29) - 1
    /// Deepest nesting of (deprecated) groups a skip follows before giving up.
    static let maximumGroupDepth = 64

    public init<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        self.bytes = Array(bytes)
        self.index = 0
    }

    /// True once every byte was consumed.
    public var isAtEnd: Bool { index >= bytes.count }

    /// Reads the next field tag, or returns nil at the end of the input.
    public mutating func readTag() throws(ProtobufDecodingError) -> (fieldNumber: Int, wireType: ProtobufWireType)? {
        guard !isAtEnd else { return nil }
        let key = try readVarint()
        guard let wireType = ProtobufWireType(rawValue: UInt8(key & 0x7)) else {
            throw ProtobufDecodingError(code: .invalidWireType, message: "wire type \(key & 0x7) does not exist")
        }
        let fieldNumber = key >> 3
        guard fieldNumber >= 1, fieldNumber <= UInt64(Self.maximumFieldNumber) else {
            throw ProtobufDecodingError(code: .invalidFieldNumber, message: "field number \(fieldNumber) is out of range")
        }
        return (Int(fieldNumber), wireType)
    }

    /// Reads a base-128 varint of at most 10 bytes.
    public mutating func readVarint() throws(ProtobufDecodingError) -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 70, by: 7) {
            guard index < bytes.count else {
                throw ProtobufDecodingError(code: .truncated, message: "input ends inside a varint")
            }
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 1 {
                throw ProtobufDecodingError(code: .malformedVarint, message: "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
        }
        throw ProtobufDecodingError(code: .malformedVarint, message: "varint longer than 10 bytes")
    }

    /// Reads a length-delimited field's payload.
    public mutating func readLengthDelimited() throws(ProtobufDecodingError) -> ArraySlice<UInt8> {
        let length = try readVarint()
        guard length <= UInt64(bytes.count - index) else {
            throw ProtobufDecodingError(
                code: .truncated, message: "length-delimited field of \(length) bytes, \(bytes.count - index) left")
        }
        let end = index + Int(length)
        defer { index = end }
        return bytes[index..<end]
    }

    /// Reads a `string` field, which must be UTF-8.
    public mutating func readString() throws(ProtobufDecodingError) -> String {
        let payload = try readLengthDelimited()
        guard let string = String(validating: payload, as: UTF8.self) else {
            throw ProtobufDecodingError(code: .invalidUTF8, message: "string field is not valid UTF-8")
        }
        return string
    }

    /// Skips the value of a field whose tag was just read (an unknown field, or a known field with
    /// an unexpected wire type, which protobuf treats as unknown).
    public mutating func skipField(fieldNumber: Int, wireType: ProtobufWireType) throws(ProtobufDecodingError) {
        try skipField(fieldNumber: fieldNumber, wireType: wireType, depth: 0)
    }

    private mutating func skipField(
        fieldNumber: Int, wireType: ProtobufWireType, depth: Int
    ) throws(ProtobufDecodingError) {
        switch wireType {
        case .varint:
            _ = try readVarint()
        case .fixed64:
            try skipBytes(8)
        case .fixed32:
            try skipBytes(4)
        case .lengthDelimited:
            _ = try readLengthDelimited()
        case .startGroup:
            guard depth < Self.maximumGroupDepth else {
                throw ProtobufDecodingError(code: .unmatchedGroup, message: "groups nested too deeply")
            }
            while true {
                guard let (number, type) = try readTag() else {
                    throw ProtobufDecodingError(code: .unmatchedGroup, message: "group \(fieldNumber) is never closed")
                }
                if type == .endGroup {
                    guard number == fieldNumber else {
                        throw ProtobufDecodingError(
                            code: .unmatchedGroup, message: "group \(fieldNumber) closed by end-group \(number)")
                    }
                    return
                }
                try skipField(fieldNumber: number, wireType: type, depth: depth + 1)
            }
        case .endGroup:
            throw ProtobufDecodingError(code: .unmatchedGroup, message: "end-group \(fieldNumber) without a start")
        }
    }

    private mutating func skipBytes(_ count: Int) throws(ProtobufDecodingError) {
        guard bytes.count - index >= count else {
            throw ProtobufDecodingError(code: .truncated, message: "input ends inside a \(count)-byte value")
        }
        index += count
    }
}
