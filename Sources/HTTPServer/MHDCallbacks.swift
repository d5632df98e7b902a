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
    /// Closes connections whose request arrives too slowly; nil when there is no such deadline.
    let deadlines: RequestDeadlines?
    /// Where expensive routes run; nil: they run on the MHD thread like the others.
    let offload: OffloadWorkers?

    init(
        router: Router, maxBodyBytes: Int, observer: HTTPResponseObserver?, deadlines: RequestDeadlines?,
        offload: OffloadWorkers?
    ) {
        self.router = router
        self.maxBodyBytes = maxBodyBytes
        self.observer = observer
        self.deadlines = deadlines
        self.offload = offload
    }
}

/// The state of one request, from MHD's URI log callback to its completed callback.
///
/// Created retained in `mhdURILog` (MHD stores it in `*con_cls`), released in `mhdRequestCompleted`. Only the
/// MHD thread that serves the connection touches it, one callback at a time, so it needs no lock; it is
/// never handed to Swift concurrency. The one exception: while the connection is suspended for an offloaded
/// route, the worker writes `pending` and then resumes the connection (MHD's resume takes a lock, which
/// orders the write before the MHD thread's next read).
final class RequestContext {
    let rawTarget: String
    var sawFirstCall = false
    var answered = false
    var body: [UInt8] = []
    var bodyTooLarge = false
    var discardedBytes = 0
    /// The matched route's body limit (never above the server's), set when the headers are in.
    var bodyLimit = 0
    /// The matched route runs on the offload workers.
    var offload = false
    /// Suspended while a worker answers; `pending` holds the answer when it resumes the connection.
    var suspended = false
    var pending: (response: HTTPResponse, pattern: String, seconds: Double)?

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
let mhdRequestCompleted: MHD_RequestCompletedCallback = { cls, connection, conCls, _ in
    let core = core(cls)
    core.requestsCompleted.add(1, ordering: .relaxed)
    if let connection { core.deadlines?.completed(connection) }
    if let conCls, let context = conCls.pointee {
        Unmanaged<RequestContext>.fromOpaque(context).release()
        conCls.pointee = nil
        core.liveContexts.subtract(1, ordering: .relaxed)
    }
}

/// MHD_OPTION_NOTIFY_CONNECTION: counts connections.
let mhdNotifyConnection: MHD_NotifyConnectionCallback = { cls, connection, _, code in
    let core = core(cls)
    switch code {
    case .CONNECTION_NOTIFY_STARTED:
        core.connectionsOpened.add(1, ordering: .relaxed)
        core.connectionsOpen.add(1, ordering: .relaxed)
        if let connection { core.deadlines?.opened(connection) }
    case .CONNECTION_NOTIFY_CLOSED:
        core.connectionsOpen.subtract(1, ordering: .relaxed)
        if let connection { core.deadlines?.closed(connection) }
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

    if context.suspended {
        // Resumed: the offload worker left its answer (or the refusal when no worker was free).
        context.suspended = false
        guard let pending = context.pending else { return .NO }
        context.pending = nil
        core.observer?(pending.pattern, pending.response.status, pending.seconds)
        return queue(pending.response, on: connection, core: core, close: false)
    }
    if !context.sawFirstCall {
        // First call: headers are in. Refuse now what the route would refuse anyway (an oversize body, a body
        // on a route that takes none, missing credentials, a body that is not JSON): MHD then closes the
        // connection rather than read the body. Otherwise wait for the next call so keep-alive works.
        context.sawFirstCall = true
        let declared = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length").flatMap {
            Int(String(cString: $0))
        }
        if let declared, declared > core.maxBodyBytes {
            context.answered = true
            core.observer?("", 413, 0)
            return queue(HTTPError.payloadTooLarge(limit: core.maxBodyBytes).response, on: connection, core: core, close: true)
        }
        let chunked = MHD_lookup_connection_value(connection, .HEADER_KIND, "Transfer-Encoding").map {
            String(cString: $0).lowercased().contains("chunked")
        } ?? false
        let admission = core.router.admit(
            method: HTTPMethod(method.map { String(cString: $0) } ?? ""), target: context.rawTarget,
            headers: { requestHeaders(connection) }, client: { clientAddress(connection) },
            declaredLength: declared, chunked: chunked)
        switch admission {
        case .proceed(let maxBodyBytes, let offload):
            context.bodyLimit = min(maxBodyBytes, core.maxBodyBytes)
            context.offload = offload
            return .YES
        case .refuse(let response, let pattern):
            context.answered = true
            core.observer?(pattern, response.status, 0)
            return queue(response, on: connection, core: core, close: true)
        }
    }
    if context.answered { return .YES }

    let chunk = uploadDataSize.pointee
    if chunk > 0 {
        if context.bodyTooLarge || context.body.count + chunk > context.bodyLimit {
            // A chunked body grew past the limit: MHD allows no answer mid-body, so drop what comes and answer
            // 413 at the end; give up on the connection if the client keeps sending far past the limit.
            context.bodyTooLarge = true
            context.body = []
            context.discardedBytes += chunk
            if context.discardedBytes > 4 * context.bodyLimit + (1 << 20) { return .NO }
        } else if let uploadData {
            context.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: chunk))
        }
        uploadDataSize.pointee = 0
        return .YES
    }

    context.answered = true
    core.deadlines?.handling(connection)
    if context.bodyTooLarge {
        core.observer?("", 413, 0)
        let error = context.bodyLimit == 0
            ? HTTPError(status: 413, code: "body_too_large", message: "This resource takes no request body.")
            : HTTPError.payloadTooLarge(limit: context.bodyLimit)
        return queue(error.response, on: connection, core: core, close: true)
    }
    let methodName = method.map { String(cString: $0) } ?? ""
    if context.offload, let workers = core.offload {
        return offload(context, connection: connection, method: HTTPMethod(methodName), core: core, workers: workers)
    }
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

