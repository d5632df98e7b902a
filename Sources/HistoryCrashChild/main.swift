// history-crash-child DATABASE
//
// For the crash-safety test: migrates DATABASE (fresh), then appends events as fast as the writer takes
// them (event number n carries reason "seq n", so on a fresh database it becomes row n) and prints
// "committed <id>" on stdout each time the highest committed id advances. The test SIGKILLs it.
import Foundation
import History

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: history-crash-child DATABASE\n".utf8))
    exit(2)
}
let path = CommandLine.arguments[1]
do {
    try Migrator().migrate(path: path)
    var configuration = HistoryWriter.Configuration()
    configuration.batchSize = 1000
    configuration.flushInterval = .milliseconds(5)
    let writer = try HistoryWriter(path: path, configuration: configuration)

    let reporter = Thread {
        var last: Int64 = 0
        while true {
            let id = writer.snapshot.lastCommittedID
            if id != last {
                last = id
                // One unbuffered write per report, so a SIGKILL never leaves a reported id unflushed.
                let line = Array("committed \(id)\n".utf8)
                _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            }
            usleep(1000)
        }
    }
    reporter.start()

    let base = HistoryTime.micros(Date())
    var n: Int64 = 0
    while true {
        // Stay far below the drop cap: the test wants every event of a committed id present.
        if n % 1000 == 0 {
            while writer.snapshot.queueDepth > 50_000 { usleep(500) }
        }
        n += 1
        writer.append(HistoryEvent(time: base + n, target: "t\(n % 50)", scope: n % 3 == 0 ? .channel : .subchannel,
                                   subchannel: n % 3 == 0 ? nil : n % 200, address: n % 3 == 0 ? nil : "10.0.0.\(n % 200):50051",
                                   from: .connecting, to: .ready, reason: "seq \(n)"))
    }
} catch {
    FileHandle.standardError.write(Data("history-crash-child: \(error)\n".utf8))
    exit(1)
}
