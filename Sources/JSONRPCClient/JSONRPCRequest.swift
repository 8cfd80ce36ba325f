import JSON

/// One call in a batch: a method name and positional parameters.
public struct JSONRPCRequest: Hashable, Sendable {
    /// The method name, e.g. `eth_getBalance`.
    public var method: String
    /// The positional parameters.
    public var params: [JSONValue]

    /// Creates a call of `method` with positional `params`.
    public init(_ method: String, _ params: [JSONValue] = []) {
        self.method = method
        self.params = params
    }

    /// The request object with the given id, as sent on the wire.
    func object(id: UInt64) -> JSONValue {
        .object(["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method), "params": .array(params)])
    }
}
