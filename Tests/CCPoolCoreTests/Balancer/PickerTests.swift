import Testing

@testable import CCPoolCore

@Suite("pickers")
struct PickerTests {
    private static func subConns(_ count: Int) -> [PickedSubConn] {
        (0..<count).map { PickedSubConn(id: SubchannelID(rawValue: Int64($0 + 1)), address: .hostPort(host: "127.0.0.1", port: 1000 + $0)) }
    }

    @Test("the multiply-based index equals counter % count, at the edges of 32 bits too")
    func indexMatchesModulo() {
        let counters: [UInt32] = [0, 1, 2, 3, 4, 5, 6, 7, 1000, 65_535, 65_536, 1 << 31, UInt32.max - 2, UInt32.max - 1, UInt32.max]
        for count in [1, 2, 3, 4, 5, 7, 10, 64, 1000, 65_537, Int(UInt32.max)] {
            let reciprocal = UInt64.max / UInt64(count) &+ 1
            for counter in counters {
                #expect(RoundRobinPicker.index(counter, count: count, reciprocal: reciprocal) == Int(counter) % count,
                        "counter \(counter), count \(count)")
            }
        }
    }

    @Test("round_robin rotates over every slot in order from its start, and slots name the subchannels")
    func roundRobinRotates() {
        let table = Self.subConns(3)
        let picker = RoundRobinPicker(table, start: 2)
        var slots: [Int] = []
        for _ in 0..<7 {
            guard case .pick(let slot) = picker.pick() else { Issue.record("no pick"); return }
            slots.append(slot)
        }
        #expect(slots == [2, 0, 1, 2, 0, 1, 2])
        #expect((0..<3).map { picker.subConn(at: $0) } == table)
    }

    @Test("pick_first's picker always answers its one subchannel")
    func single() {
        let only = Self.subConns(1)[0]
        let picker = SingleSubConnPicker(only)
        #expect(picker.pick() == .pick(slot: 0))
        #expect(picker.subConn(at: 0) == only)
    }
}
