import NIOHTTP2

/// Why a READY subchannel stopped being READY: the closed set of gRPC A94 (SPEC §2.10).
///
/// These are the only values of the `reason` label of `ccpool_subchannel_disconnections_total`;
/// free error text never becomes a label.
public enum DisconnectReason: Sendable, Hashable, CustomStringConvertible {
    /// The server sent GOAWAY with this HTTP/2 error code.
    case goAway(HTTP2ErrorCode)
    case subchannelShutdown
    case connectionReset
    case connectionTimedOut
    case connectionAborted
    case socketError
    case unknown

    /// The label text: `GOAWAY NO_ERROR`, `connection reset`, ...
    public var description: String {
        switch self {
        case .goAway(let code): return "GOAWAY \(Self.name(of: code))"
        case .subchannelShutdown: return "subchannel shutdown"
        case .connectionReset: return "connection reset"
        case .connectionTimedOut: return "connection timed out"
        case .connectionAborted: return "connection aborted"
        case .socketError: return "socket error"
        case .unknown: return "unknown"
        }
    }

    /// The RFC 9113 name of an HTTP/2 error code; codes outside the registry read `UNKNOWN`,
    /// keeping the label set closed.
    static func name(of code: HTTP2ErrorCode) -> String {
        switch code {
        case .noError: return "NO_ERROR"
        case .protocolError: return "PROTOCOL_ERROR"
        case .internalError: return "INTERNAL_ERROR"
        case .flowControlError: return "FLOW_CONTROL_ERROR"
        case .settingsTimeout: return "SETTINGS_TIMEOUT"
        case .streamClosed: return "STREAM_CLOSED"
        case .frameSizeError: return "FRAME_SIZE_ERROR"
        case .refusedStream: return "REFUSED_STREAM"
        case .cancel: return "CANCEL"
        case .compressionError: return "COMPRESSION_ERROR"
        case .connectError: return "CONNECT_ERROR"
        case .enhanceYourCalm: return "ENHANCE_YOUR_CALM"
        case .inadequateSecurity: return "INADEQUATE_SECURITY"
        case .http11Required: return "HTTP_1_1_REQUIRED"
        default: return "UNKNOWN"
        }
    }
}
