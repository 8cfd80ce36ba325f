import Chain
import EthRPC
import EVM
import Foundation
import JSON
import L1Devnet
import Node
import Primitives
import RPCServer
import Store
import Testing

/// The devnet L1 driven through its dispatcher, in process.
struct Devnet {
    static let chainId: UInt64 = 31337
    let node: DevnetNode
    let dispatcher: RPCDispatcher

    init(automine: Bool = false, logPath: String? = nil) throws {
        let genesis = Genesis.devnetL1(timestamp: UInt64(Date().timeIntervalSince1970) - 1_000)
        node = try DevnetNode(automine: automine) {
            try DevnetChain(genesis: genesis, log: try logPath.map { try EventLog(path: $0) })
        }
        dispatcher = RPCDispatcher(methods: node.methods())
    }

    func response(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        let body = JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": .array(params)])
        let bytes = try #require(await dispatcher.respond(to: Array(body.serializedString().utf8)))
        return try JSONValue(parsing: bytes)
    }

    func result(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        let answer = try await response(method, params)
        #expect(answer["error"] == nil, "\(method): \(answer)")
        return answer["result"] ?? .null
    }

    func errorMessage(_ method: String, _ params: [JSONValue] = []) async throws -> String {
        let answer = try await response(method, params)
        return try #require(answer["error"]?["message"]?.stringValue, "\(method) succeeded: \(answer)")
    }

    func blockNumber() async throws -> UInt64 {
        try await result("eth_blockNumber").decodeUInt64Quantity()
    }

    func block(_ number: UInt64) async throws -> JSONValue {
        try await result("eth_getBlockByNumber", [.quantity(number), false])
    }

    static func transfer(from account: Int, nonce: UInt64, tip: UInt64 = 1, to: Address = Address(word: U256(0xaa)),
                         gasLimit: UInt64 = 21_000) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce,
                    maxPriorityFeePerGas: U256(tip) &* U256(1_000_000_000), maxFeePerGas: U256(100_000_000_000),
                    gasLimit: gasLimit, to: to, value: U256(1), data: []).signed(with: DevAccounts.privateKeys[account])
    }

    static func bundle(_ transactions: [Transaction], block: UInt64, reverting: [Hash] = []) -> JSONValue {
        .object(["txs": .array(transactions.map { .data($0.networkEncoded) }), "blockNumber": .quantity(block),
                 "revertingTxHashes": .array(reverting.map { .string($0.hexString) })])
    }
}

@Suite("The devnet L1 through its dispatcher")
struct DevnetTests {
    /// Loops until out of gas (JUMPDEST PUSH1 0 JUMP).
    static let burnerCode: [UInt8] = [0x5b, 0x60, 0x00, 0x56]
    static let burner = Address(word: U256(0xb0b))

