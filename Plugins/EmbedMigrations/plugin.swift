import Foundation
import PackagePlugin

/// Embeds the package's top-level `migrations/*.sql` into the target as generated Swift
/// (`EmbeddedMigrations.all`), so a binary finds its migrations from any directory or container and cannot
/// drift from the files. The file list is read on every build, so adding or removing a file re-runs it.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "migrations")
        let files = try FileManager.default
            .contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations+Generated.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) migration(s) from migrations/",
                executable: try context.tool(named: "embed-migrations").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
