import HTTPServer

/// `GET /v1/targets` for the whole pool: every replica's list, merged by name.
///
/// Each replica's answer is split into its elements by byte range (``JSONSlices``) and the elements are
/// spliced into one list as they are, sorted by name; a name listed by two replicas (while they move a
/// target between them) appears once, as the lower-indexed replica lists it. The answer ends with
/// `"partial"` and, for replicas that did not answer in time, `"missing_replicas"`.
enum MergedTargetList {
    struct Element {
        var name: String
        var replica: Int
        var source: Int
        var range: Range<Int>
    }

    /// Merges the lists of `{"targets": [...]}` bodies, `bodies[i]` coming from replica `replicas[i]`.
    static func merge(_ bodies: [(replica: Int, url: String, body: [UInt8])], missing: [MissingReplica]) -> [UInt8] {
        var missing = missing
        var elements: [Element] = []
        var total = 0
        for (source, part) in bodies.enumerated() {
            let body = part.body
            guard let list = JSONSlices.member("targets", in: body, 0..<body.count),
                let items = JSONSlices.elements(in: body, list)
            else {
                missing.append(MissingReplica(replica: part.replica, url: part.url, reason: "answered a malformed target list"))
                continue
            }
            elements.reserveCapacity(elements.count + items.count)
            for item in items {
                guard let nameRange = JSONSlices.member("name", in: body, item), let name = JSONSlices.string(body, nameRange) else {
                    continue
                }
                elements.append(Element(name: name, replica: part.replica, source: source, range: item))
                total += item.count + 1
            }
        }
        elements.sort { $0.name != $1.name ? $0.name < $1.name : $0.replica < $1.replica }
        var out: [UInt8] = []
        out.reserveCapacity(total + 64)
        out.append(contentsOf: #"{"targets":["#.utf8)
        var previous: String?
        var first = true
        for element in elements where element.name != previous {
            previous = element.name
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: bodies[element.source].body[element.range])
        }
        out.append(contentsOf: "],".utf8)
        out.append(contentsOf: MissingReplica.members(missing.sorted { $0.replica < $1.replica }).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
