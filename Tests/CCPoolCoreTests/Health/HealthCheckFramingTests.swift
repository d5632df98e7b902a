import CCPoolCore
import NIOCore
import Testing

/// gRPC's length-prefixed message framing and the reassembling deframer.
@Suite("HealthCheck framing")
struct HealthCheckFramingTests {
    private let allocator = ByteBufferAllocator()

    private func framed(_ messages: [[UInt8]]) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        for message in messages { GRPCMessageFramer.frame(message, into: &buffer) }
        return buffer
    }

    private func drain(_ deframer: inout GRPCMessageDeframer) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let message = try deframer.next() { out.append(Array(message.readableBytesView)) }
        return out
    }

    @Test("a frame is flag 0, 4-byte big-endian length, message")
    func frameLayout() {
        let buffer = GRPCMessageFramer.frame([0x08, 0x01], allocator: allocator)
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 0, 2, 0x08, 0x01])
        #expect(Array(GRPCMessageFramer.frame([UInt8](), allocator: allocator).readableBytesView) == [0, 0, 0, 0, 0])
    }

    @Test("several messages in one DATA frame, including an empty one")
    func severalMessagesInOneFrame() throws {
        var deframer = GRPCMessageDeframer()
        deframer.append(framed([[0x08, 0x01], [], [0x08, 0x02]]))
        #expect(try drain(&deframer) == [[0x08, 0x01], [], [0x08, 0x02]])
        #expect(!deframer.hasPartialMessage)
        try deframer.checkEndOfStream()
    }

    @Test("every way of splitting two messages over two or three frames reassembles them")
    func splitAnywhere() throws {
        let whole = Array(framed([[0x08, 0x01], Array(repeating: 0x42, count: 20)]).readableBytesView)
        for first in 0...whole.count {
            for second in first...whole.count {
                var deframer = GRPCMessageDeframer()
                var out: [[UInt8]] = []
                for part in [whole[..<first], whole[first..<second], whole[second...]] {
                    deframer.append(allocator.buffer(bytes: part))
                    out += try drain(&deframer)
                }
                #expect(out == [[0x08, 0x01], Array(repeating: 0x42, count: 20)], "split at \(first), \(second)")
                #expect(!deframer.hasPartialMessage)
            }
        }
    }

    @Test("one byte at a time")
    func byteByByte() throws {
        let whole = Array(framed([[1, 2, 3], [4]]).readableBytesView)
        var deframer = GRPCMessageDeframer()
        var out: [[UInt8]] = []
        for byte in whole {
            deframer.append(allocator.buffer(bytes: [byte]))
            out += try drain(&deframer)
        }
        #expect(out == [[1, 2, 3], [4]])
    }

    @Test("a stream that ends inside a prefix or a message is truncated")
    func truncated() throws {
        for cut in [1, 4, 5, 6] {
            var deframer = GRPCMessageDeframer()
            deframer.append(allocator.buffer(bytes: Array(framed([[1, 2, 3]]).readableBytesView.prefix(cut))))
            #expect(try drain(&deframer).isEmpty)
            #expect(deframer.hasPartialMessage)
            #expect(throws: GRPCFramingError.self) { try deframer.checkEndOfStream() }
        }
    }

    @Test("a message above the maximum size is rejected from its prefix, before its bytes arrive")
    func oversized() throws {
        var deframer = GRPCMessageDeframer(maximumMessageSize: 16)
        deframer.append(framed([Array(repeating: 1, count: 16)]))
        #expect(try drain(&deframer).count == 1)  // exactly the maximum is fine

        deframer.append(allocator.buffer(bytes: [0, 0, 0, 0, 17]))  // only the prefix of a 17-byte message
        do {
            _ = try deframer.next()
            Issue.record("expected messageTooLarge")
        } catch {
            #expect(error.code == .messageTooLarge)
            #expect(error.status.code == .resourceExhausted)
        }
        // The deframer stays failed.
        deframer.append(framed([[1]]))
        #expect(throws: GRPCFramingError.self) { _ = try deframer.next() }

        var huge = GRPCMessageDeframer()
        huge.append(allocator.buffer(bytes: [0, 0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(throws: GRPCFramingError.self) { _ = try huge.next() }
    }

    @Test("compressed or invalid flags are rejected (no compression is negotiated)")
    func flags() {
        for (flag, code) in [(UInt8(1), GRPCFramingError.Code.compressionNotNegotiated), (2, .invalidCompressedFlag), (0x80, .invalidCompressedFlag)] {
            var deframer = GRPCMessageDeframer()
            deframer.append(allocator.buffer(bytes: [flag, 0, 0, 0, 1, 0x08]))
            do {
                _ = try deframer.next()
                Issue.record("expected \(code)")
            } catch {
                #expect(error.code == code)
                #expect(error.status.code == .internal)
            }
        }
    }
}
