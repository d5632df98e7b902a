import NIOCore

/// Writes gRPC's length-prefixed message framing: a compressed-flag byte (always 0 here: ccpool
/// negotiates no compression), a 4-byte big-endian length, then the message.
public enum GRPCMessageFramer {
    /// Bytes before each message.
    public static let prefixLength = 5

    /// Appends one framed message to `buffer`.
    public static func frame<Bytes: Collection>(_ message: Bytes, into buffer: inout ByteBuffer)
    where Bytes.Element == UInt8 {
        precondition(message.count <= Int(UInt32.max), "message too large for a gRPC frame")
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count), endianness: .big)
        buffer.writeBytes(message)
    }

    /// One framed message in a new buffer.
    public static func frame<Bytes: Collection>(_ message: Bytes, allocator: ByteBufferAllocator) -> ByteBuffer
    where Bytes.Element == UInt8 {
        var buffer = allocator.buffer(capacity: prefixLength + message.count)
        frame(message, into: &buffer)
        return buffer
    }
}
