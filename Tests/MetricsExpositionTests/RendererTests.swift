import CZlib
import Foundation
import MetricsExposition
import SharedBytes
import Testing

@Suite struct RendererTests {
    func golden(_ name: String, _ bytes: [UInt8]) throws {
        let url = Fixtures.directory.appendingPathComponent("Golden").appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let expected = try [UInt8](Data(contentsOf: url))
        #expect(bytes == expected, "\(name) differs from the golden file; run with UPDATE_GOLDEN=1 and review the diff")
    }

    @Test func goldenText() throws {
        try golden("small.prom", MetricsRenderer.render(Fixtures.small, format: .prometheusText))
    }

    @Test func goldenOpenMetrics() throws {
        try golden("small.openmetrics", MetricsRenderer.render(Fixtures.small, format: .openMetrics))
    }

    @Test func everyFamilyOnceWithHelpAndType() {
        for format in ExpositionFormat.allCases {
            let text = String(decoding: MetricsRenderer.render(Fixtures.small, format: format), as: UTF8.self)
            let lines = text.split(separator: "\n")
            for family in Fixtures.families {
                let name = format == .openMetrics && family.type == "counter" ? String(family.name.dropLast(6)) : family.name
                #expect(lines.filter { $0 == "# TYPE \(name) \(family.type)" }.count == 1, "\(format) \(name)")
                #expect(lines.filter { $0.hasPrefix("# HELP \(name) ") }.count == 1, "\(format) \(name)")
            }
            #expect(text.hasSuffix(format == .openMetrics ? "\n# EOF\n" : "\n"))
            #expect(!text.contains("# EOF") || format == .openMetrics)
            // Families are contiguous: once a family's samples end, its name never comes back.
            var finished: Set<String> = []
            var current = ""
            for line in lines where !line.hasPrefix("#") {
                let sampleName = String(line.prefix { $0 != "{" && $0 != " " })
                let family = Fixtures.families.map(\.name).filter {
                    sampleName == $0 || sampleName == $0 + "_bucket" || sampleName == $0 + "_sum" || sampleName == $0 + "_count"
                }.max { $0.count < $1.count } ?? sampleName
                if family != current {
                    #expect(!finished.contains(family), "\(family) is not contiguous")
                    finished.insert(current)
                    current = family
                }
            }
        }
    }

    @Test func subchannelSeriesCanBeTurnedOff() {
        var snapshot = Fixtures.small
        snapshot.subchannelSeries = false
        let text = String(decoding: MetricsRenderer.render(snapshot, format: .prometheusText), as: UTF8.self)
        #expect(!text.contains("ccpool_subchannel_state"))
        #expect(!text.contains("ccpool_health_check_status"))
        #expect(!text.contains("ccpool_subchannel_last_transition_timestamp_seconds"))
        #expect(text.contains("ccpool_subchannel_connection_attempts_succeeded_total{target=\"checkout\"} 2"))
        #expect(text.contains("ccpool_channel_state{target=\"checkout\",state=\"READY\"} 1"))
    }

    @Test func labelValuesAndHelpAreEscaped() {
        for format in ExpositionFormat.allCases {
            var w = ExpositionWriter(format: format)
            w.family("x_info", .gauge, help: "back\\slash \"quoted\"\nnext")
            w.beginSample("x_info")
            w.label("a", "back\\slash")
            w.label("b", "say \"hi\"")
            w.label("c", "line1\nline2")
            w.label("d", "plain é ✓")
            w.endSample(1 as UInt64)
            w.finish()
            let text = String(decoding: w.bytes, as: UTF8.self)
            let help = format == .openMetrics ? #"back\\slash \"quoted\"\nnext"# : #"back\\slash "quoted"\nnext"#
            var expected = "# HELP x_info \(help)\n# TYPE x_info gauge\n"
            expected += #"x_info{a="back\\slash",b="say \"hi\"",c="line1\nline2",d="plain é ✓"} 1"# + "\n"
            if format == .openMetrics { expected += "# EOF\n" }
            #expect(text == expected)
        }
    }

