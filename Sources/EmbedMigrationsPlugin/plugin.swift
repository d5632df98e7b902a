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
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations+Generated.swift")
        // The tool lists the directory itself when it runs. Inputs: the directory (its mtime changes when a
        // file is added, removed or renamed) and, when still present, each file (content edits). Listing the
        // files alone would leave a stale build plan pointing at a deleted file.
        return [
            .buildCommand(
                displayName: "Embedding migrations from migrations/",
                executable: try context.tool(named: "embed-migrations").url,
                arguments: [output.path, directory.path],
                inputFiles: [directory] + files,
                outputFiles: [output]
            )
        ]
    }
}
