/// Process-wide allocator settings for a long-running service.
enum MemoryTuning {
    /// Allocations of 1 MiB or more get their own mapping and go back to the system when freed.
    ///
    /// glibc raises its mmap threshold each time a mapped block is freed (up to 32 MiB), after which
    /// `/metrics` bodies and their render buffers (tens of MB on a pool of thousands of subchannels) come
    /// from the heap and stay resident after every scrape. A fixed threshold keeps the resident size of an
    /// idle pool what the pool itself needs.
    static func returnLargeBuffersToTheSystem() {
        #if os(Linux)
        _ = glibcMallopt(mmapThreshold, 1 << 20)
        #endif
    }

    /// `M_MMAP_THRESHOLD` of glibc's `<malloc.h>`, which the Glibc module does not import.
    private static let mmapThreshold: Int32 = -3
}

#if os(Linux)
/// glibc's `int mallopt(int param, int value)` (C calling convention, no Swift overlay).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
