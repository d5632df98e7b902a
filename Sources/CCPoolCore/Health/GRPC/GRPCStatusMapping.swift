import NIOHTTP2

/// How a client turns what it saw on an HTTP/2 stream into a ``GRPCStatus`` when the server gave
/// no `grpc-status`: gRPC's `doc/http-grpc-status-mapping.md` for HTTP statuses, and grpc-go's
/// table (`http2ErrConvTab`) for RST_STREAM codes.
public enum GRPCStatusMapping {
    /// The code for a response whose HTTP `:status` is not 200.
    public static func code(forHTTPStatus status: Int) -> GRPCStatus.Code {
        switch status {
        case 400: return .internal
        case 401: return .unauthenticated
        case 403: return .permissionDenied
        case 404: return .unimplemented
        case 429, 502, 503, 504: return .unavailable
        default: return .unknown
        }
    }

    /// The code for a stream the server reset with RST_STREAM `errorCode`.
    public static func code(forResetStream errorCode: HTTP2ErrorCode) -> GRPCStatus.Code {
        switch errorCode {
        case .refusedStream: return .unavailable
        case .cancel: return .cancelled
        case .enhanceYourCalm: return .resourceExhausted
        case .inadequateSecurity: return .permissionDenied
        default: return .internal
        }
    }
}
