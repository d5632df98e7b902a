/// HTML text building for the dashboard pages.
///
/// Every string that comes from outside the program (target names, URIs, labels, reasons, addresses, query
/// parameters) goes through ``escape(_:)`` or ``Builder/text(_:)``; ``Builder/raw(_:)`` is for markup written
/// here. The escaping covers text content and double- or single-quoted attribute values alike.
enum HTML {
    /// `&`, `<`, `>`, `"` and `'` as character references; everything else unchanged.
    static func escape(_ text: String) -> String {
        var out = ""
        append(escaping: text, to: &out)
        return out
    }

    /// Appends `text` escaped. Text without special characters (the common case) is appended in one piece.
    static func append(escaping text: String, to out: inout String) {
        let needsEscaping = text.utf8.contains { byte in
            byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
                || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
        }
        guard needsEscaping else {
            out += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    /// Percent-encodes a query-string value (unreserved characters stay as they are).
    static func queryEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// Appends markup and escaped text to one string.
    struct Builder {
        private(set) var html = ""

        init(reserving capacity: Int = 16_384) {
            html.reserveCapacity(capacity)
        }

        /// Markup written by this program (never user input).
        mutating func raw(_ markup: String) { html += markup }

        /// User-controlled text, escaped.
        mutating func text(_ text: String) { HTML.append(escaping: text, to: &html) }

        /// `<tag attr="value">text</tag>` with the text and attribute values escaped.
        mutating func element(_ tag: String, _ attributes: KeyValuePairs<String, String> = [:], text: String) {
            open(tag, attributes)
            self.text(text)
            html += "</\(tag)>"
        }

        /// `<tag attr="value">` with attribute values escaped.
        mutating func open(_ tag: String, _ attributes: KeyValuePairs<String, String> = [:]) {
            html += "<" + tag
            for (name, value) in attributes {
                html += " " + name + "=\""
                HTML.append(escaping: value, to: &html)
                html += "\""
            }
            html += ">"
        }
    }
}
