/// The difference between the running targets and a newly loaded set, for SIGHUP reloads: the
/// pool adds, rebuilds the changed part of, and removes exactly these, and leaves the unchanged
/// channels alone (docs/api.md).
///
/// Every list is sorted by name, so logs and tests are stable.
public struct ConfigDiff: Sendable, Equatable {
    /// A target in both sets whose spec differs.
    public struct Change: Sendable, Equatable {
        public var name: TargetName
        public var old: TargetSpec
        public var new: TargetSpec
        /// Never empty.
        public var changes: TargetSpec.Changes
    }

    public var added: [ConfiguredTarget]
    public var removed: [TargetName]
    public var changed: [Change]
    public var unchanged: [TargetName]

    /// Compares `running` (name → spec) with `loaded`.
    public init(running: [TargetName: TargetSpec], loaded: [TargetName: TargetSpec]) {
        added = loaded.filter { running[$0.key] == nil }.map { ConfiguredTarget(name: $0.key, spec: $0.value) }
            .sorted { $0.name < $1.name }
        removed = running.keys.filter { loaded[$0] == nil }.sorted()
        changed = []
        unchanged = []
        for (name, new) in loaded {
            guard let old = running[name] else { continue }
            let changes = new.changes(from: old)
            if changes.isEmpty {
                unchanged.append(name)
            } else {
                changed.append(Change(name: name, old: old, new: new, changes: changes))
            }
        }
        changed.sort { $0.name < $1.name }
        unchanged.sort()
    }

    /// Compares `running` with a loaded file's targets.
    public init(running: [TargetName: TargetSpec], loaded: ServiceSettings) {
        self.init(running: running, loaded: loaded.targetsByName)
    }

    /// True when applying the diff would change nothing.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// `3 added, 1 removed, 2 changed, 10 unchanged`, for the reload log line.
    public var summary: String {
        "\(added.count) added, \(removed.count) removed, \(changed.count) changed, \(unchanged.count) unchanged"
    }
}
