import CCPoolCore
import NIOCore
import Testing

@Suite("Picks: wait-for-ready and deadlines")
struct PickTests {
    @Test("fail fast while CONNECTING; DEADLINE_EXCEEDED when waiting past the deadline")
    func connecting() async throws {
        let hanging = try await TestServer.start(behaviour: .hang)
        defer { Task { await hanging.stop() } }
        let channel = try await ChannelHarness.make(
            addresses: [hanging.address], backoff: BackoffConfiguration(minConnectTimeout: .seconds(20)))
        try await channel.recorder.waitForChannel(.connecting)

        await #expect {
            _ = try await channel.pick(waitForReady: false)
        } throws: { ($0 as? PickError)?.code == .unavailable }
        await #expect {
            _ = try await channel.pick(waitForReady: true, timeout: .milliseconds(100))
        } throws: { ($0 as? PickError)?.code == .deadlineExceeded }
        try await channel.shutdown()
    }

    @Test("a wait-for-ready pick issued during TF completes when the channel becomes READY")
    func waitForReady() async throws {
        let closed = try await TestServer.closedPort()
        let channel = try await ChannelHarness.make(addresses: [closed])
        try await channel.recorder.waitForChannel(.transientFailure)

        // Generous: on a loaded machine the test task may resume late to start the server.
        async let picked = channel.pick(waitForReady: true, timeout: .seconds(60))
        guard case .hostPort(let host, let port) = closed else { return }
        let server = try await TestServer.start(host: host, port: port)
        defer { Task { await server.stop() } }
        do {
            #expect(try await picked.address == closed)
        } catch {
            Issue.record("pick failed: \(error); subchannel moves: \(channel.recorder.subchannelTransitions.map { "\($0.from)→\($0.to) \($0.reason) @\($0.time.timeIntervalSince1970)" }); server accepted \(server.acceptedCount)")
        }
        try await channel.shutdown()
    }

    @Test("picks on a shut-down channel fail with UNAVAILABLE")
    func afterShutdown() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let channel = try await ChannelHarness.make(addresses: [server.address])
        try await channel.recorder.waitForChannel(.ready)
        try await channel.shutdown()
        await #expect {
            _ = try await channel.pick(waitForReady: true)
        } throws: { $0 as? PickError == PickError(.unavailable, "channel shut down") }
    }

    @Test("idle: lazy connects on the first pick")
    func lazyIdle() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let channel = try await ChannelHarness.make(addresses: [server.address], idle: .lazy)
        try await channel.recorder.waitForChannel(.ready)
        await server.resetConnections()
        try await channel.recorder.waitForChannel(.idle)
        #expect(server.acceptedCount == 1, "lazy: no reconnect without a pick")
        let picked = try await channel.pick(waitForReady: false, timeout: .seconds(5))
        #expect(picked.address == server.address)
        #expect(server.acceptedCount == 2)
        try await channel.shutdown()
    }
}
