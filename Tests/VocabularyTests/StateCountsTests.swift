import Testing
import Vocabulary

@Suite struct StateCountsTests {
    @Test func eachStateHasItsOwnCounter() {
        var counts = StateCounts()
        for (i, state) in ConnectivityState.allCases.enumerated() {
            counts[state] += UInt64(i + 1)
        }
        for (i, state) in ConnectivityState.allCases.enumerated() {
            #expect(counts[state] == UInt64(i + 1))
        }
        #expect(counts.total == 15)
    }

    @Test func countersAreInline() {
        // Five counters and nothing else: no reference to heap storage.
        #expect(MemoryLayout<StateCounts>.size == 5 * MemoryLayout<UInt64>.size)
        #expect(StateCounts() == StateCounts())
    }
}
