import Foundation
import Testing

@testable import CCPoolService

/// Target lists merged by name, and the byte-range JSON reading under them.
@Suite struct MergedTargetListTests {
    func list(_ names: [String]) -> [UInt8] {
        let items = names.map { #"{"name":"\#($0)","target":"ipv4:127.0.0.1:1","labels":{"a":"}]\"x"},"subchannels":[{"id":1}]}"# }
        return Array((#"{"targets":["# + items.joined(separator: ",") + "]}").utf8)
    }

    @Test func mergesByNameOnceEach() throws {
        let body = MergedTargetList.merge(
            [(0, "http://r0", list(["b", "d"])), (1, "http://r1", list(["a", "c", "d"])), (2, "http://r2", list([]))],
            missing: [])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.map { $0["name"] as? String } == ["a", "b", "c", "d"])
        #expect((targets[0]["labels"] as? [String: String])?["a"] == "}]\"x")
        #expect(object["partial"] as? Bool == false)
        #expect(object["missing_replicas"] == nil)
    }

    @Test func saysWhichReplicasAreMissing() throws {
        let body = MergedTargetList.merge(
            [(0, "http://r0", list(["a"])), (2, "http://r2", Array("garbage".utf8))],
            missing: [MissingReplica(replica: 1, url: "http://r1", reason: "connection refused")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["partial"] as? Bool == true)
        let missing = try #require(object["missing_replicas"] as? [[String: Any]])
        #expect(missing.map { $0["replica"] as? Int } == [1, 2])
        #expect(missing[0]["reason"] as? String == "connection refused")
        #expect(missing[1]["url"] as? String == "http://r2")
    }

    @Test func slicesFindMembersAndRefuseBrokenInput() {
        let text = Array(#" { "a" : [1, {"b": "x,]"}], "n": -12 , "s": "q\"\u00e9" } "#.utf8)
        let whole = 0..<text.count
        #expect(JSONSlices.member("n", in: text, whole).map { JSONSlices.integer(text, $0) } == -12)
        #expect(JSONSlices.member("s", in: text, whole).flatMap { JSONSlices.string(text, $0) } == "q\"é")
        let array = JSONSlices.member("a", in: text, whole)!
        #expect(JSONSlices.elements(in: text, array)?.count == 2)
        #expect(JSONSlices.member("missing", in: text, whole) == nil)
        for broken in [#"{"a": [1, 2"#, #"{"a" 1}"#, #"["x"#, "", #"{"a":"unterminated}"#] {
            let bytes = Array(broken.utf8)
            #expect(JSONSlices.member("a", in: bytes, 0..<bytes.count).flatMap { JSONSlices.elements(in: bytes, $0) } == nil)
        }
    }
}
