/// A configuration document as a tree, whether it came from YAML, JSON or an override string.
///
/// The one shape every reader works on, so the YAML file, the admin API's JSON bodies and the
/// `CCPOOL_*` / flag overrides are checked by the same code with the same messages. Scalars keep
/// the text they were written as (`text`): string settings accept any non-null scalar as written
/// (`labels: {tier: 1}` is the label value "1"), typed settings look at `value`.
struct ConfigNode: Sendable {
    enum Value: Sendable {
        case null
        case bool(Bool)
        case integer(Int)
        case float(Double)
        case string(String)
        case sequence([ConfigNode])
        /// In document order; keys are scalars' text (YAML allows other keys: they become
        /// their text too, and fail as unknown fields).
        case mapping([(key: String, keyLocation: Location?, value: ConfigNode)])
    }

    /// A 1-based line and column in the source document.
    struct Location: Hashable, Sendable {
        var line: Int
        var column: Int
    }

    var value: Value
    /// The scalar's text as written; nil for sequences and mappings.
    var text: String?
    var location: Location?

    init(_ value: Value, text: String? = nil, location: Location? = nil) {
        self.value = value
        self.text = text
        self.location = location
    }

    /// A value given as a command-line flag or environment variable: `true`/`false` are booleans,
    /// whole numbers are integers, everything else a string; `text` keeps the input.
    init(overrideText text: String) {
        if text == "true" {
            self.init(.bool(true), text: text)
        } else if text == "false" {
            self.init(.bool(false), text: text)
        } else if let number = Int(text) {
            self.init(.integer(number), text: text)
        } else {
            self.init(.string(text), text: text)
        }
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// What kind of value this is, for "expected a number, got a string" messages.
    var kindDescription: String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .float: "a number"
        case .string: "a string"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

extension ConfigNode {
    /// Canonical JSON: keys sorted, no whitespace, numbers as Swift prints them. Two documents
    /// that differ only in key order or spacing give the same text, which is what lets the pool
    /// compare service configs by text.
    var canonicalJSON: String {
        var out = ""
        writeJSON(into: &out)
        return out
    }

    private func writeJSON(into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .integer(let number): out += String(number)
        case .float(let number):
            if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
                // Whole numbers print without ".0": YAML's `2.0`, JSON's `2.0` and `2` must give
                // the same canonical text, or a reload would see a change that is none.
                out += String(Int64(number))
            } else if number.isFinite {
                out += "\(number)"
            } else {
                out += "null"
            }
        case .string(let string): Self.writeJSONString(string, into: &out)
        case .sequence(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.writeJSON(into: &out)
            }
            out += "]"
        case .mapping(let pairs):
            out += "{"
            // Sorted by UTF-8 bytes, like JSONSerialization's .sortedKeys; the last of duplicate keys wins.
            var seen: [String: ConfigNode] = [:]
            for pair in pairs { seen[pair.key] = pair.value }
            for (index, key) in seen.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
                .enumerated()
            {
                if index > 0 { out += "," }
                Self.writeJSONString(key, into: &out)
                out += ":"
                seen[key]!.writeJSON(into: &out)
            }
            out += "}"
        }
    }

    static func writeJSONString(_ string: String, into out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
