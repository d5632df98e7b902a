import ArgumentParser
import CCPoolService
import Foundation
import History
import Vocabulary

/// `ccpool history`: the state history, with the filters of `GET /v1/history`.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Print recorded transitions (JSON lines or a table), filtered like GET /v1/history."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, table
    }

    @Option(name: .long, help: "The SQLite database file (default: CCPOOL_DATABASE, else ./ccpool.db).")
    var database: String?
    @Option(help: "Only this target.") var target: String?
    @Option(help: "channel or subchannel.") var scope: String?
    @Option(help: "Only this subchannel id.") var subchannel: String?
    @Option(help: "Only transitions into this state (IDLE, CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN).") var to: String?
    @Option(help: "From this time (RFC 3339 or Unix seconds).") var since: String?
    @Option(help: "Up to this time (RFC 3339 or Unix seconds).") var until: String?
    @Option(help: "At most this many rows (1–10000, default 1000).") var limit: String?
    @Option(help: "Continue after a previous page's next_cursor.") var cursor: String?
    @Option(help: "json (one event per line) or table.") var format: Format = .json

    func run() throws {
        let path = database ?? ProcessInfo.processInfo.environment["CCPOOL_DATABASE"] ?? ServiceSettings.embeddedDefault.database
        let pairs: [(String, String?)] = [
            ("target", target), ("scope", scope), ("subchannel", subchannel), ("to", to), ("since", since),
            ("until", until), ("limit", limit), ("cursor", cursor),
        ]
        let query: HistoryQuery
        do {
            query = try HistoryQuery.parse(pairs.compactMap { key, value in value.map { (key: key, value: $0) } })
        } catch {
            FileHandle.standardError.write(Data("ccpool history: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("ccpool history: no database at \(path)\n".utf8))
            throw ExitCode(1)
        }
        let page: HistoryPage
        do {
            page = try HistoryReader(path: path).events(query)
        } catch {
            FileHandle.standardError.write(Data("ccpool history: \(path): \(error)\n".utf8))
            throw ExitCode(1)
        }
        switch format {
        case .json:
            for event in page.events { print(HistoryJSON.line(event)) }
            if let next = page.nextCursor { FileHandle.standardError.write(Data("next_cursor: \(next)\n".utf8)) }
        case .table:
            print("id\ttime\ttarget\tscope\tsubchannel\taddress\tfrom\tto\treason")
            for stored in page.events {
                let e = stored.event
                // Stored text may come from a remote server (or an older version that stored it raw): no
                // byte of it reaches the terminal as a control sequence.
                print([
                    String(stored.id), RFC3339.format(micros: e.time), e.target, e.scope.rawValue,
                    e.subchannel.map(String.init) ?? "-", e.address ?? "-", e.from.rawValue, e.to.rawValue, e.reason,
                ].map(ReasonText.forTerminal).joined(separator: "\t"))
            }
            if let next = page.nextCursor { print("next_cursor: \(next)") }
        }
    }
}
