/// An ordered list of header fields with case-insensitive lookup.
///
/// Request headers keep the order and the spelling MHD saw; repeated fields stay separate entries so that a
/// handler can see every `Accept` the client sent. Names compare ASCII case-insensitively.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)]

    public init() { fields = [] }

    public init(_ fields: [(name: String, value: String)]) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// Appends a field (does not replace an existing one).
    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    /// Replaces every field called `name` by one with `value`.
    public mutating func replace(_ name: String, _ value: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
        fields.append((name: name, value: value))
    }

    /// The first value of `name`, or nil.
    public subscript(_ name: String) -> String? {
        fields.first { Self.namesEqual($0.name, name) }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.namesEqual($0.name, name) }.map(\.value)
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    static func namesEqual(_ a: String, _ b: String) -> Bool {
        let a = a.utf8, b = b.utf8
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x != y {
            // ASCII letters differ by 0x20 between cases.
            if x | 0x20 != y | 0x20 { return false }
            let lower = x | 0x20
            if lower < UInt8(ascii: "a") || lower > UInt8(ascii: "z") { return false }
        }
        return true
    }
}
