import CZlib
import SharedBytes

/// gzip (RFC 1952) compression with zlib, for `Content-Encoding: gzip` bodies.
public enum Gzip {
    /// Why compression failed (zlib out of memory or a zlib bug; never the input's fault).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var code: Int32
        public var description: String { "zlib failed with code \(code)" }
    }

    /// Compresses `input` in one call. `level` 1 (fast) … 9 (small); 6 is zlib's default.
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws(Failure) -> [UInt8] {
        try input.withUnsafeBytes { input in
            Result { () throws(Failure) in try deflateAll(input, flush: Z_FINISH) { ccpool_deflate_init_gzip(&$0, level) } }
        }.get()
    }

    /// A compressed prefix of a gzip body, kept so that bodies sharing it compress only their tail
    /// (``ending(_:after:level:)``): the gzip header and raw deflate blocks, none of them final, ending
    /// byte-aligned after a full flush (no back-reference crosses into the tail), with the CRC-32 and length
    /// of the input.
    public struct Prefix: Sendable {
        /// The gzip header and the prefix's deflate blocks: the first bytes of every body sharing the prefix,
        /// sent as they are.
        public let head: SharedBuffer
        public let crc: UInt
        public let count: Int
    }

    /// Deflate blocks of one run of input, with its CRC-32 and length.
    private struct Blocks: Sendable {
        var deflated: [UInt8]
        var crc: UInt
        var count: Int
    }

    /// magic, deflate, no flags, no mtime, no extra flags, Unix (RFC 1952 §2.3)
    private static let header: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]

    /// Compresses `input` as the prefix of gzip bodies.
    public static func compressPrefix(_ input: [UInt8], level: Int32 = 1) throws(Failure) -> Prefix {
        try input.withUnsafeBytes { input in Result { () throws(Failure) in try compressPrefix(input, level: level) } }.get()
    }

    /// Compresses `input` as the prefix of gzip bodies.
    public static func compressPrefix(_ input: UnsafeRawBufferPointer, level: Int32 = 1) throws(Failure) -> Prefix {
        try compressPrefix(chunks: [input], level: level)
    }

    /// Compresses `chunks`, one after the other, as the prefix of gzip bodies. Each chunk (a large lone one
    /// cut in two halves) is compressed on a thread of its own, ending with a full flush, and their blocks put
    /// one after the other (as pigz does: a block never refers back across a cut, so the joined stream is
    /// valid deflate); the CRC-32s are combined.
    public static func compressPrefix(chunks: [UnsafeRawBufferPointer], level: Int32 = 1) throws(Failure) -> Prefix {
        var chunks = chunks
        if chunks.count == 1, chunks[0].count >= parallelThreshold {
            let input = chunks[0]
            let half = input.count / 2
            chunks = [UnsafeRawBufferPointer(rebasing: input[..<half]), UnsafeRawBufferPointer(rebasing: input[half...])]
        }
        // Read by the threads while the caller keeps the chunks' bytes alive (concurrently returns when all
        // are done).
        nonisolated(unsafe) let shared = chunks
        var blocks: [Blocks] = []
        for outcome in concurrently(chunks.count, { i in
            Result { () throws(Failure) in try compressBlocks(shared[i], level: level) }
        }) {
            blocks.append(try outcome.get())
        }
        var head = header
        head.reserveCapacity(header.count + blocks.reduce(0) { $0 + $1.deflated.count })
        var crc = crc32(0, nil, 0)
        var count = 0
        for run in blocks {
            head += run.deflated
            crc = crc32_combine(crc, run.crc, run.count)
            count += run.count
        }
        return Prefix(head: SharedBuffer(copying: head), crc: crc, count: count)
    }

    private static func compressBlocks(_ input: UnsafeRawBufferPointer, level: Int32) throws(Failure) -> Blocks {
        Blocks(deflated: try deflateAll(input, flush: Z_FULL_FLUSH) { ccpool_deflate_init_raw(&$0, level) },
               crc: crc(input), count: input.count)
    }

    /// Below this, a prefix is compressed on the calling thread alone.
    static let parallelThreshold = 1 << 20

    /// One gzip member (RFC 1952) whose data is `prefix` followed by `tail`: the prefix's head as it is, then
    /// ``ending(_:after:level:)``.
    public static func compress(_ tail: [UInt8], after prefix: Prefix, level: Int32 = 1) throws(Failure) -> [UInt8] {
        let rest = try tail.withUnsafeBytes { tail in
            Result { () throws(Failure) in try Self.ending(tail, after: prefix, level: level) }
        }.get()
        return prefix.head.withUnsafeBytes { Array($0) } + rest
    }

    /// What follows `prefix.head` in a gzip member whose data is `prefix` followed by `tail`: `tail` deflated
    /// with the final block, and the trailer (CRC-32 and length of the whole).
    public static func ending(_ tail: UnsafeRawBufferPointer, after prefix: Prefix, level: Int32 = 1) throws(Failure)
        -> [UInt8]
    {
        var out = try deflateAll(tail, flush: Z_FINISH) { ccpool_deflate_init_raw_small(&$0, level) }
        let crc = UInt32(truncatingIfNeeded: crc32_combine(prefix.crc, Self.crc(tail), tail.count))
        let size = UInt32(truncatingIfNeeded: prefix.count + tail.count)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: crc >> shift)) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: size >> shift)) }
        return out
    }

    private static func crc(_ buffer: UnsafeRawBufferPointer) -> UInt {
        var crc = crc32(0, nil, 0)
        var start = 0
        while start < buffer.count {  // crc32 takes a 32-bit length
            let chunk = min(buffer.count - start, 1 << 30)
            crc = crc32(crc, buffer.baseAddress!.assumingMemoryBound(to: Bytef.self) + start, uInt(chunk))
            start += chunk
        }
        return crc
    }


    /// Deflates all of `input` in one `deflate` call ending with `flush`, on a stream `start` initialises
    /// (gzip or raw framing).
    private static func deflateAll(
        _ input: UnsafeRawBufferPointer, flush: Int32, start: (inout z_stream) -> Int32
    ) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        var rc = start(&stream)
        guard rc == Z_OK else { throw Failure(code: rc) }
        defer { deflateEnd(&stream) }
        // deflateBound covers Z_FINISH; a full flush adds at most a few bytes (an empty stored block).
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 16
        var output = [UInt8](repeating: 0, count: bound)
        rc = output.withUnsafeMutableBytes { outBytes in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = outBytes.bindMemory(to: Bytef.self).baseAddress
            stream.avail_out = uInt(outBytes.count)
            return deflate(&stream, flush)
        }
        let done = flush == Z_FINISH ? rc == Z_STREAM_END : (rc == Z_OK && stream.avail_in == 0 && stream.avail_out > 0)
        guard done else { throw Failure(code: rc) }
        // A copy of the used part: trimming in place would keep deflateBound's capacity (the input's size).
        return Array(output[0..<Int(stream.total_out)])
    }
}
