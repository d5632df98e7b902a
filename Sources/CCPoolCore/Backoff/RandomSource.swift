/// Where backoff jitter and address shuffles get their randomness, so tests can fix it.
public protocol RandomSource {
    /// A uniformly distributed value in `range`.
    mutating func uniform(in range: ClosedRange<Double>) -> Double
    /// A uniformly distributed integer in `range`.
    mutating func integer(in range: Range<Int>) -> Int
}

/// The system's generator.
public struct SystemRandomSource: RandomSource {
    private var generator = SystemRandomNumberGenerator()
    public init() {}
    public mutating func uniform(in range: ClosedRange<Double>) -> Double {
        Double.random(in: range, using: &generator)
    }
    public mutating func integer(in range: Range<Int>) -> Int {
        Int.random(in: range, using: &generator)
    }
}

/// A deterministic generator (SplitMix64) for tests and reproducible benchmarks.
public struct SeededRandomSource: RandomSource, RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func uniform(in range: ClosedRange<Double>) -> Double {
        Double.random(in: range, using: &self)
    }

    public mutating func integer(in range: Range<Int>) -> Int {
        Int.random(in: range, using: &self)
    }
}

/// Always returns the same point of each range (0 = lower bound, 1 = upper bound): for tests
/// that check the exact ends of the jitter interval.
public struct FixedRandomSource: RandomSource {
    public var fraction: Double
    public init(fraction: Double) { self.fraction = fraction }
    public mutating func uniform(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * fraction
    }
    public mutating func integer(in range: Range<Int>) -> Int {
        range.isEmpty ? range.lowerBound : min(range.upperBound - 1, range.lowerBound + Int(Double(range.count) * fraction))
    }
}
