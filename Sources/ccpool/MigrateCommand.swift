import ArgumentParser
import CCPoolService
import Foundation
import History

/// `ccpool migrate`: apply the embedded migrations to a database and exit.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema migrations (built into the binary) to a database file and exit."
    )

    @Option(name: .long, help: "The SQLite database file (default: the configured database, else ./ccpool.db).")
    var database: String?

    func run() throws {
        umask(0o027)  // a database created here is not for other users (0640), as with `ccpool serve`
        let path = database ?? ProcessInfo.processInfo.environment["CCPOOL_DATABASE"] ?? ServiceSettings.embeddedDefault.database
        do {
            let report = try Migrator().migrate(path: path)
            let applied = report.applied.isEmpty ? "nothing to apply" : "applied \(report.applied.map(String.init).joined(separator: ", "))"
            print("\(path): schema version \(report.version) (\(applied))")
        } catch {
            FileHandle.standardError.write(Data("ccpool migrate: \(path): \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}
