import CMicroHTTPD
import SharedBytes
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The C side of HTTPServer: the object MHD's callbacks reach through `cls`, the per-request context, and the
// `@convention(c)` callbacks themselves. Everything here runs on MHD's threads.

/// What MHD's callbacks reach through their `cls` pointer.
///
/// Immutable except for atomics, so any MHD thread may use it at any time (`Sendable` for real). Retained by
/// `HTTPServer` for MHD while the daemon runs, released after `MHD_stop_daemon` returns.
final class ServerCore: Sendable {
    let router: Router
    let maxBodyBytes: Int
    let closing = Atomic<Bool>(false)
    let connectionsOpened = Atomic<Int>(0)
    let connectionsOpen = Atomic<Int>(0)
    let requestsAnswered = Atomic<Int>(0)
    let requestsCompleted = Atomic<Int>(0)
    let liveContexts = Atomic<Int>(0)
    let observer: HTTPResponseObserver?

    init(router: Router, maxBodyBytes: Int, observer: HTTPResponseObserver?) {
        self.router = router
        self.maxBodyBytes = maxBodyBytes
        self.observer = observer
    }
}

/// The state of one request, from MHD's URI log callback to its completed callback.
///
/// Created retained in `mhdURILog` (MHD stores it in `*con_cls`), released in `mhdRequestCompleted`. Only the
/// MHD thread that serves the connection touches it, one callback at a time, so it needs no lock; it is
/// never handed to Swift concurrency.
final class RequestContext {
    let rawTarget: String
    var sawFirstCall = false
    var answered = false
    var body: [UInt8] = []
    var bodyTooLarge = false
    var discardedBytes = 0

    init(rawTarget: String) { self.rawTarget = rawTarget }
}

func core(_ cls: UnsafeMutableRawPointer?) -> ServerCore {
    Unmanaged<ServerCore>.fromOpaque(cls!).takeUnretainedValue()
}

/// MHD_OPTION_URI_LOG_CALLBACK: sees the raw request target before MHD unescapes it; its result becomes
/// `*con_cls` for the request.
let mhdURILog: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?)
    -> UnsafeMutableRawPointer? = { cls, uri, _ in
        // Bytes that are not valid UTF-8 become U+FFFD here, which RequestTarget refuses as non-ASCII.
        let context = RequestContext(rawTarget: uri.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) } ?? "")
        core(cls).liveContexts.add(1, ordering: .relaxed)
        return Unmanaged.passRetained(context).toOpaque()
    }

/// MHD_OPTION_NOTIFY_COMPLETED: releases the request's context.
let mhdRequestCompleted: MHD_RequestCompletedCallback = { cls, _, conCls, _ in
    let core = core(cls)
    core.requestsCompleted.add(1, ordering: .relaxed)
    if let conCls, let context = conCls.pointee {
        Unmanaged<RequestContext>.fromOpaque(context).release()
        conCls.pointee = nil
        core.liveContexts.subtract(1, ordering: .relaxed)
    }
}

/// MHD_OPTION_NOTIFY_CONNECTION: counts connections.
let mhdNotifyConnection: MHD_NotifyConnectionCallback = { cls, _, _, code in
    let core = core(cls)
    switch code {
    case .CONNECTION_NOTIFY_STARTED:
        core.connectionsOpened.add(1, ordering: .relaxed)
        core.connectionsOpen.add(1, ordering: .relaxed)
    case .CONNECTION_NOTIFY_CLOSED:
        core.connectionsOpen.subtract(1, ordering: .relaxed)
    @unknown default:
        break
    }
}

