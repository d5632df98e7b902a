/// Walks a ``ConfigNode`` tree, reads typed values and collects every problem as a
/// ``ConfigDiagnostic`` with its position and path, instead of stopping at the first.
///
/// One reader per document. Readers return nil for a value they reported as wrong, and the caller
/// carries on with the next field; the document is rejected at the end if any diagnostic exists.
struct ConfigReader {
    /// How the document was written; it changes words ("mapping" / "object") and how strict
    /// string settings are.
    enum Dialect {
        /// YAML: string settings accept any non-null scalar as written.
        case yaml
        /// JSON: every value must have the JSON type the field asks for.
        case json
        /// A flag or environment value: always text.
        case override
    }

    var dialect: Dialect
    /// Diagnostics' origin: the file name (with node positions), a variable or flag, or none.
    var source: Source
    private(set) var diagnostics: [ConfigDiagnostic] = []

    enum Source {
        case file(String)
        case fixed(ConfigOrigin)
    }

    init(dialect: Dialect, source: Source) {
        self.dialect = dialect
        self.source = source
    }

    var mappingWord: String { dialect == .json ? "an object" : "a mapping" }

    func origin(_ location: ConfigNode.Location?) -> ConfigOrigin {
        switch source {
        case .file(let name):
            guard let location else { return .wholeFile(name) }
            return .file(name, line: location.line, column: location.column)
        case .fixed(let origin):
            return origin
        }
    }

    mutating func report(_ path: String, at location: ConfigNode.Location?, _ message: String) {
        diagnostics.append(ConfigDiagnostic(origin: origin(location), path: path, message: message))
    }

    mutating func report(_ path: String, at node: ConfigNode, _ message: String) {
        report(path, at: node.location, message)
    }

    static func join(_ base: String, _ key: String) -> String { base.isEmpty ? key : "\(base).\(key)" }

    private func got(_ node: ConfigNode) -> String {
        if dialect == .json, case .mapping = node.value { return "got an object" }
        if case .string(let text) = node.value { return "got \"\(text)\"" }
        if let text = node.text { return "got \(text)" }
        return "got \(node.kindDescription)"
    }

    // MARK: Typed values

    /// A string setting. YAML accepts any non-null scalar as written; JSON only a string.
    mutating func string(_ node: ConfigNode, _ path: String) -> String? {
        switch node.value {
        case .string(let text): return text
        case .bool, .integer, .float:
            if dialect != .json, let text = node.text { return text }
        case .null, .sequence, .mapping: break
        }
        report(path, at: node, "expected a string, \(got(node))")
        return nil
    }

    /// A string that must not be empty.
    mutating func nonEmptyString(_ node: ConfigNode, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        if text.isEmpty {
            report(path, at: node, "must not be empty")
            return nil
        }
        return text
    }

    mutating func bool(_ node: ConfigNode, _ path: String) -> Bool? {
        if case .bool(let flag) = node.value { return flag }
        report(path, at: node, "expected true or false, \(got(node))")
        return nil
    }

    mutating func number(_ node: ConfigNode, _ path: String) -> Double? {
        switch node.value {
        case .integer(let number): return Double(number)
        case .float(let number): return number
        default:
            report(path, at: node, "expected a number, \(got(node))")
            return nil
        }
    }

    mutating func integer(_ node: ConfigNode, _ path: String, in range: ClosedRange<Int>) -> Int? {
        guard case .integer(let number) = node.value else {
            report(path, at: node, "expected a whole number from \(range.lowerBound) to \(range.upperBound), \(got(node))")
            return nil
        }
        guard range.contains(number) else {
            report(path, at: node, "must be from \(range.lowerBound) to \(range.upperBound), got \(number)")
            return nil
        }
        return number
    }

    mutating func duration(_ node: ConfigNode, _ path: String, allowDays: Bool = false) -> DurationText? {
        let text: String
        switch node.value {
        case .string(let string): text = string
        case .integer, .float:
            // `timeout: 30` in YAML or JSON: say what is missing (the unit), not "expected a string".
            text = node.text ?? ""
        default:
            report(path, at: node, "expected a duration such as \"30s\", \(got(node))")
            return nil
        }
        do {
            return try DurationText.parse(text, allowDays: allowDays)
        } catch {
            report(path, at: node, error.message)
            return nil
        }
    }

    mutating func positiveDuration(_ node: ConfigNode, _ path: String, allowDays: Bool = false) -> DurationText? {
        guard let value = duration(node, path, allowDays: allowDays) else { return nil }
        if value.nanoseconds <= 0 {
            report(path, at: node, "must be more than zero")
            return nil
        }
        return value
    }

    /// One of a closed set of words.
    mutating func choice<T>(_ node: ConfigNode, _ path: String, _ choices: [(String, T)]) -> T? {
        guard let text = string(node, path) else { return nil }
        if let match = choices.first(where: { $0.0 == text }) { return match.1 }
        let list = choices.map { "\"\($0.0)\"" }.joined(separator: ", ")
        report(path, at: node, "must be one of \(list), got \"\(text)\"")
        return nil
    }

    // MARK: Mappings

    /// Opens a mapping for field-by-field reading; reports and returns nil if `node` is not one.
    mutating func fields(_ node: ConfigNode, _ path: String) -> Fields? {
        guard case .mapping(let pairs) = node.value else {
            report(path, at: node, "expected \(mappingWord), \(got(node))")
            return nil
        }
        return Fields(path: path, location: node.location, pairs: pairs)
    }
}

/// The fields of one mapping, taken one by one; ``finish(_:)`` reports the ones nobody took.
///
/// Unknown fields are errors: a typo (`multipler`) must not silently fall back to a default.
struct Fields {
    let path: String
    let location: ConfigNode.Location?
    private let pairs: [(key: String, keyLocation: ConfigNode.Location?, value: ConfigNode)]
    private var known: [String] = []

    init(path: String, location: ConfigNode.Location?, pairs: [(key: String, keyLocation: ConfigNode.Location?, value: ConfigNode)]) {
        self.path = path
        self.location = location
        self.pairs = pairs
    }

    func path(_ key: String) -> String { ConfigReader.join(path, key) }

    /// The value of `key`, or nil when it is absent or null (null means "not given").
    mutating func take(_ key: String) -> ConfigNode? {
        known.append(key)
        guard let pair = pairs.last(where: { $0.key == key }), !pair.value.isNull else { return nil }
        return pair.value
    }

    /// Whether `key` is present (even as null).
    func contains(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    /// Reports every field that was not taken, with a suggestion when one is close to a known name.
    func finish(_ reader: inout ConfigReader, hint: [String: String] = [:]) {
        for pair in pairs where !known.contains(pair.key) {
            var message = "unknown field"
            if let extra = hint[pair.key] {
                message += " (\(extra))"
            } else if let suggestion = Self.closest(to: pair.key, in: known) {
                message += " (did you mean \"\(suggestion)\"?)"
            } else {
                message += " (known fields: \(known.joined(separator: ", ")))"
            }
            reader.report(path(pair.key), at: pair.keyLocation ?? pair.value.location, message)
        }
    }

    /// The known name within a small edit distance of `key`, if one is clearly meant.
    static func closest(to key: String, in names: [String]) -> String? {
        let limit = max(1, min(3, key.count / 3))
        let scored = names.map { ($0, editDistance(key.lowercased(), $0)) }.filter { $0.1 <= limit }
        return scored.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
