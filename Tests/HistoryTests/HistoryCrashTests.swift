import CSQLite
import Foundation
@testable import History
import Testing

@Suite struct HistoryCrashTests {
    /// A real child process (`history-crash-child`) appends as fast as it can and prints the highest
    /// committed id; we SIGKILL it mid-stream, reopen, and check integrity and that every reported row is there.
    @Test func sigkillDuringIngestLosesNothingCommitted() throws {
        let child = try #require(Self.childExecutable(), "history-crash-child not built next to the test binary")
        let dir = TempDirectory()
        let path = dir.file("crash.db")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: child)
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()

        var buffer = Data()
        var lastCommitted: Int64 = 0
        var reports = 0
        let reader = pipe.fileHandleForReading
        while lastCommitted < 50_000 || reports < 5 {
            let chunk = reader.availableData
            if chunk.isEmpty { break }  // child exited
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix("committed "), let id = Int64(line.dropFirst(10)) {
                    lastCommitted = max(lastCommitted, id)
                    reports += 1
                }
            }
        }
        #expect(process.isRunning, "child exited early")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(lastCommitted >= 50_000)

        let db = try Database(path: path, mode: .readWrite(create: false))
        #expect(try db.pragma("integrity_check")?.string == "ok")
        let count = try db.scalar("SELECT count(*) FROM events WHERE id <= ?", .integer(lastCommitted))?.int64
        #expect(count == lastCommitted)
        let matching = try db.scalar("SELECT count(*) FROM events WHERE id <= ? AND reason = 'seq ' || id", .integer(lastCommitted))?.int64
        #expect(matching == lastCommitted)
        try db.close()
        // And it is usable again: migrations up to date, a new writer continues after the last id.
        #expect(try Migrator().migrate(path: path).applied == [])
        let writer = try HistoryWriter(path: path)
        #expect(writer.snapshot.lastCommittedID >= lastCommitted)
        writer.append(event(1))
        writer.close()
        #expect(writer.snapshot.written == 1)
    }

    static func childExecutable() -> String? {
        var candidates: [URL] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(argv0.deletingLastPathComponent())
        // .../x.xctest/Contents/MacOS/x on Darwin; the products directory on Linux.
        candidates.append(argv0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let path = directory.appendingPathComponent("history-crash-child").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
