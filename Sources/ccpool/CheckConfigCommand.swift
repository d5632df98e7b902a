import ArgumentParser
import CCPoolService
import Foundation

/// `ccpool check-config FILE`: validate, print every problem with file, line and column.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file; print every problem (file:line:column) and exit 1 if there is any."
    )

    @Argument(help: "The YAML config file.")
    var file: String

    func run() throws {
        let check = ConfigCheck.run(path: file, environment: ProcessInfo.processInfo.environment)
        if check.diagnostics.isEmpty {
            print(check.summary)
            return
        }
        for diagnostic in check.diagnostics {
            FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
        }
        FileHandle.standardError.write(Data("\(check.summary)\n".utf8))
        throw ExitCode(check.exitCode)
    }
}
