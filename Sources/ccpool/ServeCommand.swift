import ArgumentParser
import CCPoolService
import Foundation
import HTTPServer
import Logging
import ServiceLifecycle
import UnixSignals

/// `ccpool serve`: the service.
///
/// Start-up: configuration (flags, `CCPOOL_*`, file, embedded default), the database (migrations
/// applied, or refused with a clear message), the pool with its targets, then the HTTP server.
/// SIGHUP reloads the config file. SIGTERM/SIGINT stop the HTTP server, shut the pool down
/// (SHUTDOWN recorded for every channel and subchannel), drain and close the history, and exit 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service: keep a gRPC channel open to every target and serve /metrics, the API and the dashboard."
    )

    @OptionGroup var options: SettingOptions

    func run() async throws {
        MemoryTuning.returnLargeBuffersToTheSystem()
        // Files this process creates (the database, its WAL and shared-memory files) are not for others:
        // SQLite asks for 0644, which becomes 0640.
        umask(0o027)
        let settings = try options.load()
        LogSetup.bootstrap(level: settings.logLevel, format: settings.logFormat)
        let logger = Logger(label: "ccpool")
        let launch = ServiceRuntime.Launch(
            configFlag: options.config, environment: ProcessInfo.processInfo.environment, flags: options.flags,
            hostname: ProcessInfo.processInfo.hostName)

        // Threads are cheap and a waiting pick or history read holds one (asleep): keep plenty, so probes
        // and scrapes are answered while they wait. At most half of them wait in picks and a quarter in
        // history reads (`history.readers`), so a quarter always stays free.
        let httpThreads = min(32, max(16, 4 * HTTPServerConfiguration.defaultThreadCount))
        let runtime: ServiceRuntime
        do {
            runtime = try await ServiceRuntime.start(settings: settings, launch: launch, logger: logger, httpThreads: httpThreads)
        } catch {
            logger.critical("cannot start: \(error)")
            FileHandle.standardError.write(Data("ccpool: cannot start: \(error)\n".utf8))
            throw ExitCode(1)
        }

        let api = APIRouter(runtime: runtime, httpThreads: httpThreads)
        let server: HTTPServer
        do {
            server = try HTTPServer(
                configuration: HTTPServerConfiguration(
                    host: settings.listen.host, port: UInt16(settings.listen.port), threadCount: httpThreads,
                    connectionLimit: settings.limits.maxConnections,
                    perIPConnectionLimit: settings.limits.maxConnectionsPerClient,
                    connectionTimeoutSeconds: Int(settings.limits.idleTimeout.nanoseconds / 1_000_000_000),
                    requestTimeoutSeconds: Int(settings.limits.requestTimeout.nanoseconds / 1_000_000_000),
                    offloadThreads: runtime.readers.count),
                router: api.router, observer: api.observer)
        } catch {
            logger.critical("cannot serve HTTP on \(settings.listen): \(error)")
            FileHandle.standardError.write(Data("ccpool: cannot serve HTTP on \(settings.listen): \(error)\n".utf8))
            await runtime.shutdownPool()
            runtime.closeHistory()
            throw ExitCode(1)
        }

        logger.notice(
            "ccpool started",
            metadata: [
                "listen": "\(settings.listen.host):\(server.port)", "database": "\(settings.database)",
                "shards": "\(runtime.pool.shardCount)", "targets": "\(runtime.pool.targetNames.count)",
                "replica": "\(runtime.replica.index)/\(runtime.replica.count)",
            ])

        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: HistoryLifecycle(runtime: runtime, logger: logger), serviceName: "history"),
                .init(service: PoolLifecycle(runtime: runtime), serviceName: "pool"),
                .init(service: HTTPLifecycle(server: server), serviceName: "http"),
                .init(service: ReloadOnSIGHUP(runtime: runtime), serviceName: "reload"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = settings.shutdownDeadline.duration
        try await ServiceGroup(configuration: configuration).run()
        logger.notice("ccpool stopped")
    }
}

/// Last to stop: drains, commits and checkpoints the history.
struct HistoryLifecycle: Service {
    let runtime: ServiceRuntime
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        runtime.closeHistory()
        let counters = runtime.history.snapshot
        logger.notice("history closed", metadata: ["written": "\(counters.written)", "dropped": "\(counters.dropped)"])
    }
}

/// Shuts every channel down once HTTP has stopped.
struct PoolLifecycle: Service {
    let runtime: ServiceRuntime

    func run() async throws {
        try? await gracefulShutdown()
        await runtime.shutdownPool()
    }
}

/// First to stop: no new requests.
struct HTTPLifecycle: Service {
    let server: HTTPServer

    func run() async throws {
        try? await gracefulShutdown()
        server.quiesce()
        server.stop(grace: .milliseconds(500))
    }
}

/// Re-reads the config file on every SIGHUP.
struct ReloadOnSIGHUP: Service {
    let runtime: ServiceRuntime

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await runtime.reload()
        }
    }
}