    @Test func numberSpelling() {
        var w = ExpositionWriter(format: .prometheusText)
        for value in [0, 1, -2, 0.25, 1e-5, 1.5e20, .infinity, -.infinity, .nan, 12345678901234] as [Double] {
            w.sample("v", value)
        }
        w.sample("u", UInt64.max)
        #expect(String(decoding: w.bytes, as: UTF8.self)
            == "v 0\nv 1\nv -2\nv 0.25\nv 1e-05\nv 1.5e+20\nv +Inf\nv -Inf\nv NaN\nv 12345678901234\nu 18446744073709551615\n")
        #expect(ExpositionWriter.boundLabel(1) == "1.0")
        #expect(ExpositionWriter.boundLabel(0.005) == "0.005")
    }

    @Test func openMetricsCountersDropTotalOnlyInMetadata() {
        var w = ExpositionWriter(format: .openMetrics)
        w.family("ccpool_picks_total", .counter, help: "Picks.")
        w.sample("ccpool_picks_total", 3 as UInt64)
        #expect(String(decoding: w.bytes, as: UTF8.self) == "# HELP ccpool_picks Picks.\n# TYPE ccpool_picks counter\nccpool_picks_total 3\n")
    }

    @Test func reusedRendererGivesTheSameBytes() {
        var renderer = MetricsRenderer()
        let once = renderer.render(Fixtures.small, format: .prometheusText) { Array($0) }
        let twice = renderer.render(Fixtures.small, format: .prometheusText) { Array($0) }
        #expect(once == twice)
        #expect(once == MetricsRenderer.render(Fixtures.small, format: .prometheusText))
    }

    @Test func hundredThousandSeries() {
        // 49 series per target with one subchannel: 2,041 targets ≈ 100k series.
        let snapshot = MetricsSnapshot.synthetic(targets: 2041)
        let bytes = MetricsRenderer.render(snapshot, format: .prometheusText)
        let samples = bytes.split(separator: UInt8(ascii: "\n")).filter { $0.first != UInt8(ascii: "#") }.count
        #expect(samples >= 100_000)
        let om = MetricsRenderer.render(snapshot, format: .openMetrics)
        #expect(om.count > bytes.count - 10_000)
    }

    @Test func processMetricsFromProc() throws {
        let process = try #require(ProcessMetrics.read())
        #expect(process.residentMemoryBytes > 1 << 20)
        #expect(process.virtualMemoryBytes >= process.residentMemoryBytes)
        #expect(process.openFDs >= 3)
        #expect(process.maxFDs >= process.openFDs)
        #expect(process.cpuSeconds > 0)
        let now = Date().timeIntervalSince1970
        #expect(process.startTimeSeconds > now - 86_400 * 30 && process.startTimeSeconds <= now + 1)
    }

    @Test("open descriptors counted with one poll over the table agree with listing /proc/self/fd")
    func openDescriptorsByPollMatchTheListing() throws {
        // 600 pipes: 1,200 more descriptors, so the table has grown past its first sizes.
        var pipes: [Int32] = []
        defer { pipes.forEach { _ = close($0) } }
        for _ in 0..<600 {
            var ends: [Int32] = [0, 0]
            try #require(pipe(&ends) == 0)
            pipes += ends
        }
        // Other tests run in parallel and open and close descriptors: retry (a bounded number of times)
        // until two readings agree with a listing taken between them.
        var agreed = false
        for _ in 0..<50 where !agreed {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let byPoll = ProcessMetrics.countOpenFDs(status: status)
            let byListing = ProcessMetrics.countOpenFDsByListing()
            agreed = byPoll == byListing && byPoll == ProcessMetrics.countOpenFDs(status: status)
            #expect(byPoll >= 1_200)
        }
        #expect(agreed)
    }
}

