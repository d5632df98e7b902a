import CCPoolCore
import Testing

/// `SmallMap` behaves as a `Dictionary` with the same operations, below, across and above its array limit.
@Suite struct SmallMapTests {
    enum Operation: CustomStringConvertible {
        case set(Int, Int), remove(Int), add(Int, Int), removeValue(Int)
        var description: String {
            switch self {
            case .set(let k, let v): "m[\(k)] = \(v)"
            case .remove(let k): "m[\(k)] = nil"
            case .add(let k, let v): "m[\(k), default: 0] += \(v)"
            case .removeValue(let k): "m.removeValue(forKey: \(k))"
            }
        }
    }

    @Test func behavesAsADictionary() {
        for seed in UInt64(1)...200 {
            var random = SeededRandomSource(seed: seed)  // reproducible from the seed
            var map: SmallMap<Int, Int> = [:]
            var model: [Int: Int] = [:]
            var done: [Operation] = []
            // Keys from a small range keep hitting existing entries; the range grows past the array limit.
            let keys = Int.random(in: 1...(SmallMap<Int, Int>.arrayLimit * 3), using: &random)
            for _ in 0..<60 {
                let key = Int.random(in: 0..<keys, using: &random)
                let value = Int.random(in: 0..<100, using: &random)
                let operation: Operation = switch Int.random(in: 0..<4, using: &random) {
                case 0: .set(key, value)
                case 1: .remove(key)
                case 2: .add(key, value)
                default: .removeValue(key)
                }
                done.append(operation)
                switch operation {
                case .set(let k, let v): map[k] = v; model[k] = v
                case .remove(let k): map[k] = nil; model[k] = nil
                case .add(let k, let v): map[k, default: 0] += v; model[k, default: 0] += v
                case .removeValue(let k): #expect(map.removeValue(forKey: k) == model.removeValue(forKey: k))
                }
                let same = map.count == model.count
                    && model.allSatisfy { map[$0.key] == $0.value }
                    && Dictionary(uniqueKeysWithValues: map.map { ($0.key, $0.value) }) == model
                    && Set(map.keys) == Set(model.keys) && map.values.sorted() == model.values.sorted()
                if !same {
                    Issue.record("seed \(seed): after \(done.map(\.description).joined(separator: "; ")): \(Array(map)) vs \(model)")
                    break
                }
            }
        }
    }

    @Test func equalityIgnoresOrderAndStorage() {
        var small: SmallMap<String, Int> = ["a": 1, "b": 2]
        let reversed: SmallMap<String, Int> = ["b": 2, "a": 1]
        #expect(small == reversed)
        #expect(small.hashValue == reversed.hashValue)
        var large: SmallMap<String, Int> = [:]
        for i in 0...SmallMap<String, Int>.arrayLimit { large["k\(i)"] = i }
        for i in 0...SmallMap<String, Int>.arrayLimit { large["k\(i)"] = nil }
        large["a"] = 1
        large["b"] = 2
        #expect(large == small)
        small["a"] = 3
        #expect(large != small)
    }
}
