/// The outcome of a gRPC call: a status code and a human message (`grpc-status` and the
/// percent-decoded `grpc-message`, or one the client synthesised from what it saw).
public struct GRPCStatus: Hashable, Sendable, CustomStringConvertible {
    /// A gRPC status code (grpc/grpc `doc/statuscodes.md`). A struct rather than an enum so that
    /// a number outside 0...16 can be represented; such numbers are read as ``unknown`` when they
    /// come from the wire, as gRPC requires.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int

        /// A code from the wire: values outside 0...16 become ``unknown``.
        public init(wireValue: Int) {
            self.rawValue = (0...16).contains(wireValue) ? wireValue : 2
        }

        private init(_ rawValue: Int) { self.rawValue = rawValue }

        public static let ok = Code(0)
        public static let cancelled = Code(1)
        public static let unknown = Code(2)
        public static let invalidArgument = Code(3)
        public static let deadlineExceeded = Code(4)
        public static let notFound = Code(5)
        public static let alreadyExists = Code(6)
        public static let permissionDenied = Code(7)
        public static let resourceExhausted = Code(8)
        public static let failedPrecondition = Code(9)
        public static let aborted = Code(10)
        public static let outOfRange = Code(11)
        public static let unimplemented = Code(12)
        public static let `internal` = Code(13)
        public static let unavailable = Code(14)
        public static let dataLoss = Code(15)
        public static let unauthenticated = Code(16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
            "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
            "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]

        /// The canonical name: `OK`, `UNIMPLEMENTED`, ...
        public var description: String { Self.names[rawValue] }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = GRPCStatus(code: .ok)

    /// `UNIMPLEMENTED <message>`, or just the code name when there is no message.
    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}
