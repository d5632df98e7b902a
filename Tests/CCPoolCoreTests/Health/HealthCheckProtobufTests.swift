import CCPoolCore
import Testing
import Vocabulary

/// The hand-encoded `grpc.health.v1` messages and the protobuf wire reader under them.
@Suite("HealthCheck protobuf")
struct HealthCheckProtobufTests {
    @Test("responses encode as a gRPC health server sends them (08 01 SERVING, 08 02 NOT_SERVING)")
    func responseEncoding() {
        #expect(HealthCheckResponse(status: .serving).serializedBytes() == [0x08, 0x01])
        #expect(HealthCheckResponse(status: .notServing).serializedBytes() == [0x08, 0x02])
        #expect(HealthCheckResponse(status: .serviceUnknown).serializedBytes() == [0x08, 0x03])
        #expect(HealthCheckResponse(status: .unknown).serializedBytes() == [])  // proto3 default
        // Negative enum values are sign-extended to ten bytes.
        #expect(HealthCheckResponse(status: .unrecognized(-1)).serializedBytes()
            == [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    @Test("responses round-trip, including values this build does not know")
    func responseRoundTrip() throws {
        for status in [ServingStatus.unknown, .serving, .notServing, .serviceUnknown, .unrecognized(7), .unrecognized(-1),
                       .unrecognized(Int32.max), .unrecognized(Int32.min)] {
            let decoded = try HealthCheckResponse(serializedBytes: HealthCheckResponse(status: status).serializedBytes())
            #expect(decoded.status == status)
        }
        #expect(try HealthCheckResponse(serializedBytes: []).status == .unknown)
    }

    @Test("requests: the empty service encodes to nothing; names round-trip as UTF-8")
    func requestEncoding() throws {
        #expect(HealthCheckRequest(service: "").serializedBytes() == [])
        #expect(HealthCheckRequest(service: "a.B").serializedBytes() == [0x0A, 0x03, 0x61, 0x2E, 0x42])
        for name in ["", "payments.v1.Payments", "ünïcødé/服务", String(repeating: "x", count: 300)] {
            #expect(try HealthCheckRequest(serializedBytes: HealthCheckRequest(service: name).serializedBytes()).service == name)
        }
    }

    @Test("unknown fields of every wire type are skipped; the last occurrence of a field wins")
    func unknownFieldsSkipped() throws {
        let bytes: [UInt8] = [
            0x10, 0x96, 0x01,  // field 2 varint 150
            0x19, 1, 2, 3, 4, 5, 6, 7, 8,  // field 3 fixed64
            0x22, 0x02, 0xAA, 0xBB,  // field 4 length-delimited
            0x2D, 1, 2, 3, 4,  // field 5 fixed32
            0x33, 0x08, 0x05, 0x34,  // field 6 group holding field 1 varint 5
            0x08, 0x02,  // status NOT_SERVING
            0x08, 0x01,  // status SERVING: the last one wins
            0x0A, 0x01, 0x00,  // field 1 as length-delimited: wrong wire type, skipped as unknown
        ]
        #expect(try HealthCheckResponse(serializedBytes: bytes).status == .serving)
        #expect(try HealthCheckRequest(serializedBytes: [0x08, 0x01, 0x0A, 0x01, 0x78]).service == "x")
    }

    @Test("an enum value wider than 32 bits is truncated, as int32 decoding requires")
    func int32Truncation() throws {
        // 2^32 + 1 → 1 (SERVING)
        #expect(try HealthCheckResponse(serializedBytes: [0x08, 0x81, 0x80, 0x80, 0x80, 0x10]).status == .serving)
    }

    @Test(
        "malformed input is rejected with a typed error",
        arguments: [
            ([0x08], ProtobufDecodingError.Code.truncated),  // tag without value
            ([0x08, 0x80], .truncated),  // varint cut short
            ([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .malformedVarint),  // 11 bytes
            ([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], .malformedVarint),  // > 64 bits
            ([0x0A, 0x05, 0x61], .truncated),  // length beyond the input
            ([0x19, 1, 2, 3], .truncated),  // fixed64 cut short
            ([0x2D, 1], .truncated),  // fixed32 cut short
            ([0x00, 0x01], .invalidFieldNumber),  // field 0
            ([0x0E], .invalidWireType),  // wire type 6
            ([0x0F], .invalidWireType),  // wire type 7
            ([0x34], .unmatchedGroup),  // end-group without start
            ([0x33, 0x08, 0x01], .unmatchedGroup),  // group never closed
            ([0x33, 0x3C], .unmatchedGroup),  // group 6 closed by end-group 7
        ] as [([UInt8], ProtobufDecodingError.Code)]
    )
    func malformedResponses(bytes: [UInt8], code: ProtobufDecodingError.Code) {
        #expect(throws: ProtobufDecodingError.self) { try HealthCheckResponse(serializedBytes: bytes) }
        do {
            _ = try HealthCheckResponse(serializedBytes: bytes)
        } catch {
            #expect(error.code == code)
        }
    }

    @Test("a service name that is not UTF-8 is rejected")
    func invalidUTF8() {
        #expect(throws: ProtobufDecodingError.self) { try HealthCheckRequest(serializedBytes: [0x0A, 0x02, 0xC3, 0x28]) }
        do {
            _ = try HealthCheckRequest(serializedBytes: [0x0A, 0x02, 0xC3, 0x28])
        } catch {
            #expect(error.code == .invalidUTF8)
        }
    }

    @Test("field numbers up to 2^29-1 are legal, above are not")
    func fieldNumberRange() throws {
        var writer = ProtobufWriter()
        writer.writeTag(fieldNumber: ProtobufReader.maximumFieldNumber, wireType: .varint)
        writer.writeVarint(1)
        writer.writeInt32Field(1, 2)
        #expect(try HealthCheckResponse(serializedBytes: writer.bytes).status == .notServing)

        var reader = ProtobufReader([0x80, 0x80, 0x80, 0x80, 0x10])  // field 2^29 varint
        #expect(throws: ProtobufDecodingError.self) { _ = try reader.readTag() }
    }

    @Test("HealthStatus spells the API's strings and maps wire statuses")
    func healthStatusStrings() {
        #expect(HealthStatus.allCases.map(\.rawValue) == ["SERVING", "NOT_SERVING", "UNKNOWN", "SERVICE_UNKNOWN", "DISABLED"])
        #expect(HealthStatus(ServingStatus.serving) == .serving)
        #expect(HealthStatus(ServingStatus.notServing) == .notServing)
        #expect(HealthStatus(ServingStatus.serviceUnknown) == .serviceUnknown)
        #expect(HealthStatus(ServingStatus.unknown) == .unknown)
        #expect(HealthStatus(ServingStatus.unrecognized(9)) == .unknown)
        #expect(ServingStatus(name: "NOT_SERVING") == .notServing)
        #expect(ServingStatus(name: "bogus") == nil)
    }
}
