/// An immutable byte buffer at a stable address, shared by many responses without copying.
///
/// Owns one heap allocation that never moves and is never written after `init`; it is freed when the last
/// reference goes away. libmicrohttpd sends from it directly
/// (`MHD_create_response_from_buffer_with_free_callback_cls`): every queued response retains the buffer and
/// MHD's free callback releases it, so a cached `/metrics` body outlives any scrape still sending it.
/// Immutability is what makes it `Sendable`.
public final class SharedBuffer: Sendable {
    // Written only in init; read-only afterwards (hence Sendable without a lock).
    nonisolated(unsafe) private let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes` once into a new stable allocation.
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(bytes.count, 1), alignment: 16)
        // One memcpy for contiguous bytes (every caller's case): the generic element-by-element copy
        // is not specialised across modules and cost seconds per scrape for a 4 MB /metrics body.
        let copied = bytes.withContiguousStorageIfAvailable { source in
            if let from = source.baseAddress { buffer.baseAddress!.copyMemory(from: from, byteCount: source.count) }
        }
        if copied == nil { _ = buffer.initializeMemory(as: UInt8.self, from: bytes) }
        storage = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count])
        if bytes.isEmpty { base = buffer.baseAddress! } else { base = storage.baseAddress! }
    }

    /// The start of the allocation (valid while `self` is alive).
    nonisolated(unsafe) let base: UnsafeMutableRawPointer

    public var count: Int { storage.count }

    /// Reads the bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(storage))
    }

    deinit { base.deallocate() }
}
