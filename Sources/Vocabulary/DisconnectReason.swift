/// Why a READY subchannel stopped being READY: the closed set of gRPC A94.
///
/// These are the only values of the `reason` label of `ccpool_subchannel_disconnections_total`; free error
/// text never becomes a label. The history stores the same text as the transition's reason.
public enum DisconnectReason: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The server sent GOAWAY with this HTTP/2 error code.
    case goAway(HTTP2ErrorName)
    case subchannelShutdown
    case connectionReset
    case connectionTimedOut
    case connectionAborted
    case socketError
    case unknown

    /// A GOAWAY with the code on the wire; a code outside the HTTP/2 registry is ``unknown``, keeping the
    /// label set closed.
    public init(goAwayCode code: UInt32) {
        self = HTTP2ErrorName(code: code).map { .goAway($0) } ?? .unknown
    }

    /// Every reason, in the order metrics render them.
    public static let allCases: [DisconnectReason] =
        HTTP2ErrorName.allCases.map { .goAway($0) }
        + [.subchannelShutdown, .connectionReset, .connectionTimedOut, .connectionAborted, .socketError, .unknown]

    /// The label text: `GOAWAY NO_ERROR`, `connection reset`, ...
    public var description: String {
        switch self {
        case .goAway(let name): "GOAWAY \(name.rawValue)"
        case .subchannelShutdown: "subchannel shutdown"
        case .connectionReset: "connection reset"
        case .connectionTimedOut: "connection timed out"
        case .connectionAborted: "connection aborted"
        case .socketError: "socket error"
        case .unknown: "unknown"
        }
    }

    /// The position in ``allCases``, for dense per-reason counters.
    public var index: Int {
        let named = HTTP2ErrorName.allCases.count
        switch self {
        case .goAway(let name): return HTTP2ErrorName.allCases.firstIndex(of: name)!
        case .subchannelShutdown: return named
        case .connectionReset: return named + 1
        case .connectionTimedOut: return named + 2
        case .connectionAborted: return named + 3
        case .socketError: return named + 4
        case .unknown: return named + 5
        }
    }
}
