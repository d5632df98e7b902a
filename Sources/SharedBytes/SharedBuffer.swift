#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable byte buffer at a stable address, shared by many responses without copying.
///
/// Owns one `malloc` allocation that never moves and is never written after `init`; it is freed when the
/// last reference goes away. libmicrohttpd sends from it directly: every queued response retains the buffer
/// and MHD's free callback releases it, so a kept `/metrics` body outlives any scrape still sending it.
/// Immutability is what makes it `Sendable`.
public final class SharedBuffer: Sendable {
    // Written only before init returns; read-only afterwards (hence Sendable without a lock).
    nonisolated(unsafe) private let start: UnsafeMutableRawPointer
    public let count: Int

    /// Copies `bytes` once into a new allocation: one `memcpy` when the collection has contiguous storage
    /// (an `Array`, a `ContiguousArray`, a buffer), element by element otherwise. (This generic init is not
    /// specialized for its callers in other modules, so the element-wise path costs several witness calls per
    /// byte: seconds for a 30 MB body.)
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        let count = bytes.count
        let start = Self.allocate(count)
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { source in
            if let from = source.baseAddress, !source.isEmpty { start.copyMemory(from: from, byteCount: source.count) }
            return true
        }
        if copied == nil {
            _ = UnsafeMutableRawBufferPointer(start: start, count: count).initializeMemory(as: UInt8.self, from: bytes)
        }
        self.start = start
        self.count = count
    }

    /// Takes over `count` initialised bytes at `start`, an allocation made with `malloc` or `realloc` that
    /// nothing else will write or free: no copy (a freshly rendered body becomes a shared one as it is).
    public init(adoptingMallocated start: UnsafeMutableRawPointer, count: Int) {
        self.start = start
        self.count = count
    }

    /// The first byte (valid while `self` is alive).
    public var base: UnsafeRawPointer { UnsafeRawPointer(start) }

    /// Reads the bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: start, count: count))
    }

    deinit { free(start) }

    private static func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        guard let start = malloc(Swift.max(count, 1)) else { fatalError("out of memory allocating \(count) bytes") }
        return start
    }
}
