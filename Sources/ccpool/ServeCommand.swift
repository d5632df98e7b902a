import ArgumentParser
import CCPoolCore
import Dispatch
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// `ccpool serve`.
///
/// Today this is the foundation's stub: it logs a start-up line, optionally keeps subchannels
/// connected to the `--watch` targets (logging every transition), and exits 0 on SIGTERM or
/// SIGINT. The pool, the HTTP surface and the history arrive with their issues.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service (foundation stub: logs, and dials --watch targets)."
    )

    @Option(name: .long, help: "Address the HTTP server will listen on (not served yet).")
    var listen: String = "127.0.0.1:9090"

    @Option(name: .long, help: "SQLite database path (not opened yet).")
    var database: String = "./ccpool.db"

    @Option(name: .long, help: "A gRPC target to keep connected, logging every subchannel transition. Repeatable.")
    var watch: [String] = []

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        for target in watch {
            do {
                _ = try ResolverRegistry.standard.parse(target)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "ccpool")
        logger.notice(
            "ccpool started (foundation stub: no HTTP server or history yet)",
            metadata: ["listen": "\(listen)", "database": "\(database)", "watch": "\(watch.count) targets"])

        let watcher = try await TargetWatcher.start(targets: watch, logger: logger)
        let signal = await SignalWaiter.wait(for: [SIGTERM, SIGINT])
        logger.notice("stopping", metadata: ["signal": "\(signal)"])
        await watcher.stop()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
