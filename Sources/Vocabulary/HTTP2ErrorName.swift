/// The registered HTTP/2 error codes (RFC 9113 §7) by name, as disconnect reasons and error texts spell them.
///
/// A closed set on purpose: it feeds the `reason` label of a metric, so a code outside the registry has no
/// name here (see ``DisconnectReason/init(goAwayCode:)``).
public enum HTTP2ErrorName: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case noError = "NO_ERROR"
    case protocolError = "PROTOCOL_ERROR"
    case internalError = "INTERNAL_ERROR"
    case flowControlError = "FLOW_CONTROL_ERROR"
    case settingsTimeout = "SETTINGS_TIMEOUT"
    case streamClosed = "STREAM_CLOSED"
    case frameSizeError = "FRAME_SIZE_ERROR"
    case refusedStream = "REFUSED_STREAM"
    case cancel = "CANCEL"
    case compressionError = "COMPRESSION_ERROR"
    case connectError = "CONNECT_ERROR"
    case enhanceYourCalm = "ENHANCE_YOUR_CALM"
    case inadequateSecurity = "INADEQUATE_SECURITY"
    case http11Required = "HTTP_1_1_REQUIRED"

    /// The name of a code on the wire; nil outside the registry (0x0 ... 0xd).
    public init?(code: UInt32) {
        guard code < UInt32(Self.allCases.count) else { return nil }
        self = Self.allCases[Int(code)]
    }

    /// The name of a code on the wire, `UNKNOWN` outside the registry: for error texts.
    public static func text(ofCode code: UInt32) -> String {
        HTTP2ErrorName(code: code)?.rawValue ?? "UNKNOWN"
    }

    public var description: String { rawValue }
}
