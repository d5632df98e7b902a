/// A dictionary for the few entries a channel keeps per subchannel and per address: up to
/// ``SmallMap/arrayLimit`` entries in one array found by a linear search, beyond that a `Dictionary`.
///
/// Most targets have one address and one subchannel, and each keeps several such maps (the balancer's
/// SubConns, pick_first's addresses, the stats' subchannels and address series). A one-entry `Dictionary`
/// costs about 250 bytes of hash storage sized for growth (heaptrack, 5,000 single-address targets); the
/// array costs its header and the entry. With five such maps as `SmallMap`s, ccpool's resident memory per
/// target went from 33.40 to 33.08 kB (15,000 single-address targets, RSS after READY minus an empty pool).
/// A linear search over a few entries is also no slower than hashing the key.
///
/// The order of iteration is unspecified, as for `Dictionary`.
public struct SmallMap<Key: Hashable, Value> {
    public typealias Element = (key: Key, value: Value)

    /// Above this many entries the map becomes a `Dictionary` (and stays one).
    @inlinable
    public static var arrayLimit: Int { 8 }

    @usableFromInline
    enum Storage {
        case array([Element])
        case dictionary([Key: Value])
    }

    @usableFromInline
    var storage = Storage.array([])

    @inlinable
    public init() {}

    @inlinable
    public var count: Int {
        switch storage {
        case .array(let entries): entries.count
        case .dictionary(let dictionary): dictionary.count
        }
    }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    /// The values, in iteration order (a view: nothing is copied).
    @inlinable
    public var values: LazyMapSequence<SmallMap, Value> { lazy.map(\.value) }

    /// The keys, in iteration order (a view: nothing is copied).
    @inlinable
    public var keys: LazyMapSequence<SmallMap, Key> { lazy.map(\.key) }

    /// The value for `key`; setting nil removes the entry.
    @inlinable
    public subscript(key: Key) -> Value? {
        get {
            switch storage {
            case .array(let entries): entries.first { $0.key == key }?.value
            case .dictionary(let dictionary): dictionary[key]
            }
        }
        set {
            switch storage {
            case .dictionary(var dictionary):
                storage = .array([])  // drops the second reference, so the write below does not copy
                dictionary[key] = newValue
                storage = .dictionary(dictionary)
            case .array(var entries):
                storage = .array([])
                let index = entries.firstIndex { $0.key == key }
                switch (index, newValue) {
                case (let index?, let value?): entries[index].value = value
                case (let index?, nil): entries.remove(at: index)
                case (nil, let value?): entries.append((key, value))
                case (nil, nil): break
                }
                if entries.count > Self.arrayLimit {
                    storage = .dictionary(Dictionary(uniqueKeysWithValues: entries.lazy.map { ($0.key, $0.value) }))
                } else {
                    storage = .array(entries)
                }
            }
        }
    }

    /// The value for `key`, or `defaultValue` (which a modification stores).
    @inlinable
    public subscript(key: Key, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[key] ?? defaultValue() }
        set { self[key] = newValue }
    }

    @inlinable
    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        let old = self[key]
        if old != nil { self[key] = nil }
        return old
    }
}

extension SmallMap: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline var array: IndexingIterator<[Element]>?
        @usableFromInline var dictionary: Dictionary<Key, Value>.Iterator?

        @inlinable
        init(array: IndexingIterator<[Element]>?, dictionary: Dictionary<Key, Value>.Iterator?) {
            self.array = array
            self.dictionary = dictionary
        }

        @inlinable
        public mutating func next() -> Element? {
            if array != nil { return array!.next() }
            return dictionary?.next().map { (key: $0.key, value: $0.value) }
        }
    }

    @inlinable
    public func makeIterator() -> Iterator {
        switch storage {
        case .array(let entries): Iterator(array: entries.makeIterator(), dictionary: nil)
        case .dictionary(let dictionary): Iterator(array: nil, dictionary: dictionary.makeIterator())
        }
    }
}

extension SmallMap: ExpressibleByDictionaryLiteral {
    @inlinable
    public init(dictionaryLiteral elements: (Key, Value)...) {
        for (key, value) in elements { self[key] = value }
    }
}

extension SmallMap: Sendable where Key: Sendable, Value: Sendable {}
extension SmallMap.Storage: Sendable where Key: Sendable, Value: Sendable {}

extension SmallMap: Equatable where Value: Equatable {
    /// The same keys with equal values, whatever the order or the storage.
    @inlinable
    public static func == (lhs: SmallMap, rhs: SmallMap) -> Bool {
        lhs.count == rhs.count && lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension SmallMap: Hashable where Value: Hashable {
    /// Order-independent, as `Dictionary`'s.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for (key, value) in self {
            var one = Hasher()
            one.combine(key)
            one.combine(value)
            combined ^= one.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}
