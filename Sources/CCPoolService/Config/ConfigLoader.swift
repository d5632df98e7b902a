import Foundation
import Logging
import Yams

/// Loads a ``ServiceSettings`` from the YAML file, the environment and the command line.
///
/// Precedence for each overridable setting (``SettingKey``): flag > `CCPOOL_*` environment
/// variable > file > default. Every value given in any layer is checked, even one a higher layer
/// overrides, and every problem is reported with where it is
/// (`ccpool.yaml:12:7: targets[2].backoff.multiplier: expected a number, got "fast"`); a file
/// with any problem is rejected whole. The file is named by `--config`, else `CCPOOL_CONFIG`;
/// with neither, the embedded default is used.
///
/// ``load(yaml:fileName:environment:flags:)`` is pure (text in, settings or diagnostics out);
/// ``load(configFlag:environment:flags:readFile:)`` adds the file reading.
///
/// Environment rules: an empty `CCPOOL_*` variable counts as unset, and `CCPOOL_*` names that are
/// not settings are ignored (Kubernetes injects `CCPOOL_PORT`, `CCPOOL_SERVICE_HOST`, ... for a
/// Service named ccpool).
public enum ConfigLoader {
    /// The config file to read: the `--config` flag, else `CCPOOL_CONFIG`, else nil (embedded default).
    public static func configPath(flag: String?, environment: [String: String]) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let path = environment[SettingKey.configFileVariable], !path.isEmpty { return path }
        return nil
    }

    /// Finds the file (``configPath(flag:environment:)``), reads it with `readFile` and loads it;
    /// no file means the embedded default plus overrides.
    public static func load(
        configFlag: String?,
        environment: [String: String],
        flags: [SettingKey: String] = [:],
        readFile: (String) throws -> String = ConfigLoader.readTextFile
    ) throws(ConfigError) -> ServiceSettings {
        guard let path = configPath(flag: configFlag, environment: environment) else {
            return try load(yaml: nil, fileName: "", environment: environment, flags: flags)
        }
        let text: String
        do {
            text = try readFile(path)
        } catch {
            throw ConfigError(
                code: .unreadable, diagnostics: [.init(origin: .wholeFile(path), path: "", message: describeReadError(error))])
        }
        return try load(yaml: text, fileName: path, environment: environment, flags: flags)
    }

    /// Parses and checks `yaml` (nil: no file) and applies the overrides. Pure.
    public static func load(
        yaml: String?,
        fileName: String,
        environment: [String: String] = [:],
        flags: [SettingKey: String] = [:]
    ) throws(ConfigError) -> ServiceSettings {
        var layers = Layers()
        var fileReader = ConfigReader(dialect: .yaml, source: .file(fileName))
        var targets: [ConfiguredTarget] = []

        if let yaml {
            let root: ConfigNode?
            do {
                root = try Yams.compose(yaml: yaml).map(ConfigNode.init(yaml:))
            } catch {
                throw ConfigError(code: .malformed, diagnostics: [yamlDiagnostic(error, fileName: fileName, text: yaml)])
            }
            // An empty file, or one with only comments or an empty document, means "all defaults".
            if let root, !root.isNull {
                readFile(root, into: &layers, targets: &targets, &fileReader)
            }
        }

        var diagnostics = fileReader.diagnostics
        var settings = ServiceSettings()
        settings.targets = targets

        for key in SettingKey.allCases {
            if let value = environment[key.environmentVariable], !value.isEmpty {
                layers.add(key, .environment, ConfigNode(overrideText: value), origin: .environment(key.environmentVariable))
            }
            if let value = flags[key] {
                layers.add(key, .flag, ConfigNode(overrideText: value), origin: .flag(key.flagName))
            }
        }
        var winners: [SettingKey: ConfigOrigin] = [:]
        for key in SettingKey.allCases {
            for layer in layers.values[key] ?? [] {
                var reader: ConfigReader
                switch layer.origin {
                case .file: reader = fileReader
                default: reader = ConfigReader(dialect: .override, source: .fixed(layer.origin))
                }
                let before = reader.diagnostics.count
                apply(key, layer.node, to: &settings, &reader)
                diagnostics.append(contentsOf: reader.diagnostics[before...])
                settings.sources[key] = layer.source
                winners[key] = layer.origin
            }
        }

        // Cross-setting checks, pointed at the value that won.
        switch (settings.shardIndex, settings.shardCount) {
        case (let index?, nil):
            diagnostics.append(.init(origin: winners[.shardIndex] ?? .none, path: "shard_index", message: "shard_index \(index) needs shard_count"))
        // shard_count alone is fine: the index comes from a hostname ending in -N (docs/api.md).
        case (let index?, let count?) where index >= count:
            diagnostics.append(.init(origin: winners[.shardIndex] ?? .none, path: "shard_index", message: "must be below shard_count (\(count)), got \(index)"))
        default: break
        }
        if let peers = settings.peers {
            do {
                _ = try peers.urls(count: settings.shardCount ?? 1)
            } catch {
                diagnostics.append(.init(origin: winners[.peers] ?? .none, path: "peers", message: error.message))
            }
        }
        if settings.adminTokenFile != nil, let token = environment[SettingKey.adminTokenVariable], !token.isEmpty {
            diagnostics.append(
                .init(
                    origin: winners[.adminTokenFile] ?? .none, path: "admin_token_file",
                    message: "set together with \(SettingKey.adminTokenVariable); give the admin token one way only"))
        }

        if diagnostics.isEmpty { diagnostics += settings.limits.diagnostics(for: settings.targets) }
        guard diagnostics.isEmpty else {
            throw ConfigError(code: .invalid, diagnostics: sorted(diagnostics))
        }
        return settings
    }

    // MARK: The file

    /// Every layer's value of each setting, lowest precedence first.
    private struct Layers {
        struct Layer {
            var source: SettingSource
            var node: ConfigNode
            var origin: ConfigOrigin
        }
        var values: [SettingKey: [Layer]] = [:]

        mutating func add(_ key: SettingKey, _ source: SettingSource, _ node: ConfigNode, origin: ConfigOrigin) {
            values[key, default: []].append(Layer(source: source, node: node, origin: origin))
        }
    }

    private static let topLevelKeys = SettingKey.allCases.map(\.rawValue).filter { !$0.contains(".") }

    private static func readFile(_ root: ConfigNode, into layers: inout Layers, targets: inout [ConfiguredTarget], _ reader: inout ConfigReader) {
        guard var fields = reader.fields(root, "") else { return }
        func add(_ key: SettingKey, _ node: ConfigNode) {
            layers.add(key, .file, node, origin: reader.origin(node.location))
        }
        for key in SettingKey.allCases where !key.rawValue.contains(".") {
            if let node = fields.take(key.rawValue) { add(key, node) }
        }
        if let node = fields.take("history"), var history = reader.fields(node, "history") {
            if let value = history.take("retention") { add(.historyRetention, value) }
            if let value = history.take("query_timeout") { add(.historyQueryTimeout, value) }
            if let value = history.take("readers") { add(.historyReaders, value) }
            history.finish(&reader)
        }
        if let node = fields.take("metrics"), var metrics = reader.fields(node, "metrics") {
            if let value = metrics.take("subchannel_series") { add(.metricsSubchannelSeries, value) }
            metrics.finish(&reader)
        }
        for section in ["http", "limits"] {
            guard let node = fields.take(section), var sectionFields = reader.fields(node, section) else { continue }
            for key in SettingKey.allCases where key.rawValue.hasPrefix(section + ".") {
                if let value = sectionFields.take(String(key.rawValue.dropFirst(section.count + 1))) { add(key, value) }
            }
            sectionFields.finish(&reader)
        }
        if let node = fields.take("targets") {
            targets = readTargets(node, &reader)
        }
        fields.finish(&reader)
    }

    private static func readTargets(_ node: ConfigNode, _ reader: inout ConfigReader) -> [ConfiguredTarget] {
        guard case .sequence(let items) = node.value else {
            reader.report("targets", at: node, "expected a list of targets, got \(node.kindDescription)")
            return []
        }
        var targets: [ConfiguredTarget] = []
        var seen: [TargetName: ConfigNode.Location?] = [:]
        for (index, item) in items.enumerated() {
            let path = "targets[\(index)]"
            guard var fields = reader.fields(item, path) else { continue }
            var name: TargetName?
            if let nameNode = fields.take("name") {
                if let text = reader.string(nameNode, fields.path("name")) {
                    do {
                        let parsed = try TargetName(text)
                        if let first = seen[parsed] {
                            let at = first.map { " (first at line \($0.line), column \($0.column))" } ?? ""
                            reader.report(fields.path("name"), at: nameNode, "duplicate target name \"\(text)\"\(at)")
                        } else {
                            seen[parsed] = nameNode.location
                            name = parsed
                        }
                    } catch {
                        reader.report(fields.path("name"), at: nameNode, error.message)
                    }
                }
            } else {
                reader.report(fields.path("name"), at: item, "required field is missing")
            }
            let spec = TargetSpec.read(&fields, &reader)
            fields.finish(&reader)
            if let name, let spec { targets.append(ConfiguredTarget(name: name, spec: spec)) }
        }
        return targets
    }

    // MARK: Settings

    /// Checks one layer's value of `key` and stores it in `settings`.
    private static func apply(_ key: SettingKey, _ node: ConfigNode, to settings: inout ServiceSettings, _ reader: inout ConfigReader) {
        let path = key.rawValue
        if RequestLimits.apply(key, node, to: &settings.limits, &reader) { return }
        switch key {
        case .listen:
            guard let text = reader.string(node, path) else { return }
            do {
                settings.listen = try ListenAddress.parse(text)
            } catch {
                reader.report(path, at: node, error.message)
            }
        case .database:
            if let value = reader.nonEmptyString(node, path) { settings.database = value }
        case .shards:
            if let value = reader.integer(node, path, in: 0...4096) { settings.shards = value }
        case .historyRetention:
            if let value = reader.positiveDuration(node, path, allowDays: true) { settings.historyRetention = value }
        case .adminTokenFile:
            if let value = reader.nonEmptyString(node, path) { settings.adminTokenFile = value }
        case .metricsSubchannelSeries:
            if let value = reader.bool(node, path) { settings.metricsSubchannelSeries = value }
        case .shutdownDeadline:
            if let value = reader.positiveDuration(node, path) { settings.shutdownDeadline = value }
        case .logLevel:
            if let value = reader.choice(node, path, Logger.Level.allCases.map { ($0.rawValue, $0) }) { settings.logLevel = value }
        case .logFormat:
            if let value = reader.choice(node, path, LogFormat.allCases.map { ($0.rawValue, $0) }) { settings.logFormat = value }
        case .shardIndex:
            if let value = reader.integer(node, path, in: 0...65535) { settings.shardIndex = value }
        case .shardCount:
            if let value = reader.integer(node, path, in: 1...65536) { settings.shardCount = value }
        case .peers:
            guard let text = reader.string(node, path) else { return }
            do {
                settings.peers = try PeerList.parse(text)
            } catch {
                reader.report(path, at: node, error.message)
            }
        case .peerTimeout:
            if let value = reader.positiveDuration(node, path) { settings.peerTimeout = value }
        case .pendingMigrations:
            if let value = reader.choice(node, path, PendingMigrationsPolicy.allCases.map { ($0.rawValue, $0) }) {
                settings.pendingMigrations = value
            }
        default:
            break  // the limits, applied above
        }
    }

    // MARK: Helpers

    /// File diagnostics by position, then the others in the order found.
    private static func sorted(_ diagnostics: [ConfigDiagnostic]) -> [ConfigDiagnostic] {
        diagnostics.enumerated().sorted { a, b in
            switch (a.element.origin, b.element.origin) {
            case (.file(_, let l1, let c1), .file(_, let l2, let c2)):
                return (l1, c1, a.offset) < (l2, c2, b.offset)
            case (.file, _): return true
            case (_, .file): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }

    static func yamlDiagnostic(_ error: any Error, fileName: String, text: String) -> ConfigDiagnostic {
        func at(_ mark: Mark) -> ConfigOrigin { .file(fileName, line: mark.line, column: mark.column) }
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at \(context.mark.line):\(context.mark.column))"
        }
        guard let yamlError = error as? YamlError else {
            return ConfigDiagnostic(origin: .wholeFile(fileName), path: "", message: "not valid YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return ConfigDiagnostic(origin: at(mark), path: "", message: "not valid YAML: " + withContext(problem, context))
        case .reader(let problem, let offset, _, _):
            var origin = ConfigOrigin.wholeFile(fileName)
            if let offset {
                let prefix = text.prefix(offset)
                let line = prefix.filter { $0 == "\n" }.count + 1
                let column = prefix.split(separator: "\n", omittingEmptySubsequences: false).last.map { $0.unicodeScalars.count + 1 } ?? 1
                origin = .file(fileName, line: line, column: column)
            }
            return ConfigDiagnostic(origin: origin, path: "", message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams reports the first occurrence's position only.
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigDiagnostic(
                origin: at(context.mark), path: "",
                message: "duplicate key \(keys) in the mapping at this position (each key may appear once)")
        default:
            return ConfigDiagnostic(origin: .wholeFile(fileName), path: "", message: "not valid YAML: \(yamlError)")
        }
    }

    /// Reads a UTF-8 text file, with error messages naming the cause.
    public static func readTextFile(_ path: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileReadError(message: describeFileError(error, path: path))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FileReadError(message: "\(path) is not UTF-8 text")
        }
        return text
    }

    static func describeReadError(_ error: any Error) -> String {
        if let error = error as? FileReadError { return error.message }
        return "cannot read the file: \(error)"
    }

    private static func describeFileError(_ error: any Error, path: String) -> String {
        let nsError = error as NSError
        if let posix = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain,
            let message = strerror(Int32(posix.code)).map({ String(cString: $0) })
        {
            return "cannot read \(path): \(message)"
        }
        switch nsError.code {
        case NSFileReadNoSuchFileError: return "cannot read \(path): no such file"
        case NSFileReadNoPermissionError: return "cannot read \(path): permission denied"
        default: return "cannot read \(path): \(nsError.localizedDescription)"
        }
    }
}

/// A file could not be read; the message names the file and the cause.
public struct FileReadError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
