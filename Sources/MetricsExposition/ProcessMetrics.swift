import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard `process_*` metrics, read from Linux's /proc (the names and meanings of client_golang's
/// process collector).
public struct ProcessMetrics: Sendable, Hashable {
    public var residentMemoryBytes: UInt64
    public var virtualMemoryBytes: UInt64
    public var cpuSeconds: Double
    public var openFDs: UInt64
    public var maxFDs: UInt64
    /// Unix time the process started, in seconds.
    public var startTimeSeconds: Double

    public init(
        residentMemoryBytes: UInt64, virtualMemoryBytes: UInt64, cpuSeconds: Double, openFDs: UInt64, maxFDs: UInt64,
        startTimeSeconds: Double
    ) {
        self.residentMemoryBytes = residentMemoryBytes
        self.virtualMemoryBytes = virtualMemoryBytes
        self.cpuSeconds = cpuSeconds
        self.openFDs = openFDs
        self.maxFDs = maxFDs
        self.startTimeSeconds = startTimeSeconds
    }

    /// Reads the current process's metrics: CPU time, start time and virtual size from /proc/self/stat,
    /// resident memory from /proc/self/status (`VmRSS`), open descriptors (``countOpenFDs(status:)``), the
    /// descriptor limit from /proc/self/limits (`Max open files`, soft), boot time from /proc/stat.
    /// nil when /proc is not readable.
    public static func read() -> ProcessMetrics? {
        guard let stat = readFile("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "pid (comm)": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> UInt64? {
            let i = n - 3
            return i < fields.count ? UInt64(fields[i]) : nil
        }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23),
            let rssPages = field(24)
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

        var resident = rssPages * pageSize
        let status = readFile("/proc/self/status")
        if let status, let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = line.split(separator: " ").dropFirst().first.flatMap({ UInt64($0) })
        {
            resident = kb * 1024
        }

        var bootTime = 0.0
        if let procStat = readFile("/proc/stat"),
            let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let seconds = line.split(separator: " ").last.flatMap({ Double($0) })
        {
            bootTime = seconds
        }

        var maxFDs: UInt64 = 0
        if let limits = readFile("/proc/self/limits"),
            let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") })
        {
            let values = line.dropFirst("Max open files".count).split(separator: " ")
            maxFDs = values.first.flatMap { UInt64($0) } ?? 0
        }

        return ProcessMetrics(
            residentMemoryBytes: resident, virtualMemoryBytes: vsize,
            cpuSeconds: Double(utime + stime) / ticks, openFDs: countOpenFDs(status: status), maxFDs: maxFDs,
            startTimeSeconds: bootTime + Double(start) / ticks)
    }

    /// Open descriptors: `fcntl(F_GETFD)` on every slot of the descriptor table (its size is `FDSize` in
    /// /proc/self/status), counting the slots that answer. Listing /proc/self/fd, as the Go client does,
    /// makes the kernel build a directory entry per descriptor: about a microsecond each, 12 to 15 ms for a
    /// pool's 15,000 sockets on every scrape; this costs a cheap system call per slot (a quarter of that). Falls
    /// back to the listing when the table size is unknown or huge.
    public static func countOpenFDs(status: String?) -> UInt64 {
        var limit = rlimit()
        let softLimit = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : 0
        guard let line = status?.split(separator: "\n").first(where: { $0.hasPrefix("FDSize:") }),
            let tableSize = line.split(separator: "\t").last.flatMap({ Int($0.trimmingPrefix(" ")) }),
            case let slots = min(tableSize, softLimit), slots > 0, slots <= 1 << 20
        else { return countOpenFDsByListing() }
        var open: UInt64 = 0
        for fd in 0..<Int32(slots) where fcntl(fd, F_GETFD) >= 0 { open += 1 }
        return open
    }

    /// Open descriptors by listing /proc/self/fd (the slow way; the fallback and the tests' reference).
    public static func countOpenFDsByListing() -> UInt64 {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var count: UInt64 = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        // The directory stream itself holds one descriptor while we count.
        return count > 0 ? count - 1 : 0
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Reads ``ProcessMetrics`` at most once per `interval` and hands out the last reading in between.
///
/// Reading /proc costs a few file reads and a listing of /proc/self/fd (hundreds of entries with a pool's
/// connections): tens of microseconds, which is most of what a scrape of an unchanged pool costs when it is
/// scraped thousands of times a second. The numbers are at most `interval` old, far below any scrape period.
public final class ProcessMetricsSampler: Sendable {
    private struct Reading {
        var at: ContinuousClock.Instant
        var metrics: ProcessMetrics?
    }

    private let interval: Duration
    private let last = Mutex<Reading?>(nil)

    public init(interval: Duration = .milliseconds(250)) {
        self.interval = interval
    }

    /// The last reading, or a new one when it is older than `interval`.
    public func current() -> ProcessMetrics? {
        let now = ContinuousClock.now
        if let kept = last.withLock({ $0 }), now - kept.at < interval { return kept.metrics }
        let metrics = ProcessMetrics.read()
        last.withLock { $0 = Reading(at: now, metrics: metrics) }
        return metrics
    }
}
