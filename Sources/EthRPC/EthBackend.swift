import Chain
import EVM
import JSON
import Node
import Primitives
import RPCServer
import State
import Store

/// What the `eth_*` API needs from a node: its chain on the chain thread, how it takes a transaction, its
/// subscriptions, and the upstream a forked node continues. The L1 devnet and the L2 node each conform with their
/// own policy (the devnet mines at once when automining; the sequencer answers with a preconfirmation).
public protocol EthBackend: Sendable {
    var chainId: UInt64 { get }
    /// The upstream a forked node continues (blocks up to its fork block are answered there).
    var fork: UpstreamFork? { get }
    var subscriptions: SubscriptionHub { get }
    /// Whether `eth_sendTransaction` signs for the ten development accounts (dev mode only).
    var signsForDevelopmentAccounts: Bool { get }
    /// Runs `body` with the node's chain on its thread; errors pass through as the domain threw them.
    func withNodeChain<T: Sendable>(_ body: @escaping @Sendable (NodeChain) throws -> T) async throws -> T
    /// Takes a transaction `TransactionIntake.decodeAndVerify` returned (the raw bytes are what is logged).
    func accept(_ transaction: Transaction, raw: [UInt8]) async throws -> Hash
    /// Adds a chain's own fields to a block's JSON (an L2's kind, anchor and certificate); nothing by default.
    /// Runs on any thread, without the chain.
    func decorate(_ object: inout [String: JSONValue], block: ChainBlock)
    /// Subscription topics besides `newHeads` and `logs` (announced through `subscriptions.announce`).
    var subscriptionTopics: Set<String> { get }
}

extension EthBackend {
    public func decorate(_ object: inout [String: JSONValue], block: ChainBlock) {}
    public var subscriptionTopics: Set<String> { [] }

    /// A block in geth's JSON shape with the chain's own fields.
    public func blockJSON(_ block: ChainBlock, fullTransactions: Bool) -> JSONValue {
        guard case .object(var object) = EthJSON.block(block, fullTransactions: fullTransactions) else { return .null }
        decorate(&object, block: block)
        return .object(object)
    }
}

/// How domain errors look to a JSON-RPC client: the one place they are mapped, at the API edge. A revert is code
/// 3 with its output as data (what web3.py and ethers decode a reason from); a refusal or failure of the node's
/// (a pool rule, a missing block, a failed upstream read, an invalid block) is -32000 with its message; an
/// `RPCError` passes unchanged; anything else stays an internal error.
public enum EthErrors {
    public static func rpc(_ error: Error) -> Error {
        switch error {
        case let error as RPCError: return error
        case let error as CallReverted: return RPCError(code: 3, message: error.description, data: .data(error.output))
        case let error as CallRejected: return RPCError.server(error.message)
        case let error as PoolError: return RPCError.server(error.message)
        case let error as NodeError: return RPCError.server(error.message)
        case let error as UpstreamReadFailed: return RPCError.server(error.description)
        case let error as ForkedStateError: return RPCError.server(error.description)
        case let error as InvalidBlock: return RPCError.server(error.message)
        case let error as StoreError: return RPCError.server("the node's store failed: \(error)")
        default: return error
        }
    }

    /// Runs `body`, mapping what it throws with `rpc(_:)`.
    public static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw rpc(error) }
    }
}

extension EthBackend {
    /// `withNodeChain` with domain errors mapped to JSON-RPC errors: what every handler uses.
    public func chain<T: Sendable>(_ body: @escaping @Sendable (NodeChain) throws -> T) async throws -> T {
        try await EthErrors.mapped { try await withNodeChain(body) }
    }

    /// Asks the fork's upstream (off the chain thread: the request blocks).
    public func forward(_ method: String, _ params: [JSONValue]) async throws -> JSONValue {
        guard let fork else { throw RPCError.server("this node is not a fork") }
        return try await EthErrors.mapped { try await offChainThread { try fork.forward(method, params) } }
    }

    /// Upstream forwarding, the one wrapper: for a forked node, the upstream answers `call` when `tag` names a
    /// block at or before the fork block (whose state and contents are the upstream's); otherwise `local` does.
    public func answer(_ call: RPCCall, at tag: BlockTag, _ local: () async throws -> JSONValue) async throws -> JSONValue {
        if let fork {
            var upstream = false
            switch tag {
            case .number(let number): upstream = number <= fork.blockNumber
            case .earliest: upstream = true
            case .hash(let hash): upstream = try await chain { $0.chain.block(hash: hash) == nil }
            default: break
            }
            if upstream { return try await forward(call.method, call.params.values) }
        }
        return try await local()
    }

    /// For a forked node, the upstream's answer to `call` when the node's own (`local`) is null: a transaction,
    /// receipt or block it does not know may be the upstream's.
    public func answerOrForward(_ call: RPCCall, _ local: () async throws -> JSONValue) async throws -> JSONValue {
        let answer = try await local()
        guard answer == .null, fork != nil else { return answer }
        return try await forward(call.method, call.params.values)
    }
}
