/// The type of a metric family.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram, untyped
}

/// Writes Prometheus text 0.0.4 or OpenMetrics 1.0 into one reusable byte buffer, in one pass, without
/// building intermediate strings or label arrays.
///
/// Rules a caller keeps: announce a family (`family`) before its samples and write every family once,
/// contiguously; counter family names end in `_total` (the writer drops the suffix on OpenMetrics
/// `HELP`/`TYPE` lines, as the spec wants, and the samples keep it); write samples as `beginSample`, then
/// `label`s, then `endSample`. Label values and help text are escaped here. `finish()` adds OpenMetrics'
/// `# EOF`. `reset()` keeps the buffer's capacity, so a long-lived writer stops allocating after the first
/// render of a given size.
public struct ExpositionWriter: Sendable {
    public let format: ExpositionFormat
    /// The rendered bytes so far.
    public private(set) var bytes: [UInt8] = []
    private var labelsOpen = false

    public init(format: ExpositionFormat, reservingCapacity capacity: Int = 0) {
        self.format = format
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        labelsOpen = false
    }

    /// `# HELP` and `# TYPE` for a family.
    public mutating func family(_ name: String, _ type: MetricType, help: String) {
        var familyName = Substring(name)
        if format == .openMetrics && type == .counter && name.hasSuffix("_total") {
            familyName = familyName.dropLast(6)
        }
        append("# HELP ")
        bytes.append(contentsOf: familyName.utf8)
        bytes.append(UInt8(ascii: " "))
        appendEscaped(help, quotes: format == .openMetrics)
        append("\n# TYPE ")
        bytes.append(contentsOf: familyName.utf8)
        bytes.append(UInt8(ascii: " "))
        append(type.rawValue)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Starts a sample line with the sample's full name (`…_total`, `…_bucket`, …).
    public mutating func beginSample(_ name: String) {
        append(name)
        labelsOpen = false
    }

    /// Adds a label to the sample begun last. `name` must be a valid label name; `value` is escaped.
    public mutating func label(_ name: String, _ value: String) {
        bytes.append(labelsOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        labelsOpen = true
        append(name)
        bytes.append(UInt8(ascii: "="))
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(value, quotes: true)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Ends the sample with an integer value.
    public mutating func endSample(_ value: UInt64) {
        closeLabels()
        appendInteger(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Ends the sample with a floating-point value (`NaN`, `+Inf`, `-Inf` spelled as both formats want).
    public mutating func endSample(_ value: Double) {
        closeLabels()
        appendDouble(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A sample without labels.
    public mutating func sample(_ name: String, _ value: UInt64) {
        beginSample(name)
        endSample(value)
    }

    /// A sample without labels.
    public mutating func sample(_ name: String, _ value: Double) {
        beginSample(name)
        endSample(value)
    }

    /// Appends bytes another writer of the same format rendered (whole sample lines).
    public mutating func appendRaw(_ rendered: ArraySlice<UInt8>) {
        bytes.append(contentsOf: rendered)
    }

    /// Ends the exposition (`# EOF` for OpenMetrics; nothing for text).
    public mutating func finish() {
        if format == .openMetrics { append("# EOF\n") }
    }

    // MARK: - Bytes

    private mutating func closeLabels() {
        if labelsOpen { bytes.append(UInt8(ascii: "}")) }
        bytes.append(UInt8(ascii: " "))
        labelsOpen = false
    }

    @inline(__always)
    private mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    /// Escapes `\` as `\\` and newline as `\n`, and `"` as `\"` when `quotes` (label values; OpenMetrics
    /// help text).
    private mutating func appendEscaped(_ string: String, quotes: Bool) {
        var string = string
        string.withUTF8 { utf8 in
            var needsEscape = false
            for byte in utf8 where byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || (quotes && byte == UInt8(ascii: "\"")) {
                needsEscape = true
                break
            }
            if !needsEscape {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\"") where quotes: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\""))
                default: bytes.append(byte)
                }
            }
        }
    }

    private mutating func appendInteger(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var v = value
            var i = 20
            while v > 0 {
                i -= 1
                digits[i] = UInt8(ascii: "0") &+ UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i..<20]))
        }
    }

    private mutating func appendDouble(_ value: Double) {
        if value.isNaN { append("NaN"); return }
        if value.isInfinite { append(value > 0 ? "+Inf" : "-Inf"); return }
        if value == value.rounded(), abs(value) < 1e15 {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            appendInteger(UInt64(abs(value)))
            return
        }
        append(value.description)
    }

    /// The text of a histogram bound for the `le` label: `+Inf`, or the shortest form that reads back as the
    /// same double (`0.005`, `1.0`, `2.5`), as both formats accept.
    public static func boundLabel(_ bound: Double) -> String {
        if bound.isInfinite { return bound > 0 ? "+Inf" : "-Inf" }
        if bound.isNaN { return "NaN" }
        return bound.description
    }
}
