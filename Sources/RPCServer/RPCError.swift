import JSON

/// A JSON-RPC 2.0 error object: what a handler throws to answer a request with an error.
///
/// Codes follow the JSON-RPC specification and the conventions Ethereum clients share (geth, reth, anvil):
/// -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid params, -32603 internal
/// error, -32000 a server-side failure (nonce too low, unknown block, ...), 3 an execution revert with its data.
public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(message) (\(code))" }

    public static func parseError(_ detail: String) -> RPCError { RPCError(code: -32700, message: "parse error: \(detail)") }
    public static func invalidRequest(_ detail: String) -> RPCError {
        RPCError(code: -32600, message: "invalid request: \(detail)")
    }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: -32601, message: "the method \(method) does not exist/is not available")
    }
    public static func invalidParams(_ detail: String) -> RPCError { RPCError(code: -32602, message: "invalid params: \(detail)") }
    public static func internalError(_ detail: String) -> RPCError { RPCError(code: -32603, message: "internal error: \(detail)") }
    /// A request that is well formed but cannot be served (unknown block, rejected transaction, ...).
    public static func server(_ message: String, data: JSONValue? = nil) -> RPCError {
        RPCError(code: -32000, message: message, data: data)
    }
    /// An `eth_call` or `eth_estimateGas` that reverted: code 3 with the revert data, as geth answers.
    public static func executionReverted(reason: String?, data: [UInt8]) -> RPCError {
        RPCError(code: 3, message: reason.map { "execution reverted: \($0)" } ?? "execution reverted",
                 data: .data(data))
    }

    var json: JSONValue {
        var object: [String: JSONValue] = ["code": .number(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}
