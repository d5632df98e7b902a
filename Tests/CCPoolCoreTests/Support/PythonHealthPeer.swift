import CCPoolCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real gRPC server (Python grpcio with `grpcio-health-checking`), run as a child process from
/// `Tests/Peers/health_server.py`, steered through its stdin.
///
/// Always stop it with ``stop()`` (``withPythonHealthPeer(withHealthService:_:)`` does, on every
/// path): it sends SIGTERM to the child's PID, then SIGKILL if it has not exited within 5 s. The
/// script unblocks SIGTERM itself (a child spawned from a Swift pool thread inherits a mask that
/// blocks it) and also exits when its stdin closes, so it cannot outlive a crashed test process.
final class PythonHealthPeer: Sendable {
    /// Whether the peer can run here, and whether its absence is a failure (`CI=true`).
    enum Availability {
        static let pythonPackagesInstalled: Bool = {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", "import grpc, grpc_health.v1.health"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus == 0
            } catch {
                return false
            }
        }()

        static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

        /// Run when the packages are there; under CI run anyway, so that their absence fails.
        static var shouldRun: Bool { pythonPackagesInstalled || isCI }

        static let missingMessage: Comment = """
            python3 with grpcio and grpcio-health-checking is not installed \
            (pip install -r Tests/Peers/requirements.txt): skipped here; with CI=true this is a failure
            """
    }

    struct PeerError: Error, CustomStringConvertible {
        var description: String
    }

    static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // CCPoolCoreTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Peers/health_server.py").path

    private let process: Process
    private let stdin: FileHandle
    /// The lines the script printed.
    let lines: Recorder<String>
    /// The child's exit status, once it exited.
    private let exitRecorder: Recorder<Int32>
    /// Where it listens, once started.
    let address: Address

    private init(process: Process, stdin: FileHandle, lines: Recorder<String>, exited: Recorder<Int32>, address: Address) {
        self.process = process
        self.stdin = stdin
        self.lines = lines
        self.exitRecorder = exited
        self.address = address
    }

    var pid: Int32 { process.processIdentifier }

    /// Starts the script and waits for its "listening <port>" line.
    static func start(withHealthService: Bool = true) async throws -> PythonHealthPeer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", scriptPath, "0"] + (withHealthService ? [] : ["--no-health"])
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.standardError

        let output = Recorder<String>()
        let exited = Recorder<Int32>()
        try process.run()
        startReading(stdoutPipe.fileHandleForReading, into: output)
        // The child's exit as an event, from a thread blocked in waitUntilExit.
        Thread {
            process.waitUntilExit()
            exited.record(process.terminationStatus)
        }.start()

        let peer = { (address: Address) in
            PythonHealthPeer(
                process: process, stdin: stdinPipe.fileHandleForWriting, lines: output, exited: exited, address: address)
        }
        do {
            try await output.wait(timeout: .seconds(30), "the Python peer to listen") { lines in
                lines.contains { $0.hasPrefix("listening ") }
            }
        } catch {
            await peer(.hostPort(host: "127.0.0.1", port: 0)).stop()
            throw error
        }
        let line = output.events.first { $0.hasPrefix("listening ") }!
        guard let port = Int(line.dropFirst("listening ".count)), port > 0 else {
            await peer(.hostPort(host: "127.0.0.1", port: 0)).stop()
            throw PeerError(description: "the Python peer printed \(line)")
        }
        return peer(.hostPort(host: "127.0.0.1", port: port))
    }

    /// Sends `set <service> <status>` and waits for the script's answer.
    func set(_ status: ServingStatus, for service: String = "") async throws {
        let before = lines.events.count
        let name = service.isEmpty ? "-" : service
        stdin.write(Data("set \(name) \(status)\n".utf8))
        try await lines.wait(timeout: .seconds(10), "the peer to answer") { $0.count > before }
        let answer = lines.events[before]
        guard answer == "ok" else { throw PeerError(description: "the Python peer answered \(answer)") }
    }

    /// Stops the child by PID: SIGTERM, then SIGKILL after 5 s. Safe to call twice.
    func stop() async {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        do {
            try await exitRecorder.wait(timeout: .seconds(5), "the peer to exit") { !$0.isEmpty }
        } catch {
            kill(pid, SIGKILL)
            try? await exitRecorder.wait(timeout: .seconds(5), "the peer to die") { !$0.isEmpty }
        }
        try? stdin.close()
    }

    /// Reads stdout on a thread of its own (a blocking read), one line at a time.
    private static func startReading(_ handle: FileHandle, into output: Recorder<String>) {
        let thread = Thread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    output.record(line)
                }
            }
        }
        thread.start()
    }
}

/// Runs `body` with a started Python peer and stops the peer on every path. Fails the test (rather
/// than skipping it) when the Python packages are missing and `CI=true`.
func withPythonHealthPeer(
    withHealthService: Bool = true,
    _ body: (PythonHealthPeer) async throws -> Void
) async throws {
    try #require(
        PythonHealthPeer.Availability.pythonPackagesInstalled,
        "CI=true but python3 with grpcio and grpcio-health-checking is missing: pip install -r Tests/Peers/requirements.txt")
    let peer = try await PythonHealthPeer.start(withHealthService: withHealthService)
    do {
        try await body(peer)
    } catch {
        await peer.stop()
        throw error
    }
    await peer.stop()
}
