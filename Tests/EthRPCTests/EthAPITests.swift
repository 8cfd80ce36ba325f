import Chain
import EthRPC
import EVM
import Foundation
import JSON
import Node
import Primitives
import RPCServer
import Synchronization
import Testing

/// A node with no policy of its own: a `NodeChain` on its host, blocks made when a test says so.
final class PlainNode: EthBackend {
    static let chainId: UInt64 = 1337
    /// Reverts with `Error("nope")`: CODECOPY the 100 bytes of revert data that follow the 12 bytes of code.
    static let nope = try! Address(hex: "0x00000000000000000000000000000000000000dd")
    static let nopeCode: [UInt8] = [0x60, 0x64, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x64, 0x60, 0x00, 0xfd]
        + [0x08, 0xc3, 0x79, 0xa0] + U256(32).bigEndianBytes + U256(4).bigEndianBytes
        + Array("nope".utf8) + [UInt8](repeating: 0, count: 28)

    let host: ChainHost<NodeChain>
    let subscriptions = SubscriptionHub(limitPerConnection: 2)
    var chainId: UInt64 { Self.chainId }
    var fork: UpstreamFork? { nil }
    var signsForDevelopmentAccounts: Bool { true }

    init() throws {
        let genesis = Genesis.devnet(chainId: Self.chainId, timestamp: 1_000,
                                     extraAlloc: [Self.nope: InMemoryState.Account(nonce: 1, code: Self.nopeCode)])
        host = try ChainHost { try NodeChain(genesis: genesis, log: nil) }
    }

    /// The API over this node, as a server would dispatch it.
    var dispatcher: RPCDispatcher {
        var methods = RPCMethods()
        EthAPI.register(self, into: &methods)
        return RPCDispatcher(methods: methods)
    }

    func withNodeChain<T: Sendable>(_ body: @escaping @Sendable (NodeChain) throws -> T) async throws -> T {
        try await host.run(body)
    }

    func accept(_ transaction: Transaction, raw: [UInt8]) async throws -> Hash {
        try await host.run { try $0.submit(verified: transaction, raw: raw) }
    }

    @discardableResult
    func mine() async throws -> ChainBlock {
        let block = try await host.run { node in try node.produce(attributes: node.nextAttributes()).block }
        subscriptions.publish(block)
        return block
    }

    /// The whole response to one call, through the dispatcher as a server would send it.
    func response(_ method: String, _ params: [JSONValue] = [], connection: RPCConnection? = nil) async throws -> JSONValue {
        let body = JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": .array(params)])
        let bytes = try #require(await dispatcher.respond(to: Array(body.serializedString().utf8), connection: connection))
        return try JSONValue(parsing: bytes)
    }

    /// The result of a call that must succeed.
    func result(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        let answer = try await response(method, params)
        #expect(answer["error"] == nil, "\(method): \(answer)")
        return answer["result"] ?? .null
    }

    /// The error of a call that must fail: (code, message).
    func error(_ method: String, _ params: [JSONValue] = []) async throws -> (Int, String) {
        let answer = try await response(method, params)
        let error = try #require(answer["error"], "\(method) succeeded: \(answer)")
        return (Int(error["code"]?.numberValue?.doubleValue ?? 0), error["message"]?.stringValue ?? "")
    }

    static func transfer(from account: Int, nonce: UInt64, to: Address = Address(word: U256(0xaa)),
                         value: U256 = U256(1), chainId: UInt64 = chainId, gasLimit: UInt64 = 21_000,
                         data: [UInt8] = []) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(100_000_000_000), gasLimit: gasLimit, to: to, value: value, data: data)
            .signed(with: DevAccounts.privateKeys[account])
    }
}

/// A WebSocket connection's stand-in: what the server would send, kept.
final class RecordingConnection: RPCConnection {
    let id: UInt64
    let sent = Mutex<[JSONValue]>([])
    let open = Mutex(true)
    init(id: UInt64) { self.id = id }
    func send(_ message: JSONValue) -> Bool {
        guard open.withLock({ $0 }) else { return false }
        sent.withLock { $0.append(message) }
        return true
    }
}