@Suite struct NegotiationTests {
    @Test func acceptHeaders() {
        let prometheus2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        let prometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        #expect(ExpositionFormat.negotiate(accept: prometheus2) == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: prometheus3) == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text") == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: nil) == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "*/*") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "text/plain") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "text/plain;q=0.9, application/openmetrics-text;q=0.5") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "text/plain;q=0.5, application/openmetrics-text;q=0.5") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=2.0.0") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=0") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "garbage,,;;") == .prometheusText)
        #expect(ExpositionFormat.prometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }

    @Test func acceptEncoding() {
        #expect(acceptsGzip("gzip"))
        #expect(acceptsGzip("deflate, gzip;q=0.5"))
        #expect(acceptsGzip("*"))
        #expect(acceptsGzip("br, x-gzip"))
        #expect(!acceptsGzip(nil))
        #expect(!acceptsGzip("identity"))
        #expect(!acceptsGzip("gzip;q=0"))
        #expect(!acceptsGzip("*, gzip;q=0"))
        #expect(!acceptsGzip("br"))
    }
}

/// Gzip round trips.
@Suite struct GzipTests {
    @Test func gzipInflatesToTheText() throws {
        let plain = MetricsRenderer.render(Fixtures.small, format: .prometheusText)
        let zipped = try Gzip.compress(plain, level: 1)
        #expect(zipped.count < plain.count)
        #expect(zipped.prefix(2) == [0x1f, 0x8b])
        #expect(try inflate(zipped) == plain)
    }

