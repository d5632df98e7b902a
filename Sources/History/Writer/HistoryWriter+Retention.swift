import Foundation

/// Where the writer is in a retention run: waiting for the next run, deleting rows older than a cutoff in
/// small transactions, or giving the freed pages back with `incremental_vacuum`.
enum RetentionPhase {
    case idle(nextRun: ContinuousClock.Instant)
    case deleting(cutoff: Int64)
    case vacuuming

    /// Whether a step is due: always in the middle of a run, else once the next run's time has come.
    func isDue(at now: ContinuousClock.Instant) -> Bool {
        if case .idle(let next) = self { return now >= next }
        return true
    }
}

extension HistoryWriter {
    /// One step of retention: a DELETE batch, or an incremental_vacuum step, or scheduling the next run.
    /// Runs on the writer thread between batches, so queued events never wait behind more than one step.
    func retentionStep(_ connection: WriterConnection, _ phase: RetentionPhase, clock: ContinuousClock) -> RetentionPhase {
        guard let retention = configuration.retention else { return phase }
        let retentionMicros = retention.components.seconds * 1_000_000 + retention.components.attoseconds / 1_000_000_000_000
        do {
            switch phase {
            case .idle:
                return .deleting(cutoff: configuration.clock() - retentionMicros)
            case .deleting(let cutoff):
                let deleted = try connection.deleteOlder(than: cutoff, limit: configuration.retentionBatchSize)
                updateCounters { $0.retentionDeleted += Int64(deleted) }
                return deleted < configuration.retentionBatchSize ? .vacuuming : phase
            case .vacuuming:
                let remaining = try connection.vacuumStep(pages: configuration.vacuumPagesPerStep)
                if remaining > 0 { return .vacuuming }
                let bytes = Self.fileBytes(path)
                updateCounters {
                    $0.databaseBytes = bytes
                    $0.retentionRuns += 1
                }
                return .idle(nextRun: clock.now + configuration.retentionInterval)
            }
        } catch {
            updateCounters { $0.retentionErrors += 1 }
            return .idle(nextRun: clock.now + configuration.retentionInterval)
        }
    }
}
