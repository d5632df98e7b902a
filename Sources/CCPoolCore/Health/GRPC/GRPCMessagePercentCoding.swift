/// The percent-encoding of the `grpc-message` header (gRPC `doc/PROTOCOL-HTTP2.md`): UTF-8 bytes
/// outside printable ASCII (0x20–0x7E), and `%` itself, are sent as `%XX`.
public enum GRPCMessagePercentCoding {
    /// Decodes `%XX` sequences; a malformed sequence is kept as written, as the spec asks, and
    /// invalid UTF-8 is repaired rather than rejected (the message is for humans).
    public static func decode(_ value: String) -> String {
        let input = Array(value.utf8)
        guard input.contains(UInt8(ascii: "%")) else { return value }
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
               let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(input[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Encodes a message for the `grpc-message` header.
    public static func encode(_ value: String) -> String {
        var output = ""
        for byte in value.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                output.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                output += "%" + hex(byte >> 4) + hex(byte & 0xF)
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func hex(_ nibble: UInt8) -> String {
        String(UnicodeScalar(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10))
    }
}
