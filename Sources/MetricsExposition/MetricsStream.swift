import Synchronization

/// The whole exposition of one snapshot, written a step at a time as the HTTP server asks for the next bytes.
///
/// For a pool whose exposition is too large to hold (tens of megabytes at 15,000 targets): rendering it
/// whole into fresh memory cost more in page faults than in writing (about 200 ms for 55 MB here), and
/// keeping it cost several kilobytes per target. A stream touches one small reused buffer, and each
/// ``read(into:)`` is short (a few dozen targets of one family), so the server thread that sends it is never
/// held up for long.
///
/// The bytes are exactly ``MetricsRenderer/render(_:format:)``'s for the same snapshot. Thread-safe (one
/// `Mutex`), though a server reads one response from one thread at a time.
public final class MetricsStream: Sendable {
    private struct State: ~Copyable {
        var writer: TargetFamiliesWriter
        var position = TargetFamiliesWriter.Position()
        /// The step written last, and how much of it has been handed out.
        var step: ExpositionWriter
        var handedOut = 0
        /// The process-wide families and the end of the exposition, sent after the target families.
        var tail: ExpositionWriter?

        /// Writes the next step (target families, then the tail); false when nothing is left.
        mutating func nextStep() -> Bool {
            step.reset()
            handedOut = 0
            if writer.write(from: &position, into: &step, atLeast: MetricsStream.stepSize) { return true }
            guard let last = tail.take() else { return false }
            last.withUnsafeBytes { step.append($0) }
            return true
        }
    }

    /// About how many bytes each step writes before they are handed out.
    static let stepSize = 64 << 10

    private let state: Mutex<State>

    /// A stream of `snapshot`'s exposition in `format`. The process-wide families are written now, the target
    /// families as they are read.
    public convenience init(_ snapshot: MetricsSnapshot, format: ExpositionFormat) {
        self.init(TargetFamiliesWriter(snapshot), snapshot, format: format)
    }

    /// A stream of the target families `writer` writes, followed by `snapshot`'s process-wide families.
    init(_ writer: consuming TargetFamiliesWriter, _ snapshot: MetricsSnapshot, format: ExpositionFormat) {
        var tail = ExpositionWriter(format: format, reservingCapacity: 8192)
        MetricsRenderer.writeProcessFamilies(snapshot, into: &tail)
        state = Mutex(State(
            writer: writer, step: ExpositionWriter(format: format, reservingCapacity: Self.stepSize * 2), tail: tail))
    }

    /// Copies the next bytes of the exposition into `buffer` (as many as fit) and returns how many; 0 once
    /// the exposition has ended.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        state.withLock { state in
            var filled = 0
            while filled < buffer.count {
                if state.handedOut == state.step.count, !state.nextStep() { break }
                let n = min(buffer.count - filled, state.step.count - state.handedOut)
                state.step.withUnsafeBytes { step in
                    buffer.baseAddress!.advanced(by: filled).copyMemory(
                        from: step.baseAddress!.advanced(by: state.handedOut), byteCount: n)
                }
                state.handedOut += n
                filled += n
            }
            return filled
        }
    }
}

