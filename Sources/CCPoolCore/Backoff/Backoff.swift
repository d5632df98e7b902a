import NIOCore

/// gRPC connection backoff (docs/connection.md, "Subchannels" 8, gRPC's connection-backoff.md), configurable per
/// target.
///
/// `delay(afterFailures: 0)` is exactly `baseDelay`; after n > 0 failures it is
/// `min(baseDelay × multiplierⁿ, maxDelay) × uniform(1 − jitter, 1 + jitter)`.
/// A connection pass gets `max(minConnectTimeout, delay(n))` to succeed.
public struct BackoffConfiguration: Hashable, Sendable {
    public var baseDelay: TimeAmount
    public var multiplier: Double
    public var jitter: Double
    public var maxDelay: TimeAmount
    public var minConnectTimeout: TimeAmount

    public init(
        baseDelay: TimeAmount = .seconds(1),
        multiplier: Double = 1.6,
        jitter: Double = 0.2,
        maxDelay: TimeAmount = .seconds(120),
        minConnectTimeout: TimeAmount = .seconds(20)
    ) {
        self.baseDelay = baseDelay
        self.multiplier = multiplier
        self.jitter = jitter
        self.maxDelay = maxDelay
        self.minConnectTimeout = minConnectTimeout
    }

    /// Checks the values a user may have given, with a message naming the bad one.
    public func validate() throws(BackoffConfigurationError) {
        if baseDelay <= .zero { throw .init("backoff base_delay must be positive") }
        if !(multiplier >= 1.0) || !multiplier.isFinite { throw .init("backoff multiplier must be a number >= 1") }
        if !(0.0...1.0).contains(jitter) { throw .init("backoff jitter must be between 0 and 1") }
        if maxDelay < baseDelay { throw .init("backoff max_delay must not be below base_delay") }
        if minConnectTimeout <= .zero { throw .init("backoff min_connect_timeout must be positive") }
    }

    /// The wait after `failures` consecutive failed passes.
    public func delay(afterFailures failures: Int, random: inout some RandomSource) -> TimeAmount {
        if failures <= 0 { return baseDelay }
        let base = Double(baseDelay.nanoseconds)
        // Computed in Double: multiplierⁿ overflows Int long before the cap stops mattering.
        let grown = min(base * pow(multiplier, Double(failures)), Double(maxDelay.nanoseconds))
        let factor = jitter == 0 ? 1.0 : random.uniform(in: (1 - jitter)...(1 + jitter))
        return .nanoseconds(Int64((grown * factor).rounded()))
    }

    /// How long a pass that starts after `failures` failures may take.
    public func passTimeout(afterFailures failures: Int, random: inout some RandomSource) -> TimeAmount {
        max(minConnectTimeout, delay(afterFailures: failures, random: &random))
    }
}

public struct BackoffConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
