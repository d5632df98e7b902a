#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking HTTP/1.1 client over one raw socket, for tests that need byte-level control: keep-alive reuse,
/// malformed targets, huge headers, half-sent requests. Every read has a 5 s timeout so a bug fails a test
/// instead of hanging it.
final class RawHTTPClient {
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        /// Whether the body came with `Transfer-Encoding: chunked`.
        var chunked = false

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    struct ClientError: Error, CustomStringConvertible {
        var description: String
    }

    let fd: Int32
    private var buffer: [UInt8] = []

    init(host: String, port: UInt16) throws {
        // The socket is connected (or closed and the error thrown) before `fd` is set: were `fd` set first, a
        // failed connect would close it here and again in `deinit` (a class whose init throws after setting
        // every property is deinitialised), and the second close could hit a descriptor another thread was
        // given meanwhile — a libmicrohttpd socket, which then aborts on its epoll removal.
        fd = try Self.connectedSocket(host: host, port: port)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func connectedSocket(host: String, port: UInt16) throws -> Int32 {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let fd: Int32
        let rc: Int32
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            rc = withUnsafePointer(to: &v4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            rc = withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            throw ClientError(description: "bad host \(host)")
        }
        guard fd >= 0 else { throw ClientError(description: "socket failed: errno \(errno)") }
        guard rc == 0 else {
            let error = errno
            close(fd)
            throw ClientError(description: "connect failed: errno \(error)")
        }
        return fd
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw ClientError(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes; false at end of stream (or reset).
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 || errno == ECONNRESET { return false }
        throw ClientError(description: "recv failed: errno \(errno)")
    }

    /// True when the server closed the connection (EOF or reset) without sending more.
    func readsEndOfStream() throws -> Bool {
        if !buffer.isEmpty { return false }
        return try !fill()
    }

    /// Reads one response. `bodyExpected: false` for HEAD.
    func readResponse(bodyExpected: Bool = true) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            if let range = firstRange(of: separator) { headerEnd = range; break }
            guard try fill() else { throw ClientError(description: "connection closed before a response") }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        buffer.removeFirst(headerEnd! + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw ClientError(description: "bad status line in \(head)")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces)
        }
        var response = Response(status: status, headers: headers, body: [])
        guard bodyExpected else { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while buffer.count < length {
                guard try fill() else { throw ClientError(description: "connection closed inside a body") }
            }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            response.body = try readChunkedBody()
            response.chunked = true
        } else {
            while try fill() {}
            response.body = buffer
            buffer = []
        }
        return response
    }

    /// The body of a chunked response: chunks of `SIZE-IN-HEX CRLF bytes CRLF` up to a chunk of size 0, then
    /// (no trailer fields) a last CRLF.
    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine()
            guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                throw ClientError(description: "bad chunk size line \(sizeLine)")
            }
            if size == 0 {
                guard try readLine().isEmpty else { throw ClientError(description: "unexpected trailer field") }
                return body
            }
            while buffer.count < size + 2 {
                guard try fill() else { throw ClientError(description: "connection closed inside a chunk") }
            }
            guard buffer[size] == UInt8(ascii: "\r"), buffer[size + 1] == UInt8(ascii: "\n") else {
                throw ClientError(description: "chunk of \(size) bytes not followed by CRLF")
            }
            body += buffer[0..<size]
            buffer.removeFirst(size + 2)
        }
    }

    private func readLine() throws -> String {
        let crlf: [UInt8] = Array("\r\n".utf8)
        while true {
            if let end = firstRange(of: crlf) {
                let line = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                return line
            }
            guard try fill() else { throw ClientError(description: "connection closed inside a line") }
        }
    }

    private func firstRange(of needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i] == needle[0] {
            if Array(buffer[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    /// One request on a fresh connection.
    static func request(
        _ method: String, _ target: String, port: UInt16, host: String = "127.0.0.1", headers: [String] = [],
        body: [UInt8] = []
    ) throws -> Response {
        let client = try RawHTTPClient(host: host, port: port)
        try client.sendRequest(method, target, headers: headers + ["Connection: close"], body: body)
        return try client.readResponse(bodyExpected: method != "HEAD")
    }

    func sendRequest(_ method: String, _ target: String, headers: [String] = [], body: [UInt8] = []) throws {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
        for header in headers { text += header + "\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        try send(Array(text.utf8) + body)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