    func inflate(_ input: [UInt8], capacity: Int = 1 << 20) throws -> [UInt8] {
        var stream = z_stream()
        #expect(ccpool_inflate_init_gzip(&stream) == Z_OK)
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: capacity)
        let rc = input.withUnsafeBytes { inBytes in
            output.withUnsafeMutableBytes { outBytes in
                stream.next_in = UnsafeMutablePointer(mutating: inBytes.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(inBytes.count)
                stream.next_out = outBytes.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(outBytes.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        #expect(rc == Z_STREAM_END)
        return Array(output[0..<Int(stream.total_out)])
    }
}

@Suite struct TargetFamiliesCacheTests {
    func bytes(_ buffer: SharedBuffer) -> [UInt8] { buffer.withUnsafeBytes { Array($0) } }

    @Test func theTwoPartsAreTheWholeExposition() {
        for format in ExpositionFormat.allCases {
            var w = ExpositionWriter(format: format)
            MetricsRenderer.writeTargetFamilies(Fixtures.small, into: &w)
            MetricsRenderer.writeProcessFamilies(Fixtures.small, into: &w)
            #expect(w.bytes == MetricsRenderer.render(Fixtures.small, format: format))
        }
    }

    @Test func targetFamiliesRenderOncePerVersionAndTheTailEveryTime() {
        let cache = TargetFamiliesCache()
        var asked: [Bool] = []
        func render(_ version: UInt64, _ snapshot: MetricsSnapshot, _ format: ExpositionFormat = .prometheusText)
            -> [UInt8]
        {
            let (targets, rest) = cache.render(version: version, format: format) { withTargets in
                asked.append(withTargets)
                var s = snapshot
                if !withTargets { s.targets = [] }
                return s
            }
            return targets.flatMap(bytes) + bytes(rest)
        }
        let first = render(7, Fixtures.small)
        #expect(first == MetricsRenderer.render(Fixtures.small, format: .prometheusText))
        #expect(cache.renderCount == 1)
        // Same pool version, new process-wide numbers: the tail is fresh, the targets are not rendered again.
        var later = Fixtures.small
        later.history.eventsWritten += 5
        later.configReloads += 1
        #expect(render(7, later) == MetricsRenderer.render(later, format: .prometheusText))
        #expect(cache.renderCount == 1)
        #expect(asked == [true, false])
        // OpenMetrics is kept apart; a new pool version renders the targets again.
        #expect(render(7, later, .openMetrics) == MetricsRenderer.render(later, format: .openMetrics))
        #expect(cache.renderCount == 2)
        var changed = later
        changed.targets.removeLast()
        #expect(render(8, changed) == MetricsRenderer.render(changed, format: .prometheusText))
        #expect(cache.renderCount == 3)
        #expect(asked == [true, false, true, true])
    }

    @Test("a scrape that arrived before the latest render takes it; one that arrived after renders anew")
    func scrapesQueuedBehindARenderShareIt() {
        let cache = TargetFamiliesCache()
        var changed = Fixtures.small
        changed.targets.removeLast()
        let queuedSince = ContinuousClock.now
        let (rendered, _) = cache.render(version: 1, format: .prometheusText) { _ in Fixtures.small }
        #expect(cache.renderCount == 1)
        // The pool moved on (version 2), but this scrape waited since before that render's snapshot.
        let (shared, _) = cache.render(version: 2, format: .prometheusText, arrived: queuedSince) { _ in changed }
        #expect(shared.flatMap(bytes) == rendered.flatMap(bytes))
        #expect(cache.renderCount == 1)
        // A scrape arriving now must see version 2.
        let (fresh, rest) = cache.render(version: 2, format: .prometheusText) { _ in changed }
        #expect(fresh.flatMap(bytes) + bytes(rest) == MetricsRenderer.render(changed, format: .prometheusText))
        #expect(cache.renderCount == 2)
    }

    @Test("text rendered only to be compressed is not kept; text kept for plain scrapes is compressed as it is")
    func gzipOnlyScrapesKeepNoText() throws {
        let cache = TargetFamiliesCache()
        let snapshot = { (_: Bool) in Fixtures.small }
        _ = try cache.renderGzip(version: 1, format: .prometheusText, snapshot: snapshot)
        _ = try cache.renderGzip(version: 1, format: .prometheusText, snapshot: snapshot)
        #expect(cache.renderCount == 1)
        // A plain scrape of the same version renders the text (it was not kept), and keeps it.
        let (targets, rest) = cache.render(version: 1, format: .prometheusText, snapshot: snapshot)
        #expect(targets.flatMap(bytes) + bytes(rest) == MetricsRenderer.render(Fixtures.small, format: .prometheusText))
        _ = cache.render(version: 1, format: .prometheusText, snapshot: snapshot)
        #expect(cache.renderCount == 2)
        // The other way round: the kept text is what the gzip prefix is compressed from.
        _ = cache.render(version: 2, format: .openMetrics, snapshot: snapshot)
        let zipped = try cache.renderGzip(version: 2, format: .openMetrics, snapshot: snapshot)
        #expect(cache.renderCount == 3)
        #expect(try GzipTests().inflate(zipped.flatMap(bytes)) == MetricsRenderer.render(Fixtures.small, format: .openMetrics))
    }

    @Test func gzipBodiesAreOneMemberOfTheWholeExposition() throws {
        let prefixText = Array(String(repeating: "ccpool_subchannel_state{target=\"a\"} 1\n", count: 500).utf8)
        let tailText = Array("process_open_fds 12\n".utf8)
        let prefix = try Gzip.compressPrefix(prefixText)
        let body = try Gzip.compress(tailText, after: prefix)
        #expect(body.prefix(2) == [0x1f, 0x8b])
        #expect(try GzipTests().inflate(body) == prefixText + tailText)
        #expect(try GzipTests().inflate(try Gzip.compress([], after: try Gzip.compressPrefix([]))) == [])

        // A large prefix is compressed in two halves on two threads and joined: still one valid member.
        let large = MetricsRenderer.render(.synthetic(targets: 400, subchannelsPerTarget: 3), format: .prometheusText)
        #expect(large.count > 2 * 1024 * 1024)
        let joined = try Gzip.compress(tailText, after: try Gzip.compressPrefix(large))
        #expect(try GzipTests().inflate(joined, capacity: large.count + 4096) == large + tailText)

        let cache = TargetFamiliesCache()
        var later = Fixtures.small
        for round in 0..<2 {
            later.history.eventsWritten += UInt64(round)
            let zipped = try cache.renderGzip(version: 3, format: .openMetrics) { withTargets in
                var s = later
                if !withTargets { s.targets = [] }
                return s
            }
            #expect(try GzipTests().inflate(zipped.flatMap(bytes)) == MetricsRenderer.render(later, format: .openMetrics))
        }
        #expect(cache.renderCount == 1)
    }
}
