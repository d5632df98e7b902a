import ArgumentParser
import CCPoolService
import Foundation
import History
import Vocabulary

/// `ccpool migrate`: apply the embedded migrations to a database and exit.
///
/// Before a migration that rewrites existing rows it checks the free disk space and refuses, changing
/// nothing, when there is too little; while it runs it reports rows done, rows/s and the time left (one
/// updating line on a terminal, log lines otherwise).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema migrations (built into the binary) to a database file and exit.",
        discussion: """
            A migration that rewrites existing history first checks that the file system has room for a \
            second copy of it, and refuses (exit 1, nothing changed) when it has not. Progress goes to \
            standard error: one updating line on a terminal, a log line every --progress-interval otherwise.
            """
    )

    @Option(name: .long, help: "The SQLite database file (default: $CCPOOL_DATABASE, else ./ccpool.db; it reads no config file).")
    var database: String?

    @Option(name: .long, help: "Seconds between progress reports (default: 0.25 on a terminal, 2 otherwise).")
    var progressInterval: Double?

    func run() throws {
        umask(0o027)  // a database created here is not for other users (0640), as with `ccpool serve`
        let path = database ?? ProcessInfo.processInfo.environment["CCPOOL_DATABASE"] ?? ServiceSettings.embeddedDefault.database
        let printer = MigrationProgressPrinter(terminal: isatty(STDERR_FILENO) == 1)
        let interval = progressInterval ?? (printer.terminal ? 0.25 : 2)
        guard interval > 0, interval.isFinite else {
            FileHandle.standardError.write(Data("ccpool migrate: --progress-interval must be a positive number of seconds\n".utf8))
            throw ExitCode(2)
        }
        do {
            let report = try Migrator().migrate(
                path: path, progressInterval: .milliseconds(Int64(interval * 1000)), progress: printer.report)
            let applied = report.applied.isEmpty ? "nothing to apply" : "applied \(report.applied.map(String.init).joined(separator: ", "))"
            print("\(path): schema version \(report.version) (\(applied))")
        } catch {
            FileHandle.standardError.write(Data("ccpool migrate: \(path): \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Writes migration progress to standard error: on a terminal one line rewritten in place (`\r`), else a
/// timestamped line per report, which is what a container log or CI output keeps.
struct MigrationProgressPrinter: Sendable {
    let terminal: Bool

    func report(_ progress: MigrationProgress) {
        let text: String
        if terminal {
            // Clear to the end of the line: a shorter report must not leave the tail of a longer one.
            text = "\r\u{1B}[K" + progress.summary + (progress.finished ? "\n" : "")
        } else {
            text = "\(RFC3339.format(Date())) ccpool migrate: \(progress.summary)\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
