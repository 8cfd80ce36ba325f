import JSON

/// Why a JSON-RPC call failed: the transport, the HTTP status, the remote procedure, or the response's shape.
///
/// A struct around a `Code` rather than an enum, so that codes can be added without breaking callers' switches
/// (the `HTTPClientError` pattern of async-http-client).
public struct JSONRPCClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of failure, for callers to match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: UInt8
        /// The request could not be delivered or the response not read: connection refused or reset,
        /// DNS failure, TLS failure, or a response larger than the client accepts.
        public static let transport = Code(raw: 0)
        /// The deadline passed before a response arrived.
        public static let timeout = Code(raw: 1)
        /// The server answered with a non-2xx HTTP status (see `httpStatus`).
        public static let httpStatus = Code(raw: 2)
        /// The server answered with a JSON-RPC error object (see `rpcCode`, `rpcData`).
        public static let rpcError = Code(raw: 3)
        /// The response was not valid JSON or not a valid JSON-RPC response for the request.
        public static let malformedResponse = Code(raw: 4)
        /// The request could not be sent as given: bad URL or unsupported scheme, a header with a line break.
        public static let invalidRequest = Code(raw: 5)

        /// The message, for logs and string interpolation.

        /// The code's name, e.g. `timeout`.
        public var description: String {
            switch raw {
            case 0: return "transport"
            case 1: return "timeout"
            case 2: return "httpStatus"
            case 3: return "rpcError"
            case 4: return "malformedResponse"
            default: return "invalidRequest"
            }
        }
    }

    /// The category of failure.
    public let code: Code
    /// A complete sentence for logs, naming the endpoint and the method,
    /// e.g. `POST http://127.0.0.1:8545: eth_blockNumber timed out after 200 ms (1 attempt)`.
    public let message: String
    /// The HTTP status, when the server sent one that was not 2xx.
    public let httpStatus: Int?
    /// The JSON-RPC error code (e.g. -32601 method not found, 3 execution reverted), for `.rpcError`.
    public let rpcCode: Int?
    /// The JSON-RPC error's `data` member (e.g. revert data), for `.rpcError`.
    public let rpcData: JSONValue?
    /// How many HTTP requests were made, counting retries (0 if nothing was sent).
    public let attempts: Int

    /// Creates an error; `message` should say what failed and where.
    public init(code: Code, message: String, httpStatus: Int? = nil, rpcCode: Int? = nil, rpcData: JSONValue? = nil,
                attempts: Int) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.rpcCode = rpcCode
        self.rpcData = rpcData
        self.attempts = attempts
    }

    /// Whether retrying the same request may succeed: transport failures, HTTP 5xx and 429. Timeouts are not
    /// listed because the deadline covers all attempts; JSON-RPC errors are answers, not failures to answer.
    var isRetryable: Bool {
        switch code {
        case .transport: return true
        case .httpStatus: return httpStatus.map { $0 >= 500 || $0 == 429 } ?? false
        default: return false
        }
    }

    /// The message, for logs and string interpolation.

    /// The message.
    public var description: String { message }
}
