import CCPoolCore
import ChannelPool
import Foundation
import History
import HTTPServer
import Logging
import NIOCore
import Synchronization

/// The running service: the pool, the history store, the configuration it applied, and the
/// admin-added targets.
///
/// Targets come from two sources. The config file owns the names it defines: the admin API
/// cannot change or delete them (409), and a stored admin target whose name the config file now
/// defines is shadowed by it. Admin-added targets are persisted in SQLite and restored at start.
public final class ServiceRuntime: Sendable {
    /// How the service was started: what a SIGHUP reload reads again.
    public struct Launch: Sendable {
        public var configFlag: String?
        public var environment: [String: String]
        public var flags: [SettingKey: String]
        public var hostname: String

        public init(configFlag: String?, environment: [String: String], flags: [SettingKey: String], hostname: String) {
            self.configFlag = configFlag
            self.environment = environment
            self.flags = flags
            self.hostname = hostname
        }
    }

    private struct State {
        /// Config-file targets owned by this replica, as applied.
        var configTargets: [TargetName: TargetSpec] = [:]
        /// Admin targets (persisted), as applied.
        var adminTargets: [TargetName: TargetSpec] = [:]
        var ready = false
        var notReadyReason = "starting"
        var reloads: UInt64 = 0
        var reloadFailures: UInt64 = 0
    }

    public let settings: ServiceSettings
    public let launch: Launch
    public let replica: ReplicaIdentity
    public let pool: Pool
    public let history: HistoryWriter
    /// Read-only history connections; how many are free bounds the history work in flight.
    public let readers: HistoryReaderPool
    public let targetStore: TargetStore
    public let adminAuthToken: String?
    /// The admin routes' check; its token is replaced on a reload.
    public let adminAuth: AdminAuth
    public let httpMetrics = HTTPRequestMetrics()
    /// Requests to the other replicas (`ccpool_peer_*`).
    public let peerMetrics = PeerRequestMetrics()
    private let state = Mutex(State())
    let logger: Logger
    /// The resolvers of every target, with the address cap of ``RequestLimits``.
    private let resolvers: ResolverRegistry

    /// Opens the database (applying migrations), starts the pool and applies the configuration.
    /// `httpThreads` sizes the history reader pool when `history.readers` is 0.
    public static func start(
        settings: ServiceSettings, launch: Launch, logger: Logger, httpThreads: Int = 8
    ) async throws -> ServiceRuntime {
        let replica = try ReplicaIdentity.resolve(
            index: settings.shardIndex, count: settings.shardCount, hostname: launch.hostname)
        let token = try AdminToken.resolve(settings, environment: launch.environment)
        try ServiceRuntime.prepareDatabase(settings.database, policy: settings.pendingMigrations, logger: logger)
        var configuration = HistoryWriter.Configuration()
        configuration.retention = settings.historyRetention.duration
        let writer = try HistoryWriter(path: settings.database, configuration: configuration)
        let readers = try HistoryReaderPool(
            path: settings.database, count: settings.limits.historyReaderCount(httpThreads: httpThreads),
            queryTimeout: settings.limits.historyQueryTimeout.duration, scanWindow: RequestLimits.historyScanWindow)
        let store = try TargetStore(path: settings.database)
        let pool = Pool(
            configuration: .init(shards: settings.eventLoopCount(cores: System.coreCount)),
            sink: HistorySink(writer: writer), logger: logger)
        let runtime = ServiceRuntime(
            settings: settings, launch: launch, replica: replica, pool: pool, history: writer, readers: readers,
            store: store, token: token, logger: logger)
        try await runtime.applyInitialTargets()
        return runtime
    }

    private init(
        settings: ServiceSettings, launch: Launch, replica: ReplicaIdentity, pool: Pool, history: HistoryWriter,
        readers: HistoryReaderPool, store: TargetStore, token: String?, logger: Logger
    ) {
        self.settings = settings
        self.launch = launch
        self.replica = replica
        self.pool = pool
        self.history = history
        self.readers = readers
        self.targetStore = store
        self.adminAuthToken = token
        self.resolvers = settings.limits.resolvers
        self.adminAuth = AdminAuth(token: token)
        for warning in AdminToken.warnings(settings, token: token) {
            logger.warning("weak admin token: \(warning)")
        }
        self.logger = logger
    }

