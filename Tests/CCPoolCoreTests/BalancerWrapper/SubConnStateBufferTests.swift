import CCPoolCore
import Dispatch
import Foundation
import Synchronization
import Testing

@Suite("SubConn-state buffer (the seed's scStateUpdateBuffer)")
struct SubConnStateBufferTests {
    struct Update: Sendable, Hashable {
        let producer: Int
        let sequence: Int
    }

    @Test("N concurrent producers × M updates: each seen exactly once, in per-producer order")
    func concurrentProducers() async throws {
        let producers = 8
        let perProducer = 20_000
        let wakeups = Atomic<Int>(0)
        let buffer = SubConnStateBuffer<Update> { wakeups.add(1, ordering: .relaxed) }
        let consumed = Mutex<[Update]>([])
        let done = Atomic<Int>(0)

        // The consumer drains concurrently with the producers, as the balancer's loop would.
        let consumer = Thread {
            while true {
                let batch = buffer.drain()
                consumed.withLock { $0 += batch }
                if batch.isEmpty, done.load(ordering: .acquiring) == producers, buffer.count == 0 { return }
                if batch.isEmpty { sched_yield() }
            }
        }
        consumer.start()

        DispatchQueue.concurrentPerform(iterations: producers) { producer in
            for sequence in 0..<perProducer { buffer.put(Update(producer: producer, sequence: sequence)) }
            done.add(1, ordering: .releasing)
        }
        try await waitUntil { consumed.withLock { $0.count } >= producers * perProducer && buffer.count == 0 }

        let all = consumed.withLock { $0 }
        #expect(all.count == producers * perProducer)
        #expect(Set(all).count == all.count, "no update delivered twice")
        var next = [Int](repeating: 0, count: producers)
        var ordered = true
        for update in all {
            if update.sequence != next[update.producer] { ordered = false }
            next[update.producer] = update.sequence + 1
        }
        #expect(ordered, "per-producer order kept")
        #expect(next == [Int](repeating: perProducer, count: producers))
        #expect(wakeups.load(ordering: .relaxed) >= 1)
    }

    @Test("put never blocks: a million puts return while the consumer is stalled")
    func putNeverBlocks() {
        let stalled = DispatchSemaphore(value: 0)
        let wakeups = Atomic<Int>(0)
        // The wake-up handler only schedules; the consumer below never runs until released.
        let buffer = SubConnStateBuffer<Int> { wakeups.add(1, ordering: .relaxed) }
        let consumer = Thread {
            stalled.wait()
        }
        consumer.start()

        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<1_000_000 { buffer.put(i) }
        let elapsed = clock.now - start

        #expect(buffer.count == 1_000_000, "nothing dropped while nobody drains")
        #expect(wakeups.load(ordering: .relaxed) == 1, "one wake-up for the whole batch")
        // Recorded for the closing note; not asserted (timing is the benchmark's job).
        print("1,000,000 puts with a stalled consumer took \(elapsed)")
        stalled.signal()
        let drained = buffer.drain()
        #expect(drained == Array(0..<1_000_000))
        buffer.put(1)
        #expect(wakeups.load(ordering: .relaxed) == 2, "a drain re-arms the wake-up")
    }

    @Test("after close, puts are discarded")
    func closed() {
        let buffer = SubConnStateBuffer<Int> {}
        buffer.put(1)
        buffer.close()
        buffer.put(2)
        #expect(buffer.drain().isEmpty)
    }
}

#if canImport(Glibc)
import Glibc
#endif
