import Foundation
import MetricsExposition
import Testing

/// Runs the real checkers on our output: `promtool check metrics` and Python `prometheus_client`'s parsers.
///
/// Tools come from `apt-get install -y prometheus` and `pip install prometheus-client`. Without them the
/// tests are skipped locally, but with `CI=true` they run and fail, so CI cannot pass by missing a tool.
@Suite struct ExternalCheckerTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static let promtool = which("promtool")
    static let python: String? = {
        guard let python = which("python3") else { return nil }
        return (try? run(python, ["-c", "import prometheus_client"]))?.status == 0 ? python : nil
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        // Write stdin and drain both outputs concurrently so no pipe buffer fills up.
        let writer = Thread {
            if let stdin { inPipe.fileHandleForWriting.write(stdin) }
            try? inPipe.fileHandleForWriting.close()
        }
        writer.start()
        let errData = LockedData()
        let errReader = Thread { errData.set(errPipe.fileHandleForReading.readDataToEndOfFile()) }
        errReader.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Output(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    final class LockedData: @unchecked Sendable {  // protected by `lock`
        private let lock = NSLock()
        private var data: Data?
        func set(_ d: Data) { lock.withLock { data = d } }
        var isSet: Bool { lock.withLock { data != nil } }
        func get() -> Data { lock.withLock { data ?? Data() } }
    }

    /// Snapshots the checkers read: the golden fixture, and a wider synthetic one with live /proc values.
    static var snapshots: [(String, MetricsSnapshot)] {
        [("small", Fixtures.small),
         ("synthetic", MetricsSnapshot.synthetic(targets: 50, subchannelsPerTarget: 3, process: ProcessMetrics.read()))]
    }

    /// Findings promtool 2.42 reports that are not ours to fix, each with the reason:
    /// - promtool's `check metrics` parses only the text format, so on OpenMetrics input it sees each counter's
    ///   `_total` samples as a family without HELP; the OpenMetrics parser below checks that format for real.
    static func unexpectedFindings(_ output: String, format: ExpositionFormat) -> [String] {
        let counters = Set(Fixtures.families.filter { $0.type == "counter" }.map(\.name))
        return output.split(separator: "\n").map(String.init).filter { line in
            if format == .openMetrics, line.hasSuffix(" no help text"),
                counters.contains(String(line.dropLast(" no help text".count)))
            {
                return false
            }
            return true
        }
    }

    @Test(.enabled(if: promtool != nil || isCI, "promtool not installed (apt-get install -y prometheus)"),
          arguments: ExpositionFormat.allCases)
    func promtoolCheckMetrics(format: ExpositionFormat) throws {
        let promtool = try #require(Self.promtool, "promtool is required when CI=true")
        for (name, snapshot) in Self.snapshots {
            let body = MetricsRenderer.render(snapshot, format: format)
            let result = try Self.run(promtool, ["check", "metrics"], stdin: Data(body))
            let findings = Self.unexpectedFindings(result.stdout + result.stderr, format: format)
            #expect(findings.isEmpty, "promtool on \(name) \(format): \(findings)")
            // Exit 0 is clean; 3 means lint findings only (all of them allow-listed above); anything else is
            // a parse failure.
            #expect(result.status == 0 || result.status == 3, "promtool exit \(result.status): \(result.stderr)")
        }
    }

    static let parserScript = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families as text_parser
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parser
        parser = om_parser if sys.argv[1] == "openmetrics" else text_parser
        out = []
        for family in parser(sys.stdin.read()):
            labels = sorted({k for s in family.samples for k in s.labels if k != "le"})
            out.append({"name": family.name, "type": family.type, "labels": labels, "samples": len(family.samples)})
        print(json.dumps(out))
        """

    struct ParsedFamily: Decodable {
        var name: String
        var type: String
        var labels: [String]
        var samples: Int
    }

    @Test(.enabled(if: python != nil || isCI, "prometheus_client not installed (pip install prometheus-client)"),
          arguments: ExpositionFormat.allCases)
    func prometheusClientReadsEveryFamily(format: ExpositionFormat) throws {
        let python = try #require(Self.python, "python3 with prometheus_client is required when CI=true")
        for (name, snapshot) in Self.snapshots {
            let body = MetricsRenderer.render(snapshot, format: format)
            let result = try Self.run(
                python, ["-c", Self.parserScript, format == .openMetrics ? "openmetrics" : "text"], stdin: Data(body))
            try #require(result.status == 0, "parser failed on \(name) \(format): \(result.stderr)")
            let families = try JSONDecoder().decode([ParsedFamily].self, from: Data(result.stdout.utf8))
            // prometheus_client names counter families without `_total` in both formats.
            var byName: [String: ParsedFamily] = [:]
            for family in families { byName[family.name] = family }
            #expect(families.count == Fixtures.families.count, "\(name) \(format)")
            for expected in Fixtures.families {
                let familyName = expected.type == "counter" ? String(expected.name.dropLast(6)) : expected.name
                let parsed = try #require(byName[familyName], "\(familyName) missing in \(name) \(format)")
                #expect(parsed.type == expected.type, "\(familyName)")
                #expect(Set(parsed.labels) == expected.labels, "\(familyName) labels in \(name) \(format)")
                #expect(parsed.samples > 0, "\(familyName)")
            }
        }
    }
}