/// Suspends the connection and has a worker answer the request; when no worker is free, the connection is
/// resumed at once with a 503 `overloaded`. The connection is suspended *before* the job is handed over, so the
/// worker's resume can never come first.
func offload(
    _ context: RequestContext, connection: OpaquePointer, method: HTTPMethod, core: ServerCore, workers: OffloadWorkers
) -> MHD_Result {
    let headers = requestHeaders(connection)
    let body = context.body
    context.body = []
    let retained = Unmanaged.passRetained(context)
    context.suspended = true
    MHD_suspend_connection(connection)
    let router = core.router
    let accepted = workers.trySubmit {
        let started = ContinuousClock.now
        let (response, pattern) = router.respond(method: method, target: context.rawTarget, headers: headers, body: body)
        let elapsed = ContinuousClock.now - started
        context.pending = (response, pattern, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        MHD_resume_connection(connection)
        retained.release()
    }
    if !accepted {
        let refusal = HTTPError(
            status: 503, code: "overloaded",
            message: "Too many expensive requests are running already (at most \(workers.count)); try again shortly.",
            headers: ["Retry-After": "1"])
        context.pending = (refusal.response, "", 0)
        MHD_resume_connection(connection)
        retained.release()
    }
    return .YES
}

/// The client's IP address as text ("" when MHD does not know it).
func clientAddress(_ connection: OpaquePointer) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    let count = socklen_t(buffer.count)
    buffer.withUnsafeMutableBufferPointer { ccpool_mhd_client_address(connection, $0.baseAddress, count) }
    return String(cString: buffer)
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

/// The `read` of a `.stream` response, kept alive until MHD has sent it.
private final class BodyStream: Sendable {
    let read: @Sendable (UnsafeMutableRawBufferPointer) -> Int
    init(_ read: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Int) { self.read = read }
}

/// MHD's content reader for `.stream` responses: the next bytes, or the end of the body
/// (`MHD_CONTENT_READER_END_OF_STREAM`, -1).
let readBodyStream: MHD_ContentReaderCallback = { cls, _, buffer, max in
    guard let cls, let buffer else { return -1 }
    let stream = Unmanaged<BodyStream>.fromOpaque(cls).takeUnretainedValue()
    let n = stream.read(UnsafeMutableRawBufferPointer(start: buffer, count: max))
    return n > 0 ? n : -1
}

/// MHD's free callback for `.stream` responses: balances the retain taken when the response was created.
let releaseBodyStream: MHD_ContentReaderFreeCallback = { cls in
    if let cls { Unmanaged<BodyStream>.fromOpaque(cls).release() }
}

/// How many bytes MHD asks a `.stream` body for at a time (at most; it may ask for fewer).
let streamBlockSize = 64 << 10

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
    case .stream(let read):
        let retained = Unmanaged.passRetained(BodyStream(read)).toOpaque()
        mhdResponse = MHD_create_response_from_callback(
            UInt64.max /* MHD_SIZE_UNKNOWN */, streamBlockSize, readBodyStream, retained, releaseBodyStream)
        if mhdResponse == nil { Unmanaged<BodyStream>.fromOpaque(retained).release() }
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
