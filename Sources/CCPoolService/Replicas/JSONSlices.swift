import Foundation

/// Finds members and array elements inside JSON text by their byte ranges, without building objects.
///
/// Merging the answers of several replicas needs only a few values of each element (a target's name,
/// an event's id and time) and the element's bytes as they are: splicing those ranges keeps a merged
/// list of thousands of targets about as cheap as writing one. Malformed input gives nil, never a crash.
enum JSONSlices {
    /// The range of the value of member `key` of the object that fills `range`.
    static func member(_ key: String, in bytes: [UInt8], _ range: Range<Int>) -> Range<Int>? {
        let wanted = Array(key.utf8)
        var i = skipSpace(bytes, range.lowerBound, range.upperBound)
        guard i < range.upperBound, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            i = skipSpace(bytes, i, range.upperBound)
            guard i < range.upperBound else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return nil }
            guard bytes[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            guard let keyEnd = skipString(bytes, i, range.upperBound) else { return nil }
            i = skipSpace(bytes, keyEnd, range.upperBound)
            guard i < range.upperBound, bytes[i] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipSpace(bytes, i + 1, range.upperBound)
            guard let valueEnd = skipValue(bytes, valueStart, range.upperBound) else { return nil }
            if keyEnd - 1 - keyStart == wanted.count && bytes[keyStart..<(keyEnd - 1)].elementsEqual(wanted) {
                return valueStart..<valueEnd
            }
            i = skipSpace(bytes, valueEnd, range.upperBound)
            guard i < range.upperBound else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            return nil
        }
    }

    /// The ranges of the elements of the array that fills `range`.
    static func elements(in bytes: [UInt8], _ range: Range<Int>) -> [Range<Int>]? {
        var i = skipSpace(bytes, range.lowerBound, range.upperBound)
        guard i < range.upperBound, bytes[i] == UInt8(ascii: "[") else { return nil }
        i = skipSpace(bytes, i + 1, range.upperBound)
        var result: [Range<Int>] = []
        if i < range.upperBound, bytes[i] == UInt8(ascii: "]") { return result }
        while i < range.upperBound {
            guard let end = skipValue(bytes, i, range.upperBound) else { return nil }
            result.append(i..<end)
            i = skipSpace(bytes, end, range.upperBound)
            guard i < range.upperBound else { return nil }
            if bytes[i] == UInt8(ascii: "]") { return result }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i = skipSpace(bytes, i + 1, range.upperBound)
        }
        return nil
    }

    /// The string value at `range` (a JSON string literal), unescaped.
    static func string(_ bytes: [UInt8], _ range: Range<Int>) -> String? {
        guard range.count >= 2, bytes[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
        let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        return (try? JSONSerialization.jsonObject(with: Data(bytes[range]), options: .fragmentsAllowed)) as? String
    }

    /// The integer value at `range`.
    static func integer(_ bytes: [UInt8], _ range: Range<Int>) -> Int64? {
        Int64(String(decoding: bytes[range], as: UTF8.self))
    }

    // MARK: Scanning

    static func skipSpace(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Int {
        var i = start
        while i < end, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        return i
    }

    /// The index after the string literal starting at `start` (its opening quote).
    static func skipString(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Int? {
        var i = start + 1
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    /// The index after the value starting at `start`.
    static func skipValue(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Int? {
        guard start < end else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(bytes, start, end)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var i = start
            while i < end {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let after = skipString(bytes, i, end) else { return nil }
                    i = after
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
            return nil
        default:
            // A number, true, false or null: up to the next delimiter.
            var i = start
            while i < end {
                let byte = bytes[i]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                    || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
                {
                    break
                }
                i += 1
            }
            return i > start ? i : nil
        }
    }
}
