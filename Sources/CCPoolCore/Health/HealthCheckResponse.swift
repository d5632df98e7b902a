/// `grpc.health.v1.HealthCheckResponse { ServingStatus status = 1; }`, hand-encoded.
public struct HealthCheckResponse: Hashable, Sendable {
    public var status: ServingStatus

    public init(status: ServingStatus) {
        self.status = status
    }

    /// The wire bytes: `08 01` for SERVING; UNKNOWN (0) is the proto3 default and encodes to nothing.
    public func serializedBytes() -> [UInt8] {
        var writer = ProtobufWriter()
        if status.rawValue != 0 { writer.writeInt32Field(1, status.rawValue) }
        return writer.bytes
    }

    /// Decodes the wire bytes; unknown fields are skipped, the last `status` wins, and an
    /// absent one means UNKNOWN.
    public init<Bytes: Sequence>(serializedBytes bytes: Bytes) throws(ProtobufDecodingError) where Bytes.Element == UInt8 {
        var reader = ProtobufReader(bytes)
        var status = ServingStatus.unknown
        while let (field, wireType) = try reader.readTag() {
            if field == 1, wireType == .varint {
                // int32 semantics: the varint is truncated to its low 32 bits.
                status = ServingStatus(rawValue: Int32(truncatingIfNeeded: try reader.readVarint()))
            } else {
                try reader.skipField(fieldNumber: field, wireType: wireType)
            }
        }
        self.status = status
    }
}
