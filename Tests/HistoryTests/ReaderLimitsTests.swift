import Foundation
import History
import Testing

/// The bounds on history reads: a deadline per call, a window of ids per page for scans of every target, a
/// pool of readers that refuses rather than queues, reasons made safe before they are stored, and a database
/// path that is a symbolic link refused.
@Suite struct ReaderLimitsTests {
    /// A database holding `count` events (one target unless `targets` says otherwise).
    static func database(_ directory: TempDirectory, count: Int, targets: Int = 1) throws -> String {
        let path = try migratedDatabase(in: directory)
        let writer = try HistoryWriter(path: path)
        writer.append(contentsOf: (0..<count).map { event($0, target: "t\($0 % targets)") })
        writer.close()
        return path
    }

    @Test func aScanOfEveryTargetLooksAtOneWindowPerPageAndTheCursorsCoverEverything() throws {
        let directory = TempDirectory()
        let path = try Self.database(directory, count: 1000, targets: 3)
        let reader = try HistoryReader(path: path, scanWindow: 100)
        // Nothing matches until=1: each page is empty but continues after its window, and the pages end.
        var query = try HistoryQuery.parse([(key: "until", value: "1")])
        var pages = 0
        while pages < 50 {
            let page = try reader.events(query)
            pages += 1
            #expect(page.events.isEmpty)
            guard let cursor = page.nextCursor else { break }
            query.afterID = HistoryQuery.decodeCursor(cursor)
        }
        #expect(pages == 10)
        // With a target the index bounds the walk: no window, one page.
        let one = try reader.events(HistoryQuery(target: "t1", limit: 10_000))
        #expect(one.events.count == 333 && one.nextCursor == nil)
        // All pages of a scan give every row once, in order.
        var all: [Int64] = []
        var scan = HistoryQuery(limit: 64)
        for _ in 0..<100 {
            let page = try reader.events(scan)
            all += page.events.map(\.id)
            guard let cursor = page.nextCursor else { break }
            scan.afterID = HistoryQuery.decodeCursor(cursor)
        }
        #expect(all == Array(1...1000))
    }

    @Test func aQueryPastItsDeadlineStopsWithAnInterrupt() throws {
        let directory = TempDirectory()
        let path = try Self.database(directory, count: 200_000)
        let reader = try HistoryReader(path: path, queryTimeout: .milliseconds(1))
        // Availability over every event sorts them all: far more than 1 ms of work.
        let started = ContinuousClock.now
        #expect {
            _ = try reader.availability(target: "t0", window: .seconds(1_000_000_000), now: 1_800_000_000_000_000)
        } throws: { error in
            (error as? SQLiteError)?.isInterrupted == true
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        // The next call gets a fresh deadline, and a cheap one passes.
        #expect(try reader.events(HistoryQuery(target: "t0", limit: 1)).events.count == 1)
    }

    @Test func thePoolLendsEachReaderOnceAndRefusesWhenAllAreOut() throws {
        let directory = TempDirectory()
        let path = try Self.database(directory, count: 10)
        let pool = try HistoryReaderPool(path: path, count: 2, queryTimeout: .seconds(2))
        #expect(pool.count == 2 && pool.available == 2)
        let nested = try pool.withReader { first throws(SQLiteError) in
            try pool.withReader { second throws(SQLiteError) in
                #expect(first !== second)
                #expect(pool.available == 0)
                return try pool.withReader { _ in 1 } == nil
            }
        }
        #expect(nested == .some(.some(true)))
        #expect(pool.available == 2)
    }

    @Test func reasonsAreStrippedOfControlCharactersAndCut() {
        #expect(ReasonText.sanitized("connection refused") == "connection refused")
        #expect(ReasonText.sanitized("bad\u{1B}[31mred\u{07}\r\n") == "bad [31mred   ")
        #expect(ReasonText.sanitized("a\u{202E}b\u{9B}c") == "a b c")
        let long = ReasonText.sanitized(String(repeating: "é", count: 1000))
        #expect(long.count == ReasonText.maximumLength && long.hasSuffix("…"))
        #expect(ReasonText.sanitized(String(repeating: "x", count: ReasonText.maximumLength)).count == ReasonText.maximumLength)
        #expect(ReasonText.forTerminal("ok\u{1B}]0;pwned\u{07}") == "ok\\u{1b}]0;pwned\\u{7}")
    }

    @Test func aSymbolicLinkAtTheDatabasePathIsRefused() throws {
        let directory = TempDirectory()
        let link = directory.file("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory.file("elsewhere.db"))
        #expect {
            try Migrator().migrate(path: link)
        } throws: { error in
            (error as? MigrationError)?.message.contains("symbolic link") == true
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("elsewhere.db")))
    }
}
