/// Appends the protobuf wire format to a byte array: tags, varints and length-delimited fields.
///
/// The encoding side of ``ProtobufReader``, as small as the health messages need.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func writeTag(fieldNumber: Int, wireType: ProtobufWireType) {
        precondition(fieldNumber >= 1 && fieldNumber <= ProtobufReader.maximumFieldNumber, "invalid field number")
        writeVarint(UInt64(fieldNumber) << 3 | UInt64(wireType.rawValue))
    }

    /// An `int32` or enum field: negative values are sign-extended to ten bytes, as protobuf does.
    public mutating func writeInt32Field(_ fieldNumber: Int, _ value: Int32) {
        writeTag(fieldNumber: fieldNumber, wireType: .varint)
        writeVarint(UInt64(bitPattern: Int64(value)))
    }

    public mutating func writeStringField(_ fieldNumber: Int, _ value: String) {
        writeTag(fieldNumber: fieldNumber, wireType: .lengthDelimited)
        let utf8 = Array(value.utf8)
        writeVarint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}
