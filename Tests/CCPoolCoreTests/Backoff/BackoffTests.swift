import CCPoolCore
import NIOCore
import Testing

@Suite("Connection backoff")
struct BackoffTests {
    let config = BackoffConfiguration()

    @Test("defaults are gRPC's: 1 s, ×1.6, jitter 0.2, cap 120 s, min connect timeout 20 s")
    func defaults() {
        #expect(config.baseDelay == .seconds(1))
        #expect(config.multiplier == 1.6)
        #expect(config.jitter == 0.2)
        #expect(config.maxDelay == .seconds(120))
        #expect(config.minConnectTimeout == .seconds(20))
    }

    @Test("backoff(0) is exactly the base delay, whatever the randomness")
    func firstValueExact() {
        for fraction in [0.0, 0.5, 1.0] {
            var random = FixedRandomSource(fraction: fraction)
            #expect(config.delay(afterFailures: 0, random: &random) == .seconds(1))
        }
    }

    @Test("jitter bounds: ×0.8 at the low end and ×1.2 at the high end")
    func jitterBounds() {
        var low = FixedRandomSource(fraction: 0)
        var high = FixedRandomSource(fraction: 1)
        // backoff(1) = 1.6 s before jitter.
        #expect(config.delay(afterFailures: 1, random: &low) == .milliseconds(1280))
        #expect(config.delay(afterFailures: 1, random: &high) == .milliseconds(1920))
        var seeded = SeededRandomSource(seed: 42)
        for n in 1...20 {
            let raw = min(1.0 * pow(1.6, Double(n)), 120.0)
            let seconds = Double(config.delay(afterFailures: n, random: &seeded).nanoseconds) / 1e9
            #expect(seconds >= raw * 0.8 - 1e-9 && seconds <= raw * 1.2 + 1e-9, "n=\(n): \(seconds)")
        }
    }

    @Test("the cap applies before jitter: never above 120 s × 1.2")
    func cap() {
        var high = FixedRandomSource(fraction: 1)
        var mid = FixedRandomSource(fraction: 0.5)
        #expect(config.delay(afterFailures: 50, random: &mid) == .seconds(120))
        #expect(config.delay(afterFailures: 1_000, random: &high) == .seconds(144))
    }

    @Test("the exact sequence without jitter")
    func sequence() {
        let noJitter = BackoffConfiguration(jitter: 0)
        var random = SystemRandomSource()
        let millis = (0..<12).map { noJitter.delay(afterFailures: $0, random: &random).nanoseconds / 1_000_000 }
        #expect(millis == [1000, 1600, 2560, 4096, 6553, 10485, 16777, 26843, 42949, 68719, 109951, 120000])
    }

    @Test("a pass gets max(min connect timeout, backoff(n))")
    func passTimeout() {
        var random = FixedRandomSource(fraction: 0.5)
        #expect(config.passTimeout(afterFailures: 0, random: &random) == .seconds(20))
        #expect(config.passTimeout(afterFailures: 12, random: &random) == .seconds(120))
    }

    @Test("bad configurations are rejected with the field named")
    func validation() {
        #expect(throws: BackoffConfigurationError.self) { try BackoffConfiguration(baseDelay: .zero).validate() }
        #expect(throws: BackoffConfigurationError.self) { try BackoffConfiguration(multiplier: 0.5).validate() }
        #expect(throws: BackoffConfigurationError.self) { try BackoffConfiguration(jitter: 1.5).validate() }
        #expect(throws: BackoffConfigurationError.self) {
            try BackoffConfiguration(baseDelay: .seconds(10), maxDelay: .seconds(1)).validate()
        }
        #expect(throws: Never.self) { try BackoffConfiguration().validate() }
    }
}

#if canImport(Glibc)
import Glibc
#endif
