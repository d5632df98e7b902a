import CCPoolCore
import NIOCore
import NIOHTTP2
import Testing

/// The health client over real loopback HTTP/2 against the Swift ``TestServer``'s health service.
/// Every wait is on an event, bounded by a timeout.
@Suite("HealthCheck client against the test server")
struct HealthCheckClientTests {
    /// A started server and a READY connection to it; both closed by `finish()`.
    private struct Fixture {
        let server: TestServer
        let connection: HealthTestConnection

        static func make() async throws -> Fixture {
            let server = try await TestServer.start()
            do {
                return Fixture(server: server, connection: try await HealthTestConnection.connect(to: server.address))
            } catch {
                await server.stop()
                throw error
            }
        }

        func finish() async {
            try? await connection.close()
            await server.stop()
        }
    }

    private func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        let fixture = try await Fixture.make()
        do {
            try await body(fixture)
        } catch {
            await fixture.finish()
            throw error
        }
        await fixture.finish()
    }

    @Test("Watch streams SERVING, NOT_SERVING, SERVING in order, with the request headers gRPC expects")
    func watchStreamsChanges() async throws {
        try await withFixture { f in
            let health = f.server.health
            let probe = try await f.connection.watch(service: "")
            try await probe.waitForStatuses(1)
            health.setStatus(.notServing)
            try await probe.waitForStatuses(2)
            health.setStatus(.serving)
            try await probe.waitForStatuses(3)
            #expect(probe.statuses == [.serving, .notServing, .serving])
            #expect(health.log.events.first == .callStarted(path: "/grpc.health.v1.Health/Watch", timeout: nil))
            #expect(try await !probe.isFinished)
            try await probe.cancel()
        }
    }

    @Test("Watch on a named service; several changes sent back to back all arrive, in order")
    func watchNamedServiceBurst() async throws {
        try await withFixture { f in
            let health = f.server.health
            health.setStatus(.notServing, for: "payments.v1.Payments")
            let probe = try await f.connection.watch(service: "payments.v1.Payments")
            try await probe.waitForStatuses(1)
            let sequence: [ServingStatus] = [.serving, .notServing, .unknown, .serving, .unrecognized(9)]
            for status in sequence { health.setStatus(status, for: "payments.v1.Payments") }
            health.setStatus(.notServing, for: "")  // another service: not streamed here
            try await probe.waitForStatuses(1 + sequence.count)
            try await f.connection.drainLoop()
            #expect(probe.statuses == [.notServing] + sequence)
            try await probe.cancel()
        }
    }

    @Test("unknown service: Watch streams SERVICE_UNKNOWN then the status once set; Check is NOT_FOUND")
    func unknownService() async throws {
        try await withFixture { f in
            let watch = try await f.connection.watch(service: "missing")
            try await watch.waitForStatuses(1)
            #expect(watch.statuses == [.serviceUnknown])
            #expect(try await !watch.isFinished)

            let check = try await f.connection.check(service: "missing")
            let status = try await check.waitForFinish()
            #expect(status.code == .notFound)
            #expect(check.statuses.isEmpty)

            f.server.health.setStatus(.serving, for: "missing")
            try await watch.waitForStatuses(2)
            #expect(watch.statuses == [.serviceUnknown, .serving])
            try await watch.cancel()
        }
    }

    @Test("Check returns the status and OK, and sends grpc-timeout")
    func check() async throws {
        try await withFixture { f in
            let probe = try await f.connection.check(service: "", timeout: .seconds(3))
            #expect(try await probe.waitForFinish() == .ok)
            #expect(probe.events.events == [.status(.serving), .finished(.ok)])
            guard case .callStarted(let path, let timeout) = f.server.health.log.events.first else {
                Issue.record("no call seen by the server")
                return
            }
            #expect(path == "/grpc.health.v1.Health/Check")
            // 3 s, encoded in the finest unit that fits, a little less after the hop.
            let sent = try #require(timeout.flatMap(GRPCTimeout.decode))
            #expect(sent <= .seconds(3) && sent > .seconds(2))

            f.server.health.setStatus(.notServing)
            let second = try await f.connection.check(service: "")
            _ = try await second.waitForFinish()
            #expect(second.events.events == [.status(.notServing), .finished(.ok)])
        }
    }

    @Test("UNIMPLEMENTED mode: trailers-only grpc-status 12, distinguishable, no status")
    func unimplemented() async throws {
        try await withFixture { f in
            f.server.health.mode = .unimplemented
            let watch = try await f.connection.watch(service: "")
            let status = try await watch.waitForFinish()
            #expect(status.code == .unimplemented)
            #expect(status.message == "Method not found: grpc.health.v1.Health/Watch")
            #expect(watch.events.events.count == 1)

            let check = try await f.connection.check(service: "")
            #expect(try await check.waitForFinish().code == .unimplemented)
        }
    }

    @Test("hang: no answer → DEADLINE_EXCEEDED at the first-response deadline, and the stream is reset")
    func hangHitsFirstResponseDeadline() async throws {
        try await withFixture { f in
            f.server.health.mode = .hang
            let clock = ContinuousClock()
            let start = clock.now
            let probe = try await f.connection.watch(service: "", firstResponseTimeout: .milliseconds(300))
            let status = try await probe.waitForFinish()
            let elapsed = clock.now - start
            #expect(status.code == .deadlineExceeded)
            #expect(status.message == "no health check response within 300ms")
            #expect(elapsed >= .milliseconds(300))
            #expect(probe.events.events.count == 1)
            try await f.server.health.log.wait(timeout: .seconds(5), "the server to see the reset") {
                $0.contains(.resetByClient(.cancel))
            }
        }
    }

    @Test("the first-response deadline does not fire once a status arrived; the overall deadline does")
    func overallDeadline() async throws {
        try await withFixture { f in
            let probe = try await f.connection.watch(
                service: "", firstResponseTimeout: .milliseconds(500), deadline: .seconds(1))
            try await probe.waitForStatuses(1)
            let status = try await probe.waitForFinish()
            #expect(status == GRPCStatus(code: .deadlineExceeded, message: "deadline exceeded"))
            #expect(probe.events.events == [.status(.serving), .finished(status)])
            guard case .callStarted(_, let timeout) = f.server.health.log.events.first else {
                Issue.record("no call seen by the server")
                return
            }
            #expect(timeout != nil)
            try await f.server.health.log.wait(timeout: .seconds(5), "the server to see the reset") {
                $0.contains(.resetByClient(.cancel))
            }
        }
    }

    @Test("cancel(): the stream is reset, and no event follows, not even when the connection dies")
    func cancelStopsCallbacks() async throws {
        try await withFixture { f in
            let health = f.server.health
            let probe = try await f.connection.watch(service: "")
            try await probe.waitForStatuses(1)
            try await probe.cancel()
            try await health.log.wait(timeout: .seconds(5), "the server to see the reset and close the stream") {
                $0.contains(.resetByClient(.cancel)) && $0.contains(.streamClosed(path: "/grpc.health.v1.Health/Watch"))
            }
            #expect(health.watchCount == 0)
            health.setStatus(.notServing)
            await f.server.resetConnections()
            try await f.connection.waitUntilClosed()
            try await f.connection.drainLoop()
            #expect(probe.events.events == [.status(.serving)])
            #expect(try await probe.isFinished)
        }
    }

    @Test("cancel() from inside the handler: the rest of the frame is not delivered")
    func cancelInsideHandler() async throws {
        try await withFixture { f in
            let health = f.server.health
            let probe = try await f.connection.watch(service: "", cancelOnFirstStatus: true)
            try await probe.waitForStatuses(1)
            health.setStatus(.notServing)
            health.setStatus(.serving)
            try await health.log.wait(timeout: .seconds(5), "the server to see the reset") {
                $0.contains(.resetByClient(.cancel))
            }
            await f.server.resetConnections()
            try await f.connection.waitUntilClosed()
            try await f.connection.drainLoop()
            #expect(probe.events.events == [.status(.serving)])
        }
    }

    @Test("cancel() before the stream opened: no stream, no event")
    func cancelBeforeStart() async throws {
        try await withFixture { f in
            let probe = try await f.connection.watch(service: "", cancelImmediately: true)
            // A Check on the same connection afterwards is the server's first and only call.
            let check = try await f.connection.check(service: "")
            _ = try await check.waitForFinish()
            try await f.connection.drainLoop()
            #expect(probe.events.events.isEmpty)
            let paths = f.server.health.log.events.compactMap {
                if case .callStarted(let path, _) = $0 { return path } else { return nil }
            }
            #expect(paths == ["/grpc.health.v1.Health/Check"])
        }
    }

    @Test("a response above the maximum message size: RESOURCE_EXHAUSTED, stream reset")
    func oversizedResponse() async throws {
        try await withFixture { f in
            let probe = try await f.connection.watch(service: "", maximumMessageSize: 1)  // SERVING is 2 bytes
            let status = try await probe.waitForFinish()
            #expect(status.code == .resourceExhausted)
            #expect(probe.statuses.isEmpty)
            try await f.server.health.log.wait(timeout: .seconds(5), "the server to see the reset") {
                $0.contains(.resetByClient(.cancel))
            }
        }
    }

    @Test("the server closes the connection: finished UNAVAILABLE")
    func connectionClosed() async throws {
        try await withFixture { f in
            let probe = try await f.connection.watch(service: "")
            try await probe.waitForStatuses(1)
            await f.server.resetConnections()
            let status = try await probe.waitForFinish()
            #expect(status.code == .unavailable)
            #expect(probe.events.events == [.status(.serving), .finished(status)])
        }
    }

    @Test("the server ends the Watch with an error status: code and percent-decoded message")
    func serverEndsWatchWithError() async throws {
        try await withFixture { f in
            let probe = try await f.connection.watch(service: "")
            try await probe.waitForStatuses(1)
            f.server.health.endWatches(code: .unavailable, message: "draining: 100% — bye")
            let status = try await probe.waitForFinish()
            #expect(status == GRPCStatus(code: .unavailable, message: "draining: 100% — bye"))
        }
    }

    @Test(
        "the server resets the Watch: the RST_STREAM code is mapped",
        arguments: [(HTTP2ErrorCode.refusedStream, GRPCStatus.Code.unavailable), (.internalError, .internal)]
            as [(HTTP2ErrorCode, GRPCStatus.Code)]
    )
    func serverResetsWatch(errorCode: HTTP2ErrorCode, code: GRPCStatus.Code) async throws {
        try await withFixture { f in
            let probe = try await f.connection.watch(service: "")
            try await probe.waitForStatuses(1)
            f.server.health.resetWatches(errorCode: errorCode)
            let status = try await probe.waitForFinish()
            #expect(status.code == code)
            #expect(status.message.contains("RST_STREAM"))
        }
    }

    @Test("a connection that already closed: the call ends UNAVAILABLE, never inside watch()")
    func streamOnClosedConnection() async throws {
        try await withFixture { f in
            await f.server.resetConnections()
            try await f.connection.waitUntilClosed()
            let probe = try await f.connection.watch(service: "")
            let status = try await probe.waitForFinish()
            #expect(status.code == .unavailable)
            #expect(status.message.hasPrefix("could not open a stream"))
        }
    }

    @Test("two Watches on one connection are independent")
    func twoWatches() async throws {
        try await withFixture { f in
            let all = try await f.connection.watch(service: "")
            let named = try await f.connection.watch(service: "svc")
            try await all.waitForStatuses(1)
            try await named.waitForStatuses(1)
            f.server.health.setStatus(.serving, for: "svc")
            try await named.waitForStatuses(2)
            try await all.cancel()
            f.server.health.setStatus(.notServing, for: "svc")
            try await named.waitForStatuses(3)
            #expect(all.statuses == [.serving])
            #expect(named.statuses == [.serviceUnknown, .serving, .notServing])
            try await named.cancel()
        }
    }
}
