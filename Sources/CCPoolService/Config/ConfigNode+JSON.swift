import Foundation

extension ConfigNode {
    /// Why JSON text could not be read as a tree.
    struct JSONSyntaxError: Error {
        var message: String
    }

    /// Parses JSON text into a tree (no positions: JSON bodies are small and their paths say where).
    ///
    /// Uses `JSONDecoder`, which is strict about types: `true` is never a number and `1` never a
    /// boolean. Object keys come out sorted, since a decoded dictionary has no order.
    static func parseJSON(_ bytes: some Sequence<UInt8>) throws(JSONSyntaxError) -> ConfigNode {
        let data = Data(bytes)
        do {
            return try JSONDecoder().decode(JSONTree.self, from: data).node
        } catch let error as DecodingError {
            throw JSONSyntaxError(message: describe(error, data: data))
        } catch {
            throw JSONSyntaxError(message: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError, data: Data) -> String {
        switch error {
        case .dataCorrupted(let context):
            // JSONDecoder says only "not valid JSON"; JSONSerialization says what and where.
            do {
                _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            } catch {
                if let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
            }
            return context.debugDescription
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            // A number no Double holds (1e400) ends the type ladder here.
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "unreadable value\(path.isEmpty ? "" : " at \(path)") (a number out of range?)"
        default:
            return "\(error)"
        }
    }
}

/// Decodes any JSON value into a ``ConfigNode``.
private struct JSONTree: Decodable {
    var node: ConfigNode

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            var pairs: [(key: String, keyLocation: ConfigNode.Location?, value: ConfigNode)] = []
            for key in object.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                pairs.append((key.stringValue, nil, try object.decode(JSONTree.self, forKey: key).node))
            }
            node = ConfigNode(.mapping(pairs))
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [ConfigNode] = []
            while !array.isAtEnd { items.append(try array.decode(JSONTree.self).node) }
            node = ConfigNode(.sequence(items))
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            node = ConfigNode(.null, text: "null")
        } else if let flag = try? single.decode(Bool.self) {
            node = ConfigNode(.bool(flag), text: flag ? "true" : "false")
        } else if let number = try? single.decode(Int.self) {
            node = ConfigNode(.integer(number), text: String(number))
        } else if let number = try? single.decode(Double.self) {
            node = ConfigNode(.float(number), text: "\(number)")
        } else {
            let string = try single.decode(String.self)
            node = ConfigNode(.string(string), text: string)
        }
    }
}
