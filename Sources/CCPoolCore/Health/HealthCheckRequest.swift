/// `grpc.health.v1.HealthCheckRequest { string service = 1; }`, hand-encoded.
///
/// The empty service name asks about the whole server.
public struct HealthCheckRequest: Hashable, Sendable {
    public var service: String

    public init(service: String) {
        self.service = service
    }

    /// The wire bytes; the empty name is the proto3 default and encodes to nothing.
    public func serializedBytes() -> [UInt8] {
        var writer = ProtobufWriter()
        if !service.isEmpty { writer.writeStringField(1, service) }
        return writer.bytes
    }

    /// Decodes the wire bytes; unknown fields are skipped, the last `service` wins.
    public init<Bytes: Sequence>(serializedBytes bytes: Bytes) throws(ProtobufDecodingError) where Bytes.Element == UInt8 {
        var reader = ProtobufReader(bytes)
        var service = ""
        while let (field, wireType) = try reader.readTag() {
            if field == 1, wireType == .lengthDelimited {
                service = try reader.readString()
            } else {
                try reader.skipField(fieldNumber: field, wireType: wireType)
            }
        }
        self.service = service
    }
}
