/// Where a configuration value came from, for diagnostics.
///
/// A value read from the YAML file carries its line and column (1-based, columns in Unicode
/// scalars, as libyaml counts them); a value from the environment or a flag names the variable or
/// the flag; a JSON request body has no positions, its paths start with `body`.
public enum ConfigOrigin: Hashable, Sendable, CustomStringConvertible {
    /// A position in a file.
    case file(String, line: Int, column: Int)
    /// A file as a whole (it could not be read, or the problem has no position).
    case wholeFile(String)
    /// An environment variable, `CCPOOL_SHARDS`.
    case environment(String)
    /// A command-line flag, `--shards`.
    case flag(String)
    /// No place to point at (a JSON body: the path says where).
    case none

    public var description: String {
        switch self {
        case .file(let name, let line, let column): "\(name):\(line):\(column)"
        case .wholeFile(let name): name
        case .environment(let name): "environment \(name)"
        case .flag(let name): "flag \(name)"
        case .none: ""
        }
    }
}

/// One problem found in a configuration: where, which setting, what is wrong.
///
/// Printed as `ccpool.yaml:12:7: targets[2].backoff.multiplier: expected a number`: origin, path
/// (empty for problems with the document itself) and a human sentence. Loading collects every
/// diagnostic instead of stopping at the first, so one `check-config` run shows them all.
public struct ConfigDiagnostic: Hashable, Sendable, CustomStringConvertible {
    public var origin: ConfigOrigin
    /// The setting's path: `listen`, `targets[2].backoff.multiplier`, `body.tls.enabled`.
    public var path: String
    public var message: String

    public init(origin: ConfigOrigin, path: String, message: String) {
        self.origin = origin
        self.path = path
        self.message = message
    }

    public var description: String {
        [origin.description, path, message].filter { !$0.isEmpty }.joined(separator: ": ")
    }
}

/// A configuration (file, overrides or a `TargetSpec` body) that was rejected, with every reason.
///
/// `code` tells callers what kind of failure it was (the admin API maps them to its error codes);
/// `diagnostics` is never empty and is ordered by position in the input.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The file could not be read.
        case unreadable
        /// The text is not YAML (or the body not JSON): a parser error.
        case malformed
        /// Well-formed, but some values are wrong.
        case invalid
    }

    public var code: Code
    public var diagnostics: [ConfigDiagnostic]

    public init(code: Code, diagnostics: [ConfigDiagnostic]) {
        precondition(!diagnostics.isEmpty, "a ConfigError needs at least one diagnostic")
        self.code = code
        self.diagnostics = diagnostics
    }

    /// One line per diagnostic.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// One line for logs and API errors: the diagnostics joined with "; ".
    public var message: String { diagnostics.map(\.description).joined(separator: "; ") }
}
