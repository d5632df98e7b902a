import Foundation
import PackagePlugin

/// Embeds the files a target lists in its `EmbeddedFiles.list` (one `constantName path` a line, paths from
/// the package root) as String constants of `EmbeddedFiles`, so the binary serves them from any directory or
/// container and cannot drift from the files in the repository. The list and every listed file are inputs:
/// editing either regenerates the constants.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let list = URL(fileURLWithPath: target.directory.string).appending(path: "EmbeddedFiles.list")
        let root = context.package.directoryURL
        // The tool reports malformed lines; here only the paths matter, to declare them as inputs.
        let text = try String(contentsOf: list, encoding: .utf8)
        let files = text.split(separator: "\n").compactMap { line -> URL? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, !line.hasPrefix("#") else { return nil }
            return root.appending(path: String(fields[1]))
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles+Generated.swift")
        return [
            .buildCommand(
                displayName: "Embedding the files of \(target.name)'s EmbeddedFiles.list",
                executable: try context.tool(named: "embed-files").url,
                arguments: [output.path, list.path, root.path],
                inputFiles: [list] + files,
                outputFiles: [output]
            )
        ]
    }
}
