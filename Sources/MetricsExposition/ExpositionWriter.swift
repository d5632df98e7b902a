import SharedBytes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The type of a metric family.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram, untyped
}

/// Writes Prometheus text 0.0.4 or OpenMetrics 1.0 into one growable byte buffer, in one pass, without
/// building intermediate strings or label arrays.
///
/// Rules a caller keeps: announce a family (`family`) before its samples and write every family once,
/// contiguously; counter family names end in `_total` (the writer drops the suffix on OpenMetrics
/// `HELP`/`TYPE` lines, as the spec wants, and the samples keep it); write samples as `beginSample`, then
/// `label`s, then `endSample`. Label values and help text are escaped here. `finish()` adds OpenMetrics'
/// `# EOF`. `reset()` keeps the buffer's capacity, so a long-lived writer stops allocating after the first
/// render of a given size.
///
/// The buffer is a `malloc` allocation the writer owns alone (hence non-copyable): it grows with `realloc`
/// (for a large body, a remapping rather than a copy) and can be handed to a ``SharedBuffer`` as it is
/// (``sharedBuffer()``), so a rendered body is never copied on its way to the HTTP server.
public struct ExpositionWriter: ~Copyable, @unchecked Sendable {
    // @unchecked: the pointer is owned by this non-copyable value alone; nothing else reads or writes it.
    public let format: ExpositionFormat
    private var start: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// How many bytes are written.
    public private(set) var count = 0
    private var labelsOpen = false

    public init(format: ExpositionFormat, reservingCapacity capacity: Int = 0) {
        self.format = format
        self.capacity = Swift.max(capacity, 256)
        guard let start = malloc(self.capacity) else { fatalError("out of memory reserving \(capacity) bytes") }
        self.start = start.assumingMemoryBound(to: UInt8.self)
    }

    deinit { free(start) }

    /// A copy of the bytes written (for tests and small outputs).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: start, count: count)) }

    /// Reads the bytes written, without copying.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// Hands the bytes written to a shared buffer, without copying.
    public consuming func sharedBuffer() -> SharedBuffer {
        let (start, count) = (self.start, self.count)
        discard self
        return SharedBuffer(adoptingMallocated: start, count: count)
    }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() {
        count = 0
        labelsOpen = false
    }

    /// Makes room for at least `extra` more bytes.
    public mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(extra) }
    }

    @inline(never)
    private mutating func grow(_ extra: Int) {
        let wanted = Swift.max(capacity * 2, count + extra)
        guard let grown = realloc(start, wanted) else { fatalError("out of memory growing to \(wanted) bytes") }
        start = grown.assumingMemoryBound(to: UInt8.self)
        capacity = wanted
    }

    // MARK: - Families and samples

    /// `# HELP` and `# TYPE` for a family.
    public mutating func family(_ name: String, _ type: MetricType, help: String) {
        var familyName = Substring(name)
        if format == .openMetrics && type == .counter && name.hasSuffix("_total") {
            familyName = familyName.dropLast(6)
        }
        append("# HELP ")
        append(familyName.utf8)
        append(" ")
        appendEscaped(help, quotes: format == .openMetrics)
        append("\n# TYPE ")
        append(familyName.utf8)
        append(" ")
        append(type.rawValue)
        append("\n")
    }

    /// Starts a sample line with the sample's full name (`…_total`, `…_bucket`, …).
    public mutating func beginSample(_ name: String) {
        append(name)
        labelsOpen = false
    }

    /// Adds a label to the sample begun last. `name` must be a valid label name; `value` is escaped.
    public mutating func label(_ name: String, _ value: String) {
        appendByte(labelsOpen ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        labelsOpen = true
        append(name)
        append("=\"")
        appendEscaped(value, quotes: true)
        appendByte(UInt8(ascii: "\""))
    }

    /// Ends the sample with an integer value.
    public mutating func endSample(_ value: UInt64) {
        closeLabels()
        reserve(21)
        putDecimal(value)
        putByte(UInt8(ascii: "\n"))
    }

    /// Ends the sample with a floating-point value (`NaN`, `+Inf`, `-Inf` spelled as both formats want).
    public mutating func endSample(_ value: Double) {
        closeLabels()
        appendDouble(value)
        appendByte(UInt8(ascii: "\n"))
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

    /// Ends the exposition (`# EOF` for OpenMetrics; nothing for text).
    public mutating func finish() {
        if format == .openMetrics { append("# EOF\n") }
    }

    private mutating func closeLabels() {
        if labelsOpen { appendByte(UInt8(ascii: "}")) }
        appendByte(UInt8(ascii: " "))
        labelsOpen = false
    }

    // MARK: - Bytes

    /// Appends `bytes` as they are.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        put(bytes.baseAddress, bytes.count)
    }

    mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    private mutating func append(_ utf8: Substring.UTF8View) {
        if utf8.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) == nil {
            append(String(Substring(utf8)))
        }
    }

    mutating func appendByte(_ byte: UInt8) {
        reserve(1)
        putByte(byte)
    }

    /// Appends `string` escaped for a label value (`\` → `\\`, newline → `\n`, `"` → `\"`) or, without
    /// `quotes`, for text-format help (quotes stay).
    mutating func appendEscaped(_ string: String, quotes: Bool) {
        var string = string
        string.withUTF8 { utf8 in
            reserve(utf8.count * 2)
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): putByte(UInt8(ascii: "\\")); putByte(UInt8(ascii: "\\"))
                case UInt8(ascii: "\n"): putByte(UInt8(ascii: "\\")); putByte(UInt8(ascii: "n"))
                case UInt8(ascii: "\"") where quotes: putByte(UInt8(ascii: "\\")); putByte(UInt8(ascii: "\""))
                default: putByte(byte)
                }
            }
        }
    }

    mutating func appendDouble(_ value: Double) {
        if value.isNaN { append("NaN"); return }
        if value.isInfinite { append(value > 0 ? "+Inf" : "-Inf"); return }
        if value == value.rounded(), abs(value) < 1e15 {
            reserve(21)
            if value < 0 { putByte(UInt8(ascii: "-")) }
            putDecimal(UInt64(abs(value)))
            return
        }
        append(value.description)
    }

    // MARK: - Unchecked writes (the caller has reserved the room)

    @inline(__always)
    mutating func put(_ bytes: UnsafeRawPointer?, _ n: Int) {
        guard n > 0, let bytes else { return }
        UnsafeMutableRawPointer(start + count).copyMemory(from: bytes, byteCount: n)
        count += n
    }

    @inline(__always)
    mutating func putByte(_ byte: UInt8) {
        start[count] = byte
        count += 1
    }

    /// At most 20 bytes.
    @inline(__always)
    mutating func putDecimal(_ value: UInt64) {
        if value < 10 {
            putByte(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits = 1
        var rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        var v = value
        var i = count + digits
        while i > count {
            i -= 1
            start[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
        }
        count += digits
    }

    /// The text of a histogram bound for the `le` label: `+Inf`, or the shortest form that reads back as the
    /// same double (`0.005`, `1.0`, `2.5`), as both formats accept.
    public static func boundLabel(_ bound: Double) -> String {
        if bound.isInfinite { return bound > 0 ? "+Inf" : "-Inf" }
        if bound.isNaN { return "NaN" }
        return bound.description
    }
}
