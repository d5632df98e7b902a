import Foundation
import PackagePlugin

/// Generates `BuildIdentity.swift` for the target: the version from the package's `VERSION` file (the one
/// place the version is written) and, when the release build left one, the git revision and build date
/// from `.build-identity` at the package root (`revision=…` and `date=…` lines; `make release` and the
/// Dockerfile write it). Without that file both are "unknown", so a plain `swift build` never depends on git.
///
/// The values travel as the tool's arguments: SwiftPM re-runs a command whose arguments changed, so a new
/// revision or version regenerates the file even though its inputs' modification times say nothing.
@main
struct BuildIdentityPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let versionFile = root.appending(path: "VERSION")
        let stampFile = root.appending(path: ".build-identity")
        let version = try String(contentsOf: versionFile, encoding: .utf8)
        var inputs = [versionFile]
        var stamp = ""
        if FileManager.default.fileExists(atPath: stampFile.path) {
            stamp = try String(contentsOf: stampFile, encoding: .utf8)
            inputs.append(stampFile)
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildIdentity+Generated.swift")
        return [
            .buildCommand(
                displayName: "Generating the build identity from VERSION",
                executable: try context.tool(named: "build-identity").url,
                arguments: [output.path, version, stamp],
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
