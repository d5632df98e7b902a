// ccpool-bench: micro-benchmarks of the connection machinery, each beside its floor measured in
// the same run. Prints one JSON object per figure on stdout.
//
//   ccpool-bench picks [--seconds S]        round_robin / pick_first picks vs an atomic increment
//   ccpool-bench serializer [--updates N]   SubConn state updates through the balancer wrapper vs
//                                           bare EventLoop.execute of the same work

import CCPoolCore
import Dispatch
import Foundation
import NIOCore
import NIOHTTP2
import NIOPosix
import Synchronization

let arguments = CommandLine.arguments.dropFirst()
func option(_ name: String, _ fallback: Double) -> Double {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex,
        let value = Double(arguments[arguments.index(after: index)])
    else { return fallback }
    return value
}

func report(_ figure: String, _ value: Double, unit: String, reference: Double, referenceName: String) {
    let ratio = reference > 0 ? value / reference : 0
    print(
        #"{"figure":"\#(figure)","ccpool":\#(Int(value)),"reference":\#(Int(reference)),"reference_name":"\#(referenceName)","unit":"\#(unit)","ratio":\#(String(format: "%.3f", ratio))}"#)
}

/// Runs `body` on `threads` threads for `seconds`; returns operations per second in total.
func throughput(threads: Int, seconds: Double, _ body: @escaping @Sendable () -> Int) -> Double {
    let total = Atomic<Int>(0)
    let start = DispatchTime.now()
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        var count = 0
        while DispatchTime.now().uptimeNanoseconds < deadline { count += body() }
        total.add(count, ordering: .relaxed)
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return Double(total.load(ordering: .relaxed)) / elapsed
}

/// Hides a value from the optimizer, so a picker whose answer never changes (pick_first's) is still
/// asked on every iteration, through the existential, as the channel asks it.
@inline(never) @_optimize(none)
func opaque(_ picker: any Picker) -> any Picker { picker }

/// 1,000 picks through the `Picker` existential; returns a checksum of the picked ids.
@inline(never)
func pick1000(_ picker: any Picker) -> Int {
    let picker = opaque(picker)
    var sum = 0
    for _ in 0..<1000 {
        if case .pick(let slot) = picker.pick() { sum &+= slot }
    }
    return sum
}

/// Picks: 1,000 per call so the clock is read rarely.
func benchmarkPicks() {
    let seconds = option("--seconds", 2)
    let subConns = (0..<3).map {
        PickedSubConn(id: SubchannelID(rawValue: Int64($0 + 1)), address: .hostPort(host: "127.0.0.1", port: 50_000 + $0))
    }
    let roundRobin = RoundRobinPicker(subConns, start: 0)
    let pickFirst = SingleSubConnPicker(subConns[0])
    let counter = Atomic<Int>(0)
    let sink = Atomic<Int>(0)
    for threads in [1, 2] {
        let floor = throughput(threads: threads, seconds: seconds) {
            for _ in 0..<1000 { counter.wrappingAdd(1, ordering: .relaxed) }
            return 1000
        }
        let rr = throughput(threads: threads, seconds: seconds) {
            sink.add(pick1000(roundRobin), ordering: .relaxed)
            return 1000
        }
        let pf = throughput(threads: threads, seconds: seconds) {
            sink.add(pick1000(pickFirst), ordering: .relaxed)
            return 1000
        }
        report("round_robin picks/s, \(threads) thread(s)", rr, unit: "picks/s", reference: floor, referenceName: "atomic increment")
        report("pick_first picks/s, \(threads) thread(s)", pf, unit: "picks/s", reference: floor, referenceName: "atomic increment")
    }
}

/// A connector whose connections are READY at once and close on request, so subchannels flap as
/// fast as the machinery lets them. Used only on the benchmark's single event loop.
final class FlappingConnector: SubchannelConnector, @unchecked Sendable {
    final class Handle: ConnectionHandle {
        var events: ((ConnectionEvent) -> Void)?
        func close() { events = nil }
        var multiplexer: NIOHTTP2Handler.StreamMultiplexer? { nil }
    }
    var live: [Handle] = []

    func connect(
        to address: Address, deadline: NIODeadline, keepalive: KeepaliveConfiguration?, on eventLoop: any EventLoop,
        events: @escaping (ConnectionEvent) -> Void
    ) -> any ConnectionHandle {
        let handle = Handle()
        handle.events = events
        live.append(handle)
        eventLoop.assumeIsolated().execute { handle.events?(.ready) }
        return handle
    }

    /// Closes every live connection (each subchannel goes READY → IDLE, then reconnects).
    func dropAll() {
        let current = live
        live.removeAll()
        for handle in current { handle.events?(.closed(.connectionReset, detail: nil)) }
    }
}

/// A counter shared by reference.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Counts the updates a balancer receives; reconnects IDLE SubConns like round_robin.
final class CountingBalancer: Balancer {
    let helper: any BalancerHelper
    let counter: Counter
    var subConns: [any SubConn] = []
    init(helper: any BalancerHelper, counter: Counter) {
        self.helper = helper
        self.counter = counter
    }
    func updateClientConnState(_ state: ClientConnState) throws(BalancerError) {
        guard subConns.isEmpty else { return }
        for address in state.addresses {
            let subConn = helper.newSubConn(addresses: [address])
            subConns.append(subConn)
            subConn.connect()
        }
    }
    func resolverError(_ error: ResolverError) {}
    func updateSubConnState(_ subConn: any SubConn, _ state: SubConnState) {
        counter.value.add(1, ordering: .relaxed)
        if state.state == .idle { subConn.connect() }
    }
    func exitIdle() {}
    func close() { subConns.forEach { $0.shutdown() } }
}

final class CountingBuilder: BalancerBuilder {
    let counter = Counter()
    var name: String { "counting" }
    func build(helper: any BalancerHelper) -> any Balancer { CountingBalancer(helper: helper, counter: counter) }
}

func benchmarkSerializer() throws {
    let rounds = Int(option("--rounds", 2000))
    let subchannels = 64
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let builder = CountingBuilder()
    let connector = FlappingConnector()
    var balancers = BalancerRegistry.standard
    balancers.register(builder)
    let addresses = (0..<subchannels).map { Address.hostPort(host: "127.0.0.1", port: 40_000 + $0) }
    let resolver = ManualResolverBuilder(scheme: "bench", initial: ResolverResult(addresses: addresses))
    var resolvers = ResolverRegistry.standard
    resolvers.register(resolver)
    let options = ChannelOptions(
        serviceConfig: try ServiceConfig.parse(#"{"loadBalancingConfig":[{"counting":{}}]}"#, registry: balancers),
        backoff: BackoffConfiguration(jitter: 0), connector: connector, resolvers: resolvers, balancers: balancers)
    let target = try resolvers.parse("bench:///x")

    // Each round: every subchannel READY → IDLE → CONNECTING → READY: 3 updates per subchannel.
    let started = try loop.submit {
        let channel = ClientConn(target: target, options: options, eventLoop: loop, observer: nil)
        try channel.start()
        return NIOLoopBound(channel, eventLoop: loop)
    }.wait()
    while builder.counter.value.load(ordering: .relaxed) < subchannels * 2 { usleep(100) }
    let before = builder.counter.value.load(ordering: .relaxed)
    let start = DispatchTime.now()
    for round in 0..<rounds {
        // Drop every connection only once all of them are READY again.
        let ready = before + round * subchannels * 3
        while builder.counter.value.load(ordering: .relaxed) < ready { sched_yield() }
        try loop.submit { connector.dropAll() }.wait()
    }
    let expected = before + rounds * subchannels * 3
    while builder.counter.value.load(ordering: .relaxed) < expected { sched_yield() }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let updates = Double(builder.counter.value.load(ordering: .relaxed) - before) / elapsed
    try loop.submit { started.value.shutdown() }.wait()

    // Reference: the same number of closures through bare EventLoop.execute, each bumping a counter.
    let bare = Atomic<Int>(0)
    let total = rounds * subchannels * 3
    let refStart = DispatchTime.now()
    try loop.submit {
        for _ in 0..<total { loop.execute { bare.add(1, ordering: .relaxed) } }
    }.wait()
    while bare.load(ordering: .relaxed) < total { usleep(50) }
    let refElapsed = Double(DispatchTime.now().uptimeNanoseconds - refStart.uptimeNanoseconds) / 1e9
    report(
        "SubConn state updates/s through ccBalancerWrapper", updates, unit: "updates/s",
        reference: Double(total) / refElapsed, referenceName: "bare EventLoop.execute")
}

switch arguments.first {
case "picks": benchmarkPicks()
case "serializer": try benchmarkSerializer()
default:
    FileHandle.standardError.write(Data("usage: ccpool-bench picks|serializer [options]\n".utf8))
    exit(2)
}
