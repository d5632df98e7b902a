import CMicroHTTPD
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Proves libmicrohttpd links and serves a real request through the shim's fixed-arity start
/// function (the HTTPServer module builds on it).
@Suite("CMicroHTTPD")
struct CMicroHTTPDLinkTests {
    @Test("start a daemon on 127.0.0.1 port 0, answer one GET, stop")
    func servesOneRequest() async throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")

        let handler: MHD_AccessHandlerCallback = { _, connection, _, _, _, _, _, requestContext in
            // Answer on the second call so MHD keeps the connection alive (libmicrohttpd closes it otherwise).
            guard let requestContext else { return .NO }
            if requestContext.pointee == nil {
                requestContext.pointee = UnsafeMutableRawPointer(bitPattern: 1)
                return .YES
            }
            let body = "linked"
            let response = body.withCString { pointer in
                MHD_create_response_from_buffer(body.utf8.count, UnsafeMutableRawPointer(mutating: pointer), .RESPMEM_MUST_COPY)
            }
            defer { MHD_destroy_response(response) }
            return MHD_queue_response(connection, UInt32(MHD_HTTP_OK), response)
        }

        let daemon = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                var options = ccpool_mhd_options(
                    bind_address: sa, thread_pool_size: 1, connection_limit: 16, connection_timeout_seconds: 5,
                    connection_memory_limit: 64 * 1024, completed: nil, completed_cls: nil)
                return ccpool_mhd_start(UInt32(MHD_USE_INTERNAL_POLLING_THREAD.rawValue), handler, nil, &options)
            }
        }
        let started = try #require(daemon)
        defer { MHD_stop_daemon(started) }
        let port = ccpool_mhd_bound_port(started)
        #expect(port != 0)

        let body = try httpGet(port: port)
        #expect(body.hasPrefix("HTTP/1.1 200"))
        #expect(body.hasSuffix("linked"))
    }

    /// A minimal blocking HTTP/1.1 GET over a raw socket (no client library involved).
    private func httpGet(port: UInt16) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
