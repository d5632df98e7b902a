import CZlib

/// gzip (RFC 1952) compression with zlib, for `Content-Encoding: gzip` bodies.
public enum Gzip {
    /// Why compression failed (zlib out of memory or a zlib bug; never the input's fault).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var code: Int32
        public var description: String { "zlib failed with code \(code)" }
    }

    /// Compresses `input` in one call. `level` 1 (fast) … 9 (small); 6 is zlib's default.
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        var rc = ccpool_deflate_init_gzip(&stream, level)
        guard rc == Z_OK else { throw Failure(code: rc) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        rc = input.withUnsafeBytes { inBytes in
            output.withUnsafeMutableBytes { outBytes in
                stream.next_in = UnsafeMutablePointer(mutating: inBytes.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(inBytes.count)
                stream.next_out = outBytes.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(outBytes.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { throw Failure(code: rc) }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