    /// Applies the migrations (or refuses the file with a clear message, touching nothing). With
    /// `pending_migrations: refuse`, existing history that needs a migration stops the start instead.
    public static func prepareDatabase(_ path: String, policy: PendingMigrationsPolicy = .apply, logger: Logger? = nil) throws {
        let migrator = Migrator()
        if policy == .refuse {
            let pending = try migrator.pendingOnExistingData(path: path)
            if !pending.isEmpty { throw PendingMigrationsError(path: path, pending: pending) }
        }
        _ = try migrator.migrate(path: path, progress: logger.map { logger in
            { progress in logger.notice("migrating the history database: \(progress.summary)") }
        })
    }

    // MARK: Readiness and counters

    /// Nil when ready; otherwise why not (for `/readyz`).
    public var notReadyReason: String? {
        let (ready, reason) = state.withLock { ($0.ready, $0.notReadyReason) }
        if !ready { return reason }
        let counters = history.snapshot
        if let degraded = counters.degradedReason { return "history store degraded: \(degraded)" }
        return nil
    }

    public var reloadCounters: (reloads: UInt64, failures: UInt64) {
        state.withLock { ($0.reloads, $0.reloadFailures) }
    }

    /// Where a target name comes from, if it runs here.
    public func source(of name: TargetName) -> PoolTarget.Source? {
        state.withLock { state in
            if state.configTargets[name] != nil { return .config }
            if state.adminTargets[name] != nil { return .admin }
            return nil
        }
    }

    // MARK: Initial targets

    private func applyInitialTargets() async throws {
        var configTargets: [TargetName: TargetSpec] = [:]
        for configured in settings.targets where replica.owns(configured.name.description) {
            configTargets[configured.name] = configured.spec
        }
        var adminTargets: [TargetName: TargetSpec] = [:]
        for stored in try targetStore.list() {
            guard let name = try? TargetName(stored.name), replica.owns(stored.name) else { continue }
            if configTargets[name] != nil {
                logger.warning(
                    "admin target shadowed by the config file", metadata: ["target": "\(stored.name)"])
                continue
            }
            do {
                adminTargets[name] = try TargetSpec.decode(json: Array(stored.spec.utf8))
            } catch {
                logger.error("stored admin target is invalid; skipped", metadata: ["target": "\(stored.name)", "error": "\(error)"])
            }
        }
        // Build every pool target first: a TLS file that cannot be read stops start-up.
        var built: [PoolTarget] = []
        for (name, spec) in configTargets { built.append(try PoolTarget(name: name, spec: spec, source: .config, resolvers: resolvers)) }
        for (name, spec) in adminTargets {
            do {
                built.append(try PoolTarget(name: name, spec: spec, source: .admin, resolvers: resolvers))
            } catch {
                logger.error("admin target cannot start; skipped", metadata: ["target": "\(name)", "error": "\(error)"])
                adminTargets[name] = nil
            }
        }
        // All at once: one awaited hop per target made the last of 5,000 targets start seconds late.
        try await pool.upsertAll(built)
        state.withLock { state in
            state.configTargets = configTargets
            state.adminTargets = adminTargets
            state.ready = true
            state.notReadyReason = ""
        }
    }

    // MARK: Reload (SIGHUP)

    /// Re-reads the config file and applies the difference. A file that does not load or
    /// validate (including TLS files that cannot be read) changes nothing and is counted as a
    /// failure; the returned diagnostics say why.
    @discardableResult
    public func reload() async -> Result<ConfigDiff, ConfigError> {
        let loaded: ServiceSettings
        do {
            loaded = try ConfigLoader.load(
                configFlag: launch.configFlag, environment: launch.environment, flags: launch.flags)
        } catch {
            state.withLock {
                $0.reloads += 1
                $0.reloadFailures += 1
            }
            logger.error("configuration reload rejected; nothing changed", metadata: ["problems": "\(error.message)"])
            return .failure(error)
        }
        var owned: [TargetName: TargetSpec] = [:]
        for configured in loaded.targets where replica.owns(configured.name.description) {
            owned[configured.name] = configured.spec
        }
        reloadAdminToken(loaded)
        let running = state.withLock { $0.configTargets }
        let diff = ConfigDiff(running: running, loaded: owned)
        var toApply: [PoolTarget] = []
        do {
            for target in diff.added { toApply.append(try PoolTarget(name: target.name, spec: target.spec, source: .config, resolvers: resolvers)) }
            for change in diff.changed { toApply.append(try PoolTarget(name: change.name, spec: change.new, source: .config, resolvers: resolvers)) }
        } catch {
            let problem = ConfigError(
                code: .invalid, diagnostics: [.init(origin: .none, path: "targets", message: "\(error)")])
            state.withLock {
                $0.reloads += 1
                $0.reloadFailures += 1
            }
            logger.error("configuration reload rejected; nothing changed", metadata: ["problems": "\(problem.message)"])
            return .failure(problem)
        }
        for name in diff.removed {
            await pool.remove(name.description, reason: "config removed")
        }
        for target in toApply {
            do {
                try await pool.upsert(target)
            } catch {
                logger.error("could not apply target", metadata: ["target": "\(target.name)", "error": "\(error)"])
            }
        }
        if loaded.listen != settings.listen || loaded.database != settings.database || loaded.shards != settings.shards {
            logger.warning("listen, database and shards changes take effect only after a restart")
        }
        state.withLock { state in
            state.configTargets = owned
            for name in owned.keys { state.adminTargets[name] = nil }
            state.reloads += 1
        }
        logger.notice("configuration reloaded", metadata: ["changes": "\(diff.summary)"])
        return .success(diff)
    }

