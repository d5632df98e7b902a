import Testing

@testable import CCPoolService

/// The `peers` setting: lists, templates, and the errors that name what is wrong.
@Suite struct PeerListTests {
    @Test func listKeepsOrderAndDropsTrailingSlashes() throws {
        let peers = try PeerList.parse(" http://10.0.0.1:9090/, http://10.0.0.2:9090 ,https://[::1]:9443")
        #expect(try peers.urls(count: 3) == ["http://10.0.0.1:9090", "http://10.0.0.2:9090", "https://[::1]:9443"])
    }

    @Test func templateExpandsForEveryReplica() throws {
        let peers = try PeerList.parse("http://ccpool-{i}.ccpool-headless:9090")
        #expect(try peers.urls(count: 3) == [
            "http://ccpool-0.ccpool-headless:9090", "http://ccpool-1.ccpool-headless:9090",
            "http://ccpool-2.ccpool-headless:9090",
        ])
    }

    @Test(arguments: [
        ("", "empty"),
        ("ccpool-0:9090", "http://"),
        ("http://a:1,,http://b:2", "entry 1"),
        ("http://a:1/api", "without a path"),
        ("http://user:pw@a:1", "credentials"),
        ("http://a", "no port"),
        ("http://a:99999", "port"),
        ("http://ccpool-{n}:9090", "{i}"),
        ("http://ccpool-{i}:9090,http://b:1", "not both"),
    ])
    func refusesWithAReason(text: String, reason: String) {
        #expect {
            _ = try PeerList.parse(text)
        } throws: { error in
            (error as? PeerListError)?.message.contains(reason) == true
        }
    }

    @Test func aListMustNameEveryReplica() throws {
        let peers = try PeerList.parse("http://a:1,http://b:2")
        #expect(throws: PeerListError.self) { try peers.urls(count: 3) }
    }

    @Test func loaderChecksTheListAgainstTheShardCount() throws {
        #expect {
            _ = try ConfigLoader.load(
                yaml: "shard_count: 3\nshard_index: 0\n", fileName: "c.yaml",
                environment: ["CCPOOL_PEERS": "http://a:1,http://b:2"])
        } throws: { error in
            "\(error)".contains("CCPOOL_PEERS") && "\(error)".contains("shard_count is 3")
        }
        let loaded = try ConfigLoader.load(
            yaml: "shard_count: 3\nshard_index: 1\npeers: \"http://ccpool-{i}.ccpool:9090\"\npeer_timeout: 300ms\n",
            fileName: "c.yaml")
        #expect(loaded.peers == PeerList(.template("http://ccpool-{i}.ccpool:9090")))
        #expect(loaded.peerTimeout == .milliseconds(300))
        #expect(throws: (any Error).self) {
            _ = try ConfigLoader.load(yaml: "peer_timeout: 0s\n", fileName: "c.yaml")
        }
    }
}
