import HTTPServer

/// Appends JSON text in one pass, with the escaping of ``JSONString``: the one way ccpool writes JSON
/// (API bodies, history lines, log lines). Keys are written in the order given, so every object has one
/// stable key order and responses are byte-comparable.
public struct JSONWriter {
    public private(set) var text = ""
    private var needsComma = [false]

    public init() {}

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        text += "{"
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text += "}"
    }

    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        text += "["
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text += "]"
    }

    /// Writes `"key":` inside an object; the value written next completes the member.
    public mutating func key(_ key: String) {
        separate()
        JSONString.append(key, to: &text)
        text += ":"
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ value: String?) {
        separate()
        if let value { JSONString.append(value, to: &text) } else { text += "null" }
    }

    public mutating func number<N: Numeric & CustomStringConvertible>(_ value: N) {
        separate()
        text += value.description
    }

    public mutating func double(_ value: Double) {
        separate()
        text += value.isFinite ? String(value) : "null"
    }

    public mutating func bool(_ value: Bool) {
        separate()
        text += value ? "true" : "false"
    }

    public mutating func null() {
        separate()
        text += "null"
    }

    /// Inserts already-encoded JSON.
    public mutating func raw(_ json: String) {
        separate()
        text += json
    }

    public mutating func member(_ key: String, _ value: String?) {
        self.key(key)
        string(value)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }
}
