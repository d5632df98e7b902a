import HTTPServer

/// Appends JSON text in one pass, with the escaping of ``JSONString``. Keys are written in the
/// order given, so responses are stable and byte-comparable.
struct JSONWriter {
    private(set) var text = ""
    private var needsComma = [false]

    init() {}

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        text += "{"
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text += "}"
    }

    mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        text += "["
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text += "]"
    }

    /// Writes `"key":` inside an object; the value written next completes the member.
    mutating func key(_ key: String) {
        separate()
        JSONString.append(key, to: &text)
        text += ":"
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ value: String?) {
        separate()
        if let value { JSONString.append(value, to: &text) } else { text += "null" }
    }

    mutating func number<N: Numeric & CustomStringConvertible>(_ value: N) {
        separate()
        text += value.description
    }

    mutating func double(_ value: Double) {
        separate()
        text += value.isFinite ? String(value) : "null"
    }

    mutating func bool(_ value: Bool) {
        separate()
        text += value ? "true" : "false"
    }

    mutating func null() {
        separate()
        text += "null"
    }

    /// Inserts already-encoded JSON.
    mutating func raw(_ json: String) {
        separate()
        text += json
    }

    mutating func member(_ key: String, _ value: String?) {
        self.key(key)
        string(value)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }
}
