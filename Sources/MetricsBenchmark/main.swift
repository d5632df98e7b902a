// Renders synthetic snapshots of about 10k and 100k series and prints the time per render, for both formats,
// plus gzip and a cache hit. Run in release: `swift run -c release MetricsBenchmark [iterations]`.
// Not a test: it asserts nothing about time.
import MetricsExposition

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10 : 10
let clock = ContinuousClock()

func measure(_ label: String, iterations: Int, _ body: () -> Int) {
    var sink = body()  // warm-up (sizes the reused buffer)
    var best = Duration.seconds(1_000)
    var total = Duration.zero
    for _ in 0..<iterations {
        let elapsed = clock.measure { sink &+= body() }
        best = min(best, elapsed)
        total += elapsed
    }
    let mean = total / iterations
    func us(_ d: Duration) -> String {
        let micros = d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
        return "\(micros / 1000).\(String(micros % 1000 + 1000).dropFirst()) ms"
    }
    print("\(label): best \(us(best)), mean \(us(mean)) over \(iterations) runs (checksum \(sink % 1000))")
}

for (label, targets) in [("10k", 205), ("100k", 2041)] {
    let snapshot = MetricsSnapshot.synthetic(targets: targets, subchannelsPerTarget: 1)
    var renderer = MetricsRenderer()
    let text = MetricsRenderer.render(snapshot, format: .prometheusText)
    let series = text.split(separator: UInt8(ascii: "\n")).filter { $0.first != UInt8(ascii: "#") }.count
    print("\(label): \(series) series, \(text.count) bytes text")
    measure("render text \(label)", iterations: iterations) {
        renderer.render(snapshot, format: .prometheusText) { $0.count }
    }
    measure("render openmetrics \(label)", iterations: iterations) {
        renderer.render(snapshot, format: .openMetrics) { $0.count }
    }
    for level: Int32 in [1, 6] {
        print("gzip level \(level) \(label): \((try? Gzip.compress(text, level: level).count) ?? 0) bytes")
    }
    measure("gzip level 6 \(label)", iterations: iterations) {
        (try? Gzip.compress(text, level: 6).count) ?? 0
    }
    measure("gzip level 1 \(label)", iterations: iterations) {
        (try? Gzip.compress(text, level: 1).count) ?? 0
    }
    let cache = TargetFamiliesCache()
    _ = cache.render(version: 1, format: .prometheusText) { _ in snapshot }
    measure("unchanged pool: kept target families + fresh tail \(label)", iterations: iterations) {
        let (targets, rest) = cache.render(version: 1, format: .prometheusText) { _ in snapshot }
        return targets.reduce(rest.count) { $0 + $1.count }
    }
}

// The bench's pool: 5,000 targets × 3 subchannels. After every pool change the first scrape renders the target
// families again (and the first gzip scrape compresses them): a new version per round, through the cache the
// service uses.
do {
    let snapshot = MetricsSnapshot.synthetic(targets: 5000, subchannelsPerTarget: 3)
    print("5000 x 3: \(MetricsRenderer.render(snapshot, format: .prometheusText).count) bytes text")
    let cache = TargetFamiliesCache()
    var version: UInt64 = 0
    measure("pool changed: target families rendered again + tail, 5000 x 3", iterations: iterations) {
        version += 1
        let (targets, rest) = cache.render(version: version, format: .prometheusText) { _ in snapshot }
        return targets.reduce(rest.count) { $0 + $1.count }
    }
    measure("pool changed: gzip scrape (render + compress), 5000 x 3", iterations: iterations) {
        version += 1
        return (try? cache.renderGzip(version: version, format: .prometheusText) { _ in snapshot }.count) ?? 0
    }
}
