import CCPoolCore
import Testing

/// The health client against a real gRPC server: Python grpcio with the standard
/// `grpcio-health-checking` servicer (`Tests/Peers/health_server.py`), as a child process.
///
/// Skipped where the Python packages are missing, except with `CI=true`, where that fails.
/// grpcio's Watch keeps only the latest pending status per stream, so each change is made after
/// the previous one arrived.
@Suite(
    "HealthCheck interop with a Python grpcio health server",
    .enabled(if: PythonHealthPeer.Availability.shouldRun, PythonHealthPeer.Availability.missingMessage)
)
struct HealthCheckInteropTests {
    @Test("Watch streams SERVING, NOT_SERVING, SERVING in order")
    func watchStreamsChanges() async throws {
        try await withPythonHealthPeer { peer in
            let connection = try await HealthTestConnection.connect(to: peer.address)
            let probe = try await connection.watch(service: "")
            try await probe.waitForStatuses(1)
            try await peer.set(.notServing)
            try await probe.waitForStatuses(2)
            try await peer.set(.serving)
            try await probe.waitForStatuses(3)
            #expect(probe.statuses == [.serving, .notServing, .serving])
            try await probe.cancel()
            try await connection.close()
        }
    }

    @Test("unknown service: Watch streams SERVICE_UNKNOWN, then the status once set; Check is NOT_FOUND")
    func unknownService() async throws {
        try await withPythonHealthPeer { peer in
            let connection = try await HealthTestConnection.connect(to: peer.address)
            let watch = try await connection.watch(service: "payments.v1.Payments")
            try await watch.waitForStatuses(1)
            #expect(watch.statuses == [.serviceUnknown])

            let check = try await connection.check(service: "payments.v1.Payments")
            let status = try await check.waitForFinish()
            #expect(status.code == .notFound)
            #expect(check.statuses.isEmpty)  // grpcio sends an empty message before NOT_FOUND; it is dropped

            try await peer.set(.notServing, for: "payments.v1.Payments")
            try await watch.waitForStatuses(2)
            #expect(watch.statuses == [.serviceUnknown, .notServing])
            try await watch.cancel()
            try await connection.close()
        }
    }

    @Test("Check: SERVING then NOT_SERVING, each with OK (grpc-timeout accepted)")
    func check() async throws {
        try await withPythonHealthPeer { peer in
            let connection = try await HealthTestConnection.connect(to: peer.address)
            let first = try await connection.check(service: "", timeout: .seconds(5))
            #expect(try await first.waitForFinish() == .ok)
            #expect(first.events.events == [.status(.serving), .finished(.ok)])

            try await peer.set(.notServing)
            let second = try await connection.check(service: "", timeout: .seconds(5))
            #expect(try await second.waitForFinish() == .ok)
            #expect(second.events.events == [.status(.notServing), .finished(.ok)])
            try await connection.close()
        }
    }

    @Test("a server without the health service: Watch and Check end UNIMPLEMENTED")
    func unimplemented() async throws {
        try await withPythonHealthPeer(withHealthService: false) { peer in
            let connection = try await HealthTestConnection.connect(to: peer.address)
            let watch = try await connection.watch(service: "")
            #expect(try await watch.waitForFinish().code == .unimplemented)
            #expect(watch.statuses.isEmpty)
            let check = try await connection.check(service: "")
            #expect(try await check.waitForFinish().code == .unimplemented)
            try await connection.close()
        }
    }

    @Test("an overall deadline ends the Watch with DEADLINE_EXCEEDED")
    func watchDeadline() async throws {
        try await withPythonHealthPeer { peer in
            let connection = try await HealthTestConnection.connect(to: peer.address)
            let probe = try await connection.watch(service: "", deadline: .milliseconds(1500))
            try await probe.waitForStatuses(1)
            #expect(try await probe.waitForFinish().code == .deadlineExceeded)
            try await connection.close()
        }
    }

    @Test("the server process dies mid-Watch: finished UNAVAILABLE")
    func serverDies() async throws {
        try await withPythonHealthPeer { peer in
            let connection = try await HealthTestConnection.connect(to: peer.address)
            let probe = try await connection.watch(service: "")
            try await probe.waitForStatuses(1)
            await peer.stop()
            let status = try await probe.waitForFinish()
            #expect(status.code == .unavailable)
            #expect(probe.events.events == [.status(.serving), .finished(status)])
            try await connection.close()
        }
    }
}
