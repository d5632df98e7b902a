import ArgumentParser
import CCPoolService

/// `ccpool version`: the same lines as `ccpool --version` (version, git revision, build date, Swift).
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version, git revision, build date and Swift version of this binary."
    )

    func run() {
        print(CCPoolVersion.text)
    }
}
