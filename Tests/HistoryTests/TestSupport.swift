import CSQLite
import Foundation
import History
import Testing

/// A fresh directory under /tmp, removed (and unmounted, if a test mounted it) at deinit.
final class TempDirectory {
    let path: String
    private(set) var mounted = false

    init(_ label: String = #function) {
        let clean = label.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "history-test-\(clean.prefix(40))-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Mounts a tmpfs at this directory (`options` e.g. "size=2m" or "ro"). False when mounting is not
    /// permitted here (not root, no CAP_SYS_ADMIN, ...); callers then use another way.
    func mountTmpfs(options: String) -> Bool {
        guard run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]) == 0 else { return false }
        mounted = true
        return true
    }

    deinit {
        if mounted { _ = run("/bin/umount", ["-l", path]) }
        try? FileManager.default.removeItem(atPath: path)
    }
}

@discardableResult
func run(_ executable: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}

/// Polls `condition` every 2 ms until it holds or `timeout` passes. Returns whether it held.
func waitUntil(timeout: Duration = .seconds(60), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return true }
        usleep(2000)
    }
    return try condition()
}

/// A migrated database file in `directory`.
func migratedDatabase(in directory: TempDirectory, name: String = "history.db") throws -> String {
    let path = directory.file(name)
    try Migrator().migrate(path: path)
    return path
}

/// Deterministic RNG (SplitMix64) so random tests are reproducible from their seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func event(_ n: Int, target: String = "t", time: Int64? = nil, reason: String? = nil) -> HistoryEvent {
    HistoryEvent(time: time ?? 1_700_000_000_000_000 + Int64(n), target: target, scope: n % 3 == 0 ? .channel : .subchannel,
                 subchannel: n % 3 == 0 ? nil : Int64(n % 7), address: n % 3 == 0 ? nil : "10.0.0.\(n % 7):50051",
                 from: .connecting, to: .ready, reason: reason ?? "seq \(n)")
}

/// All rows of `events` in id order, read through a fresh read-only connection.
func allEvents(_ path: String) throws -> [StoredEvent] {
    let reader = try HistoryReader(path: path)
    var result: [StoredEvent] = []
    var query = HistoryQuery(limit: 10_000)
    while true {
        let page = try reader.events(query)
        result += page.events
        guard let cursor = page.nextCursor else { return result }
        query.afterID = HistoryQuery.decodeCursor(cursor)
    }
}

func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// The writer's counters must always satisfy written + queueDepth + dropped == appended.
func checkInvariant(_ c: HistoryWriter.Counters, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(c.written + c.queueDepth + c.dropped == c.appended, "\(c)", sourceLocation: sourceLocation)
}