/// The access handler: collects the body, then routes and answers.
let mhdAccessHandler: MHD_AccessHandlerCallback = {
    cls, connection, _, method, _, uploadData, uploadDataSize, conCls in
    guard let connection, let conCls, let uploadDataSize else { return .NO }
    let core = core(cls)
    if conCls.pointee == nil {
        // Not reached with the URI log callback installed; kept so a missing context cannot crash.
        conCls.pointee = Unmanaged.passRetained(RequestContext(rawTarget: "")).toOpaque()
        core.liveContexts.add(1, ordering: .relaxed)
    }
    let context = Unmanaged<RequestContext>.fromOpaque(conCls.pointee!).takeUnretainedValue()

    if !context.sawFirstCall {
        // First call: headers are in. Refuse an announced oversize body now (MHD then closes the connection
        // rather than read the body); otherwise wait for the next call so keep-alive works.
        context.sawFirstCall = true
        if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
            let declared = Int(String(cString: length)), declared > core.maxBodyBytes
        {
            context.answered = true
            core.observer?("", 413, 0)
            return queue(HTTPError.payloadTooLarge(limit: core.maxBodyBytes).response, on: connection, core: core, close: true)
        }
        return .YES
    }
    if context.answered { return .YES }

    let chunk = uploadDataSize.pointee
    if chunk > 0 {
        if context.bodyTooLarge || context.body.count + chunk > core.maxBodyBytes {
            // A chunked body grew past the limit: MHD allows no answer mid-body, so drop what comes and answer
            // 413 at the end; give up on the connection if the client keeps sending far past the limit.
            context.bodyTooLarge = true
            context.body = []
            context.discardedBytes += chunk
            if context.discardedBytes > 4 * core.maxBodyBytes + (1 << 20) { return .NO }
        } else if let uploadData {
            context.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: chunk))
        }
        uploadDataSize.pointee = 0
        return .YES
    }

    context.answered = true
    if context.bodyTooLarge {
        core.observer?("", 413, 0)
        return queue(HTTPError.payloadTooLarge(limit: core.maxBodyBytes).response, on: connection, core: core, close: true)
    }
    let methodName = method.map { String(cString: $0) } ?? ""
    let started = ContinuousClock.now
    let (response, pattern) = core.router.respond(
        method: HTTPMethod(methodName), target: context.rawTarget, headers: requestHeaders(connection),
        body: context.body)
    context.body = []
    if let observer = core.observer {
        let elapsed = ContinuousClock.now - started
        observer(pattern, response.status, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    return queue(response, on: connection, core: core, close: false)
}

/// Collects the request's header fields in order.
func requestHeaders(_ connection: OpaquePointer) -> HTTPHeaders {
    final class Box { var headers = HTTPHeaders() }
    let box = Box()
    withExtendedLifetime(box) {
        _ = MHD_get_connection_values(connection, .HEADER_KIND, { cls, _, key, value in
            guard let cls, let key else { return .YES }
            let box = Unmanaged<Box>.fromOpaque(cls).takeUnretainedValue()
            box.headers.add(String(cString: key), value.map { String(cString: $0) } ?? "")
            return .YES
        }, Unmanaged.passUnretained(box).toOpaque())
    }
    return box.headers
}

/// Keeps the buffers of a `.parts` response alive until MHD has sent them.
private final class SharedParts: Sendable {
    let parts: [SharedBuffer]
    init(_ parts: [SharedBuffer]) { self.parts = parts }
}

/// MHD's free callback for `.parts` responses: balances the retain taken when the response was created.
let releaseSharedParts: MHD_ContentReaderFreeCallback = { cls in
    if let cls { Unmanaged<SharedParts>.fromOpaque(cls).release() }
}

/// Creates an MHD response for `response` and queues it.
func queue(_ response: HTTPResponse, on connection: OpaquePointer, core: ServerCore, close: Bool) -> MHD_Result {
    let mhdResponse: OpaquePointer?
    switch response.body {
    case .bytes(let bytes):
        mhdResponse = bytes.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), .RESPMEM_MUST_COPY)
        }
    case .parts(let parts):
        // MHD copies the vector itself (not the bytes) and sends the parts with one sendmsg where it can.
        let vector = parts.map { MHD_IoVec(iov_base: $0.base, iov_len: $0.count) }
        let retained = Unmanaged.passRetained(SharedParts(parts)).toOpaque()
        mhdResponse = vector.withUnsafeBufferPointer {
            MHD_create_response_from_iovec($0.baseAddress, UInt32($0.count), releaseSharedParts, retained)
        }
        if mhdResponse == nil { Unmanaged<SharedParts>.fromOpaque(retained).release() }
    }
    guard let mhdResponse else { return .NO }
    defer { MHD_destroy_response(mhdResponse) }
    for field in response.headers {
        // MHD refuses fields with CR/LF or other bad bytes; such a field is dropped, never sent half-formed.
        _ = MHD_add_response_header(mhdResponse, field.name, field.value)
    }
    if close || core.closing.load(ordering: .relaxed) {
        _ = MHD_add_response_header(mhdResponse, "Connection", "close")
    }
    core.requestsAnswered.add(1, ordering: .relaxed)
    return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
}
