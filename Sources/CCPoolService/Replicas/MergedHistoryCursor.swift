import Foundation

/// The `cursor` of a history page merged over replicas: where each replica's part of the history stands.
///
/// Opaque to clients. Inside, base64url (no padding) of `replicas:<N>:<p0>,<p1>,…`, where `pi` is the id of
/// the last event of replica `i` that earlier pages returned, or `-` for none yet. The next page asks
/// replica `i` for its events after `pi`, so a page never skips or repeats an event of any replica, even
/// when replicas have very different amounts of history. A cursor made for another number of replicas
/// (or a one-replica cursor) is refused with 400.
struct MergedHistoryCursor: Sendable, Equatable {
    /// The last id returned per replica; nil before the first.
    var positions: [Int64?]

    init(positions: [Int64?]) { self.positions = positions }

    init(count: Int) { positions = Array(repeating: nil, count: count) }

    var encoded: String {
        let text = "replicas:\(positions.count):" + positions.map { $0.map(String.init) ?? "-" }.joined(separator: ",")
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cursor `text` for `count` replicas, or nil when it is not one this API gave out for them.
    static func decode(_ text: String, count: Int) -> MergedHistoryCursor? {
        guard !text.isEmpty, text.count <= 4096,
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let plain = String(data: data, encoding: .utf8) else { return nil }
        let parts = plain.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "replicas", Int(parts[1]) == count else { return nil }
        var positions: [Int64?] = []
        for item in parts[2].split(separator: ",", omittingEmptySubsequences: false) {
            if item == "-" {
                positions.append(nil)
            } else if let id = Int64(item), id >= 0, String(id) == item {
                positions.append(id)
            } else {
                return nil
            }
        }
        guard positions.count == count else { return nil }
        let cursor = MergedHistoryCursor(positions: positions)
        return cursor.encoded == text ? cursor : nil
    }
}