    /// Reads the admin token again (file or environment); one that cannot be read leaves the running one.
    private func reloadAdminToken(_ loaded: ServiceSettings) {
        do {
            let token = try AdminToken.resolve(loaded, environment: launch.environment)
            adminAuth.replaceToken(token)
            for warning in AdminToken.warnings(loaded, token: token) {
                logger.warning("weak admin token: \(warning)")
            }
        } catch {
            logger.error("admin token not reloaded; the previous one stays", metadata: ["problem": "\(error.message)"])
        }
    }

    // MARK: Admin targets (called from HTTP threads: blocking, never on an event loop)

    public enum AdminError: Error, Sendable {
        case definedByConfig(String)
        case notOwned(name: String, owner: Int)
        case notFound(String)
        case invalidTLS(String)
        /// Over `limits.max_targets` (the number) or `limits.max_addresses_per_target` (the message).
        case tooManyTargets(Int)
        case tooManyAddresses(String)
        case storage(String)
        case shuttingDown
    }

    /// Creates or changes an admin target; persisted before it is applied.
    public func putTarget(name: TargetName, spec: TargetSpec) throws(AdminError) -> Pool.UpsertResult {
        guard replica.owns(name.description) else {
            throw .notOwned(name: name.description, owner: replica.owner(of: name.description))
        }
        let (isConfig, isNew, running) = state.withLock {
            ($0.configTargets[name] != nil, $0.adminTargets[name] == nil, $0.configTargets.count + $0.adminTargets.count)
        }
        if isConfig { throw .definedByConfig(name.description) }
        if isNew && running >= settings.limits.maxTargets { throw .tooManyTargets(settings.limits.maxTargets) }
        if let problem = settings.limits.problem(with: spec) { throw .tooManyAddresses(problem) }
        let target: PoolTarget
        do {
            target = try PoolTarget(name: name, spec: spec, source: .admin, resolvers: resolvers)
        } catch {
            throw .invalidTLS(error.message)
        }
        do {
            _ = try targetStore.upsert(name: name.description, spec: spec.jsonText())
        } catch {
            throw .storage(error.description)
        }
        let result: Pool.UpsertResult
        do {
            result = try pool.upsertBlocking(target)
        } catch {
            throw .shuttingDown
        }
        state.withLock { $0.adminTargets[name] = spec }
        return result
    }

    /// Deletes an admin target: SHUTDOWN is recorded for its channel and subchannels.
    public func deleteTarget(name: TargetName) throws(AdminError) {
        guard replica.owns(name.description) else {
            throw .notOwned(name: name.description, owner: replica.owner(of: name.description))
        }
        let (isConfig, isAdmin) = state.withLock { ($0.configTargets[name] != nil, $0.adminTargets[name] != nil) }
        if isConfig { throw .definedByConfig(name.description) }
        guard isAdmin else { throw .notFound(name.description) }
        do {
            _ = try targetStore.delete(name: name.description)
        } catch {
            throw .storage(error.description)
        }
        pool.removeBlocking(name.description, reason: "deleted through the admin API")
        state.withLock { _ = $0.adminTargets.removeValue(forKey: name) }
    }

    // MARK: Shutdown

    /// Stops taking changes and shuts every channel down (SHUTDOWN recorded everywhere).
    public func shutdownPool() async {
        state.withLock {
            $0.ready = false
            $0.notReadyReason = "shutting down"
        }
        await pool.shutdown()
    }

    /// Drains, commits and checkpoints the history, then closes it.
    public func closeHistory() {
        history.close()
    }
}