    @Test("Bundles go first in their block, all or nothing")
    func bundles() async throws {
        let devnet = try Devnet()
        #expect(try await devnet.result("anvil_setCode", [.string(Self.burner.hexString), .data(Self.burnerCode)]) == true)
        let pooled = Devnet.transfer(from: 0, nonce: 0, tip: 90)
        _ = try await devnet.result("eth_sendRawTransaction", [.data(pooled.networkEncoded)])
        let bundled = Devnet.transfer(from: 1, nonce: 0)
        let sunk = [Devnet.transfer(from: 2, nonce: 0), Devnet.transfer(from: 3, nonce: 0, to: Self.burner, gasLimit: 60_000)]
        let tolerated = Devnet.transfer(from: 4, nonce: 0, to: Self.burner, gasLimit: 60_000)
        let answer = try await devnet.result("eth_sendBundle", [Devnet.bundle([bundled], block: 1)])
        #expect(answer["bundleHash"] == .string(Keccak256.hash(bundled.hash.bytes).hexString))
        _ = try await devnet.result("eth_sendBundle", [Devnet.bundle(sunk, block: 1)])
        _ = try await devnet.result("eth_sendBundle", [Devnet.bundle([tolerated], block: 1, reverting: [tolerated.hash])])
        _ = try await devnet.result("eth_sendBundle", [Devnet.bundle([Devnet.transfer(from: 5, nonce: 0)], block: 2)])

        // Simulation first: the bundle's results, without keeping anything.
        let simulated = try await devnet.result("eth_callBundle", [Devnet.bundle(sunk, block: 1)])
        #expect(simulated["results"]?[1]?["error"] == .string("execution reverted"))
        #expect(simulated["totalGasUsed"] == .number(UInt64(21_000 + 60_000)))

        #expect(try await devnet.result("evm_mine") == .string("0x0"))
        let hashes = try await devnet.block(1)["transactions"]?.arrayValue ?? []
        // The bundles that pay the coinbase most go first: `tolerated` burns 60,000 gas at 1 gwei, `bundled` 21,000.
        #expect(hashes == [tolerated, bundled, pooled].map { .string($0.hash.hexString) })
        // The block-2 bundle waits for block 2; a bundle for a past block is refused.
        #expect(try await devnet.errorMessage("eth_sendBundle", [Devnet.bundle([Devnet.transfer(from: 6, nonce: 0)], block: 1)])
            .contains("already at 1"))
        try await devnet.node.mine()
        #expect(try await devnet.block(2)["transactions"]?.arrayValue?.count == 1)
    }

    @Test("Snapshots return the chain, pool and balances to where they were")
    func snapshots() async throws {
        let devnet = try Devnet()
        let account = JSONValue.string(DevAccounts.addresses[7].hexString)
        let before = try await devnet.result("eth_getBalance", [account])
        let id = try await devnet.result("evm_snapshot")
        _ = try await devnet.result("anvil_setBalance", [account, "0x1"])
        _ = try await devnet.result("eth_sendRawTransaction", [.data(Devnet.transfer(from: 0, nonce: 0).networkEncoded)])
        _ = try await devnet.result("anvil_mine", ["0x3"])
        #expect(try await devnet.blockNumber() == 3)
        #expect(try await devnet.result("eth_getBalance", [account]) == .string("0x1"))
        #expect(try await devnet.result("evm_revert", [id]) == true)
        #expect(try await devnet.blockNumber() == 0)
        #expect(try await devnet.result("eth_getBalance", [account]) == before)
        #expect(try await devnet.result("evm_revert", [id]) == false)  // used up
    }

    @Test("Time and test edits: the next timestamp, a past one refused, storage and nonce edits")
    func testMethods() async throws {
        let devnet = try Devnet()
        let head = try await devnet.block(0)["timestamp"]?.decodeUInt64Quantity() ?? 0
        _ = try await devnet.result("evm_setNextBlockTimestamp", [.quantity(head + 500)])
        try await devnet.node.mine()
        #expect(try await devnet.block(1)["timestamp"]?.decodeUInt64Quantity() == head + 500)
        #expect(try await devnet.errorMessage("evm_setNextBlockTimestamp", [.quantity(head)]).contains("not after the head's"))
        let address = JSONValue.string(Self.burner.hexString)
        _ = try await devnet.result("anvil_setStorageAt", [address, "0x2", "0x2a"])
        #expect(try await devnet.result("eth_getStorageAt", [address, "0x2"])
            == .string(Hash(word: U256(42)).hexString))
        _ = try await devnet.result("anvil_setNonce", [address, "0x9"])
        #expect(try await devnet.result("eth_getTransactionCount", [address]) == .string("0x9"))
    }

    @Test("Automining makes a block for each transaction")
    func automine() async throws {
        let devnet = try Devnet(automine: true)
        let hash = try await devnet.result("eth_sendRawTransaction", [.data(Devnet.transfer(from: 0, nonce: 0).networkEncoded)])
        #expect(try await devnet.blockNumber() == 1)
        #expect(try await devnet.result("eth_getTransactionReceipt", [hash])["status"] == .string("0x1"))
    }

    @Test("What was acknowledged survives a restart: blocks, pending transactions and bundles")
    func restart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-devnet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("devnet.sqlite").path
        let pending = Devnet.transfer(from: 0, nonce: 1)
        let bundled = Devnet.transfer(from: 1, nonce: 0)
        do {
            let devnet = try Devnet(logPath: path)
            _ = try await devnet.result("eth_sendRawTransaction", [.data(Devnet.transfer(from: 0, nonce: 0).networkEncoded)])
            try await devnet.node.mine()
            _ = try await devnet.result("eth_sendRawTransaction", [.data(pending.networkEncoded)])
            _ = try await devnet.result("eth_sendBundle", [Devnet.bundle([bundled], block: 2)])
            devnet.node.stop()
        }
        let reopened = try Devnet(logPath: path)
        #expect(try await reopened.blockNumber() == 1)
        #expect(try await reopened.result("eth_getTransactionByHash", [.string(pending.hash.hexString)])["hash"]
            == .string(pending.hash.hexString))
        try await reopened.node.mine()
        let hashes = try await reopened.block(2)["transactions"]?.arrayValue ?? []
        #expect(hashes == [bundled, pending].map { .string($0.hash.hexString) })
    }
}
