import NIOHTTP2
import Vocabulary

extension HTTP2ErrorName {
    /// The registry name of a NIO error code, `UNKNOWN` outside the registry: for error texts.
    static func text(of code: HTTP2ErrorCode) -> String {
        text(ofCode: UInt32(truncatingIfNeeded: code.networkCode))
    }
}

extension DisconnectReason {
    /// The reason for a GOAWAY carrying `code`.
    init(goAway code: HTTP2ErrorCode) {
        self.init(goAwayCode: UInt32(truncatingIfNeeded: code.networkCode))
    }
}
