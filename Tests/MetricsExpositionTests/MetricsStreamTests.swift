import MetricsExposition
import Testing

/// A streamed exposition is byte for byte the rendered one, however the reader slices it.
@Suite struct MetricsStreamTests {
    /// SplitMix64, so that a failing case is reproducible from its seed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func drain(_ stream: MetricsStream, readSizes: () -> Int) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let size = readSizes()
            let n = chunk.withUnsafeMutableBytes { stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<size])) }
            if n == 0 { return out }
            out += chunk[..<n]
        }
    }

    @Test func fixturesStreamAsRendered() {
        for format in ExpositionFormat.allCases {
            for snapshot in [Fixtures.small, MetricsSnapshot.synthetic(targets: 0)] {
                let stream = MetricsStream(snapshot, format: format)
                #expect(Self.drain(stream) { 1 << 16 } == MetricsRenderer.render(snapshot, format: format))
                // Once ended, it stays ended.
                #expect(Self.drain(stream) { 16 }.isEmpty)
            }
        }
    }

    /// Random pools (targets, subchannels per target, with or without the subchannel series) read in random
    /// slices, from one byte to more than a step (64 KiB).
    @Test func randomPoolsAndReadSizes() {
        for seed in UInt64(1)...40 {
            var random = Seeded(state: seed)
            // Tiny reads only over small pools: a debug build takes a call per read, and a slow test starves
            // the timing-sensitive ones running beside it. 40 targets × 3 subchannels still span several steps.
            let largest = [1, 7, 4096, 200_000].randomElement(using: &random)!
            var snapshot = MetricsSnapshot.synthetic(
                targets: Int.random(in: 0...(largest < 4096 ? 4 : 40), using: &random),
                subchannelsPerTarget: Int.random(in: 0...3, using: &random))
            snapshot.subchannelSeries = Bool.random(using: &random)
            let format = ExpositionFormat.allCases.randomElement(using: &random)!
            let streamed = Self.drain(MetricsStream(snapshot, format: format)) { Int.random(in: 1...largest, using: &random) }
            let rendered = MetricsRenderer.render(snapshot, format: format)
            let firstDifference = zip(streamed, rendered).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(streamed.count, rendered.count)
            #expect(
                streamed == rendered,
                """
                seed \(seed): \(snapshot.targets.count) targets, subchannel series \(snapshot.subchannelSeries), \
                \(format), reads of 1...\(largest) bytes: \(streamed.count) bytes streamed, \(rendered.count) \
                rendered, first difference at byte \(firstDifference)
                """)
        }
    }
}
