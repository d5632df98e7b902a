import Dispatch
import Logging
import Synchronization
import Testing

@testable import CCPoolService

/// Requests fold into the pending trim; a request after it ran gets a trim of its own. (What a trim returns to
/// the kernel is measured by `make bench`'s single-address part: RSS per target after the reload's scrapes.)
@Suite struct HeapTrimmerTests {
    @Test func requestsFoldIntoOnePendingTrim() async throws {
        let trims = Atomic<Int>(0)
        let trimmer = HeapTrimmer(delay: .milliseconds(50), logger: Logger(label: "test")) { trims.add(1, ordering: .relaxed) }
        for _ in 0..<20 { trimmer.request() }
        try await waitUntil { trims.load(ordering: .relaxed) >= 1 }
        #expect(trims.load(ordering: .relaxed) == 1)

        trimmer.request()
        try await waitUntil { trims.load(ordering: .relaxed) >= 2 }
        #expect(trims.load(ordering: .relaxed) == 2)
    }

    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            if ContinuousClock.now > deadline { Issue.record("timed out"); return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
