/// Makes free text from the network safe to store and to show: a transition's reason carries text a remote
/// server chose (a health status message, a GOAWAY's debug data, a TLS error naming its certificate).
public enum ReasonText {
    /// The longest reason stored, in characters; longer ones are cut and end with "…".
    public static let maximumLength = 256

    /// `text` with every control character (C0, DEL, C1, and the bidirectional overrides that reorder what a
    /// terminal or page shows) replaced by a space, and cut to ``maximumLength`` characters.
    public static func sanitized(_ text: String) -> String {
        let tooLong = text.unicodeScalars.count > maximumLength
        guard tooLong || text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = String.UnicodeScalarView()
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if tooLong && index == maximumLength - 1 {
                result.append("…")
                break
            }
            result.append(isUnsafe(scalar) ? " " : scalar)
        }
        return String(result)
    }

    /// `text` for a terminal: control characters written as `\u{..}` escapes, so that no byte of it can move
    /// the cursor, recolour or retitle the terminal; everything else as it is.
    public static func forTerminal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional marks and overrides
        case 0x2028, 0x2029: true  // line and paragraph separators
        default: false
        }
    }
}
