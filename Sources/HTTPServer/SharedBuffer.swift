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

    /// Copies `bytes` once into a new stable allocation: one `memcpy` when the collection has contiguous
    /// storage (an `Array`, a `ContiguousArray`, a buffer), element by element otherwise. (This generic
    /// init is not specialized for its callers in other modules, so the element-wise path costs several
    /// witness calls per byte: seconds for a 30 MB `/metrics` body.)
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(bytes.count, 1), alignment: 16)
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { source in
            if let from = source.baseAddress, !source.isEmpty {
                buffer.baseAddress!.copyMemory(from: from, byteCount: source.count)
            }
            return true
        }
        if copied == nil { _ = buffer.initializeMemory(as: UInt8.self, from: bytes) }
        storage = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count])
        if bytes.isEmpty { base = buffer.baseAddress! } else { base = storage.baseAddress! }
    }

    /// Copies `parts`, one after the other, into one new stable allocation.
    public init(concatenating parts: [ArraySlice<UInt8>]) {
        let total = parts.reduce(0) { $0 + $1.count }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(total, 1), alignment: 16)
        var offset = 0
        for part in parts {
            part.withUnsafeBytes { bytes in
                if let from = bytes.baseAddress, !bytes.isEmpty {
                    (buffer.baseAddress! + offset).copyMemory(from: from, byteCount: bytes.count)
                }
            }
            offset += part.count
        }
        storage = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<total])
        base = buffer.baseAddress!
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
