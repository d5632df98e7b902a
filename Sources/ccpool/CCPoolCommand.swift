import ArgumentParser
import CCPoolService

/// The `ccpool` executable: one binary, one subcommand per job (docs/api.md).
@main
struct CCPoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ccpool",
        abstract: "A sharded pool of gRPC client connections that reports the truth about each one.",
        version: CCPoolVersion.text,
        subcommands: [ServeCommand.self, MigrateCommand.self, HistoryCommand.self, CheckConfigCommand.self, VersionCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
