import NIOCore

/// The `grpc-timeout` header value (gRPC `doc/PROTOCOL-HTTP2.md`): at most 8 ASCII digits and a
/// unit (`H`, `M`, `S`, `m`, `u`, `n`). The finest unit that fits is chosen and the value is
/// rounded up, so the server never sees a shorter deadline than the client's.
public enum GRPCTimeout {
    private static let maximumValue: Int64 = 99_999_999
    private static let units: [(nanoseconds: Int64, symbol: String)] = [
        (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"),
        (3_600_000_000_000, "H"),
    ]

    /// Encodes `timeout` (negative values count as zero).
    public static func encode(_ timeout: TimeAmount) -> String {
        let nanoseconds = max(timeout.nanoseconds, 0)
        for (unit, symbol) in units {
            let value = nanoseconds / unit + (nanoseconds % unit == 0 ? 0 : 1)
            if value <= maximumValue { return "\(value)\(symbol)" }
        }
        return "\(maximumValue)H"
    }

    /// Decodes a header value; nil when it is malformed.
    public static func decode(_ value: String) -> TimeAmount? {
        guard let symbol = value.last, value.count >= 2, value.count <= 9,
              let unit = units.first(where: { $0.symbol == String(symbol) })?.nanoseconds,
              let number = Int64(value.dropLast()), number >= 0
        else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: unit)
        return .nanoseconds(overflow ? .max : product)
    }
}
