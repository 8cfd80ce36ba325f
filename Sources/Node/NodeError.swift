/// A request a node cannot carry out, in words for whoever sent it ("header not found", "the data directory holds
/// a forked chain: ..."). A domain error: the API edge (`EthRPC`) decides how a client sees it.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