@Suite("The eth_* API over a node, in process")
struct EthAPITests {
    @Test("lockstep_getStateDiff gives each changed account as the later block has it, and refuses what it cannot know")
    func stateDiff() async throws {
        let node = try PlainNode()
        // Block 1: a contract whose code stores its calldata's first word in slot 0.
        let runtime: [UInt8] = [0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x00]
        let initcode: [UInt8] = [0x66] + runtime + [0x60, 0x00, 0x52, 0x60, 0x07, 0x60, 0x19, 0xf3]
        let deploy = Transaction(type: .dynamicFee, chainId: PlainNode.chainId, nonce: 0, maxPriorityFeePerGas: U256(1_000_000_000),
                                 maxFeePerGas: U256(100_000_000_000), gasLimit: 100_000, to: nil, value: .zero, data: initcode)
            .signed(with: DevAccounts.privateKeys[0])
        _ = try await node.result("eth_sendRawTransaction", [.data(deploy.networkEncoded)])
        let first = try await node.mine()
        let receipt = try await node.result("eth_getTransactionReceipt", [.string(deploy.hash.hexString)])
        let contract = try Address(hex: try #require(receipt["contractAddress"]?.stringValue))
        // Block 2: the contract's slot 0 written (its account unchanged) and a payment; block 3: another payment.
        let store = PlainNode.transfer(from: 1, nonce: 0, to: contract, value: .zero, gasLimit: 60_000,
                                       data: U256(42).bigEndianBytes)
        let pay = PlainNode.transfer(from: 0, nonce: 1, to: Address(word: U256(0xaa)), value: U256(5))
        for transaction in [store, pay] { _ = try await node.result("eth_sendRawTransaction", [.data(transaction.networkEncoded)]) }
        try await node.mine()
        _ = try await node.result("eth_sendRawTransaction", [.data(PlainNode.transfer(from: 2, nonce: 0, to: Address(word: U256(0xbb))).networkEncoded)])
        let third = try await node.mine()

        let answer = try await node.result("lockstep_getStateDiff", [.string(first.hash.hexString), .string(third.hash.hexString)])
        let diff = try StateDiffAnswer(answer)
        #expect(diff.entries[contract]?["accountChanged"] == false)
        #expect(diff.entries[contract]?["storage"]?["0x0000000000000000000000000000000000000000000000000000000000000000"] == .string("0x2a"))
        for account in [DevAccounts.addresses[0], DevAccounts.addresses[1], DevAccounts.addresses[2], Address(word: U256(0xaa)),
                        Address(word: U256(0xbb))] {
            let entry = try #require(diff.entries[account], "\(account) changed")
            #expect(entry["accountChanged"] == true && entry["exists"] == true)
            #expect(entry["balance"] == (try await node.result("eth_getBalance", [.string(account.hexString), "latest"])))
            #expect(entry["nonce"] == (try await node.result("eth_getTransactionCount", [.string(account.hexString), "latest"])))
        }
        // Untouched accounts are left out, and nothing listed is unchanged since block 1.
        #expect(diff.entries[DevAccounts.addresses[5]] == nil)
        for (address, entry) in diff.entries where entry["accountChanged"] == true {
            let before = try await node.result("eth_getBalance", [.string(address.hexString), .string("0x1")])
            let nonceBefore = try await node.result("eth_getTransactionCount", [.string(address.hexString), .string("0x1")])
            #expect(before != entry["balance"] || nonceBefore != entry["nonce"], "\(address) is listed as changed")
        }
        // From a block to itself: nothing.
        let same = try await node.result("lockstep_getStateDiff", [.string(third.hash.hexString), .string(third.hash.hexString)])
        #expect(same["accounts"] == .array([]))
        // Backwards, unknown or malformed: refused, with the reason.
        let (code, message) = try await node.error("lockstep_getStateDiff", [.string(third.hash.hexString), .string(first.hash.hexString)])
        #expect(code == -32000 && message.contains("no state diff"))
        #expect(try await node.error("lockstep_getStateDiff", [.string(Hash(word: U256(9)).hexString), .string(third.hash.hexString)]).0 == -32000)
        #expect(try await node.error("lockstep_getStateDiff", ["0x12", .string(third.hash.hexString)]).0 == -32602)
        #expect(try await node.error("lockstep_getStateDiff", [.string(first.hash.hexString)]).0 == -32602)
        // A state edit outside any block: no diff across it any more.
        try await node.host.run { try $0.edit(Address(word: U256(0xcc)), balance: U256(1)) }
        #expect(try await node.error("lockstep_getStateDiff", [.string(first.hash.hexString), .string(third.hash.hexString)]).0 == -32000)
    }

    @Test("A raw transaction is pooled, mined, and then found by every lookup")
    func transactionLifecycle() async throws {
        let node = try PlainNode()
        let sender = DevAccounts.addresses[0]
        let recipient = Address(word: U256(0xaa))
        #expect(try await node.result("eth_chainId") == .string("0x539"))
        #expect(try await node.result("eth_blockNumber") == .string("0x0"))
        let transaction = PlainNode.transfer(from: 0, nonce: 0, value: U256(7))
        let hash = try await node.result("eth_sendRawTransaction", [.data(transaction.networkEncoded)])
        #expect(hash == .string(transaction.hash.hexString))
        #expect(try await node.result("eth_getTransactionCount", [.string(sender.hexString), "pending"]) == .string("0x1"))
        #expect(try await node.result("eth_getTransactionCount", [.string(sender.hexString), "latest"]) == .string("0x0"))
        let pooled = try await node.result("eth_getTransactionByHash", [hash])
        #expect(pooled["blockNumber"] == .null && pooled["from"] == .string(sender.hexString))
        #expect(try await node.result("eth_getTransactionReceipt", [hash]) == .null)

        let block = try await node.mine()
        #expect(block.block.transactions.map(\.hash) == [transaction.hash])
        let receipt = try await node.result("eth_getTransactionReceipt", [hash])
        #expect(receipt["status"] == .string("0x1") && receipt["gasUsed"] == .string("0x5208"))
        #expect(receipt["blockHash"] == .string(block.hash.hexString))
        #expect(try await node.result("eth_getBalance", [.string(recipient.hexString), "latest"]) == .string("0x7"))
        // The state before the block is still kept.
        #expect(try await node.result("eth_getBalance", [.string(recipient.hexString), "0x0"]) == .string("0x0"))
        let json = try await node.result("eth_getBlockByNumber", ["0x1", true])
        #expect(json["hash"] == .string(block.hash.hexString))
        #expect(json["transactions"]?[0]?["hash"] == hash)
        #expect(try await node.result("eth_getBlockByNumber", ["0x9", false]) == .null)
        #expect(try await node.result("eth_getBlockTransactionCountByHash", [.string(block.hash.hexString)]) == .string("0x1"))
    }

    @Test("Refusals say what was wrong and pool nothing")
    func refusals() async throws {
        let node = try PlainNode()
        let (code, message) = try await node.error("eth_sendRawTransaction", [.data([0x02, 0xc0, 0x01])])
        #expect(code == -32000 && message.hasPrefix("invalid transaction"))
        let wrongChain = PlainNode.transfer(from: 0, nonce: 0, chainId: 1)
        #expect(try await node.error("eth_sendRawTransaction", [.data(wrongChain.networkEncoded)]).1.contains("chain id"))
        let tooBig = PlainNode.transfer(from: 0, nonce: 0, gasLimit: 40_000_000)
        #expect(try await node.error("eth_sendRawTransaction", [.data(tooBig.networkEncoded)]).1.contains("exceeds block gas limit"))
        let rich = PlainNode.transfer(from: 0, nonce: 0, value: U256(10_001) &* U256(1_000_000_000_000_000_000))
        #expect(try await node.error("eth_sendRawTransaction", [.data(rich.networkEncoded)]).1.contains("insufficient funds"))
        #expect(try await node.error("eth_getBalance", ["0x12"]).0 == -32602)
        #expect(try await node.error("eth_getBalance", [.string(DevAccounts.addresses[0].hexString), "0x5"]).1 == "header not found")
        #expect(try await node.error("eth_noSuchMethod").0 == -32601)
        let pooled = try await node.host.run { $0.pool.count }
        #expect(pooled == 0)
    }

    @Test("Calls answer with output, reverts with code 3 and the reason, and gas estimates are tight")
    func calls() async throws {
        let node = try PlainNode()
        let call: JSONValue = .object(["to": .string(PlainNode.nope.hexString), "data": "0x"])
        let answer = try await node.response("eth_call", [call, "latest"])
        #expect(answer["error"]?["code"] == .number(3))
        #expect(answer["error"]?["message"] == .string("execution reverted: nope"))
        #expect(answer["error"]?["data"] == .data(Array(PlainNode.nopeCode.dropFirst(12))))
        #expect(try await node.error("eth_estimateGas", [call]).0 == 3)
        let transfer: JSONValue = .object(["from": .string(DevAccounts.addresses[1].hexString),
                                           "to": .string(DevAccounts.addresses[2].hexString), "value": "0x1"])
        #expect(try await node.result("eth_estimateGas", [transfer]) == .string("0x5208"))
        #expect(try await node.result("eth_call", [transfer]) == .string("0x"))
        // A call the rules refuse (gas below the intrinsic cost) is an error, not a result.
        let starved: JSONValue = .object(["to": .string(DevAccounts.addresses[2].hexString), "gas": "0x100"])
        #expect(try await node.error("eth_call", [starved]).0 == -32000)
        // eth_sendTransaction signs for the development accounts and fills in gas and fees.
        let sent = try await node.result("eth_sendTransaction", [transfer])
        #expect(try await node.mine().block.transactions.map { JSONValue.string($0.hash.hexString) } == [sent])
        let stranger: JSONValue = .object(["from": .string(Address(word: U256(0x99)).hexString), "to": "0x0000000000000000000000000000000000000001"])
        #expect(try await node.error("eth_sendTransaction", [stranger]).1.contains("development accounts only"))
    }

    @Test("Subscriptions hear of each new block, within a per-connection limit, until the connection closes")
    func subscriptions() async throws {
        let node = try PlainNode()
        let connection = RecordingConnection(id: 7)
        let heads = try await node.response("eth_subscribe", ["newHeads"], connection: connection)
        let id = try #require(heads["result"]?.stringValue)
        let logs = try await node.response("eth_subscribe", ["logs", .object([:])], connection: connection)
        let logsID = try #require(logs["result"]?.stringValue)
        let third = try await node.response("eth_subscribe", ["newHeads"], connection: connection)
        #expect(third["error"]?["message"]?.stringValue?.contains("too many subscriptions") == true)
        #expect(try await node.error("eth_subscribe", ["newHeads"]).0 == -32601)  // not over plain HTTP

        let block = try await node.mine()
        let sent = connection.sent.withLock { $0 }
        #expect(sent.count == 1)
        #expect(sent.first?["params"]?["subscription"] == .string(id))
        #expect(sent.first?["params"]?["result"]?["hash"] == .string(block.hash.hexString))

        #expect(try await node.response("eth_unsubscribe", [.string(logsID)], connection: connection)["result"] == true)
        #expect(try await node.response("eth_unsubscribe", [.string(logsID)], connection: connection)["result"] == false)
        connection.open.withLock { $0 = false }
        try await node.mine()
        #expect(node.subscriptions.count == 0)  // the closed connection's subscription is forgotten
    }

    @Test("Subscription ids are quantities, as geth writes them: no leading zero digit, distinct")
    func subscriptionIdsAreQuantities() throws {
        let hub = SubscriptionHub(limitPerConnection: 1_000)
        var ids = Set<String>()
        // One id in 16 would start with a zero digit if it were not trimmed; 1,000 of them make that certain.
        for _ in 0..<1_000 {
            let id = try hub.add(SubscriptionHub.Subscriber(connection: 1) { _, _ in true })
            #expect(id.hasPrefix("0x") && id.count > 2 && id.count <= 34, "\(id)")
            #expect(id == "0x0" || !id.hasPrefix("0x0"), "\(id) has a leading zero")
            #expect(id.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
            ids.insert(id)
        }
        #expect(ids.count == 1_000)
    }

    @Test("Fee history covers the blocks asked for and the next base fee")
    func feeHistory() async throws {
        let node = try PlainNode()
        for nonce in 0..<3 {
            _ = try await node.result("eth_sendRawTransaction", [.data(PlainNode.transfer(from: 0, nonce: UInt64(nonce)).networkEncoded)])
            try await node.mine()
        }
        let history = try await node.result("eth_feeHistory", ["0x2", "latest", .array([.number(50)])])
        #expect(history["oldestBlock"] == .string("0x2"))
        #expect(history["baseFeePerGas"]?.arrayValue?.count == 3)
        #expect(history["reward"]?.arrayValue?.count == 2)
        #expect(history["reward"]?[0]?[0] == .string("0x3b9aca00"))  // the 1 gwei tip paid
        #expect(try await node.error("eth_feeHistory", ["0x2", "latest", .array([.number(60), .number(10)])]).0 == -32602)
    }
}

/// `lockstep_getStateDiff`'s answer, its entries by address.
struct StateDiffAnswer {
    var entries: [Address: JSONValue] = [:]

    init(_ answer: JSONValue) throws {
        for entry in answer["accounts"]?.arrayValue ?? [] {
            entries[try Address(hex: entry["address"]?.stringValue ?? "")] = entry
        }
    }
}
