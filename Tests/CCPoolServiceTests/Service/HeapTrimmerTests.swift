import Dispatch
import Logging
import Synchronization
import Testing

@testable import CCPoolService

/// Requests fold into the pending trim; a request after it ran gets a trim of its own. (What a trim returns to
/// the kernel is measured by `make bench`'s single-address part: RSS per target after the reload's scrapes.)
@Suite struct HeapTrimmerTests {
    @Test func requestsFoldIntoOnePendingTrim() async {
        let trims = Atomic<Int>(0)
        let trimmer = HeapTrimmer(delay: .milliseconds(50), logger: Logger(label: "test")) { trims.add(1, ordering: .relaxed) }
        for _ in 0..<20 { trimmer.request() }
        #expect(await eventually { trims.load(ordering: .relaxed) >= 1 })
        #expect(trims.load(ordering: .relaxed) == 1)

        trimmer.request()
        #expect(await eventually { trims.load(ordering: .relaxed) >= 2 })
        #expect(trims.load(ordering: .relaxed) == 2)
    }
}
