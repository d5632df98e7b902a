/// A target's name: 1–128 characters of `[A-Za-z0-9._-]` (docs/api.md), except `.` and `..`.
///
/// The name is the target's identity everywhere (URL path segment, metrics label `target`,
/// history rows), so the alphabet is kept to characters that need no escaping in any of them.
/// `.` and `..` fit the alphabet but are dot segments: HTTP clients remove them from paths, so
/// such a target could never be reached through `/v1/targets/{name}`.
public struct TargetName: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    public static let maximumLength = 128

    /// Validates `text`.
    public init(_ text: String) throws(TargetNameError) {
        if text.isEmpty { throw TargetNameError(name: text, message: "a target name must not be empty") }
        if text.unicodeScalars.count > Self.maximumLength {
            throw TargetNameError(
                name: text, message: "a target name is at most \(Self.maximumLength) characters, this one has \(text.unicodeScalars.count)")
        }
        if text == "." || text == ".." {
            throw TargetNameError(name: text, message: "\"\(text)\" cannot be a target name: it is a dot segment in URLs")
        }
        if let bad = text.unicodeScalars.first(where: { !Self.isAllowed($0) }) {
            throw TargetNameError(
                name: text,
                message: "a target name may only contain letters, digits, '.', '_' and '-'; found \(Self.describe(bad))")
        }
        self.rawValue = text
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try TargetName(text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: TargetName, rhs: TargetName) -> Bool { lhs.rawValue < rhs.rawValue }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar.properties.generalCategory == .control || scalar == " " {
            return "U+" + String(scalar.value, radix: 16, uppercase: true)
        }
        return "'\(scalar)'"
    }
}

/// Why a target name was rejected.
public struct TargetNameError: Error, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var message: String
    public var description: String { "invalid target name \"\(name)\": \(message)" }
}
