import Builder
import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import RPCServer
import Rollup
import Sequencer
import State
import Testing

/// The L2 forked over HTTP from a running L2 node (the builder's view of a slot-end block): what is built on the
/// fork is what the sequencer's own chain builds, state roots included.
@Suite("Building on the L2 forked over HTTP", .serialized)
struct L2ForkTests {
    static let l2ChainId = RollupProtocol.devnetL2ChainId

    static func transfer(from account: Int, nonce: UInt64, to: Address = Address(word: U256(0xbeef)), value: U256 = U256(5),
                         gas: UInt64 = 21_000, data: [UInt8] = []) -> Transaction {
        Transaction(type: .dynamicFee, chainId: l2ChainId, nonce: nonce, maxPriorityFeePerGas: U256(2_000_000_000),
                    maxFeePerGas: U256(50_000_000_000), gasLimit: gas, to: to, value: value, data: data)
            .signed(with: DevAccounts.privateKeys[account])
    }

    /// A based block with `transactions` on `chain`'s head, coinbase development account 8.
    static func basedBlock(on chain: Blockchain, transactions: [Transaction]) throws -> Block {
        let head = try L2Header(blockHeader: chain.head.header)
        let attributes = L2Production.attributes(timestamp: head.base.timestamp + 1, coinbase: DevAccounts.addresses[8])
        let plan = L2BlockPlan(kind: .based, l1AnchorNumber: head.l1AnchorNumber, l1AnchorHash: head.l1AnchorHash,
                               groups: [TransactionGroup(transactions: transactions,
                                                         senders: try transactions.map { try $0.recoverSender() })])
        let (prefix, seal) = L2Production.recipe(on: chain, attributes: attributes, plan: plan)
        return try BlockBuilder().build(on: chain, pool: TransactionPool(chainId: l2ChainId), attributes: attributes,
                                        prefix: prefix, seal: seal).block
    }

    /// An L2 node in memory with the development accounts funded, sequenced by development account 9.
    static func developmentL2() throws -> L2Node {
        let genesis = L2Genesis.genesis(l2ChainId: l2ChainId, timestamp: UInt64(Date().timeIntervalSince1970) - 100,
                                        fundDevelopmentAccounts: true)
        let identity = SequencerIdentity(key: DevAccounts.privateKeys[9], domain: RollupDomain(
            l1ChainId: RollupProtocol.devnetL1ChainId, rollup: Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)))
        return try L2Node(devMode: true) {
            try SequencerChain(genesis: genesis, anchor: (0, .zero), identity: identity, log: nil)
        }
    }

    @Test("A based block built on the fork of a slot-end block is the block the sequencer's chain builds")
    func forkedBuildMatchesTheSequencer() async throws {
        let l2 = try Self.developmentL2()
        defer { l2.stop() }
        for round in 0..<3 {
            let transaction = Self.transfer(from: 1, nonce: UInt64(round))
            _ = try await l2.accept(transaction, raw: transaction.networkEncoded)
            try await l2.produce()
        }
        let withdrawal = Self.transfer(from: 2, nonce: 0, to: RollupProtocol.messengerAddress, value: U256(1_000),
                                       gas: 300_000, data: ABIValue.call("sendToL1(address,bytes)",
                                                                         [.address(DevAccounts.addresses[3]), .bytes([1, 2])]))
        let contents = [Self.transfer(from: 1, nonce: 3), withdrawal]
        let local = try await l2.withSequencer { try Self.basedBlock(on: $0.node.chain, transactions: contents).header }
        let head = try await l2.withNodeChain { $0.head.number }

        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: RPCDispatcher(methods: l2.methods()),
                                            configuration: RPCServerConfiguration(port: 0),
                                            onRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NodeError("the server did not start") }
            let url = "http://127.0.0.1:\(port)"
            // Forked reads block on libcurl: off the cooperative threads the server's handlers need.
            let remote = try await offChainThread { () -> BlockHeader in
                let (forked, fork) = try L2Fork.open(url: url, blockNumber: head, l2ChainId: Self.l2ChainId)
                #expect(fork.header.hash == forked.head.hash)
                return try Self.basedBlock(on: forked, transactions: contents).header
            }
            #expect(remote.stateRoot == local.stateRoot)
            #expect(remote.hash == local.hash)
            #expect(try L2Header(blockHeader: remote).outboxRoot != .zero)
            group.cancelAll()
        }
    }

    @Test("Forks read proofs with lockstep_getProofs, the same as eth_getProof, and fall back where a node lacks it")
    func sharedProofs() async throws {
        let l2 = try Self.developmentL2()
        defer { l2.stop() }
        let withdrawal = Self.transfer(from: 2, nonce: 0, to: RollupProtocol.messengerAddress, value: U256(1_000),
                                       gas: 300_000, data: ABIValue.call("sendToL1(address,bytes)",
                                                                         [.address(DevAccounts.addresses[3]), .bytes([1, 2])]))
        _ = try await l2.accept(withdrawal, raw: withdrawal.networkEncoded)
        try await l2.produce()
        let head = try await l2.withNodeChain { $0.head.number }
        // The same node twice: once whole, once without lockstep_getProofs (as another client's node would be).
        var without = RPCMethods()
        for (name, handler) in l2.methods().handlers where name != "lockstep_getProofs" { without.register(name, handler) }
        let (ports, continuation) = AsyncStream.makeStream(of: (Int, Int).self)
        let apps = [l2.methods(), without].enumerated().map { index, methods in
            RPCHTTPServer.application(dispatcher: RPCDispatcher(methods: methods), configuration: RPCServerConfiguration(port: 0),
                                      onRunning: { continuation.yield((index, $0)) })
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for app in apps { group.addTask { try await app.run() } }
            var iterator = ports.makeAsyncIterator()
            var started = ["", ""]
            for _ in apps {
                guard let (index, port) = await iterator.next() else { throw NodeError("a server did not start") }
                started[index] = "http://127.0.0.1:\(port)"
            }
            let urls = started
            let absent = Address(word: U256(0xdead_beef))
            let requests: [(address: Address, slots: [U256])] = DevAccounts.addresses.prefix(5).map { ($0, []) }
                + [(RollupProtocol.messengerAddress, [U256(0), U256(1), U256(2)]), (absent, [])]
            try await offChainThread {
                // Both servers answer; which one serves lockstep_getProofs is found by asking.
                let answers = try urls.map { url in
                    let upstream = JSONRPCUpstream(client: JSONRPCClient(url: url), blockNumber: head)
                    return (try upstream.proofs(requests), upstream.usesSharedProofs)
                }
                #expect(answers.map(\.1) == [true, false])
                let (shared, perAccount) = (answers[0].0, answers[1].0)
                #expect(shared.count == requests.count && perAccount.count == requests.count)
                for (one, other) in zip(shared, perAccount) {
                    #expect(one.accountProof == other.accountProof)
                    #expect(one.storageProof == other.storageProof)
                    #expect(one.storageHash == other.storageHash)
                    #expect(one.accountFields == other.accountFields)
                }
                let client = JSONRPCClient(url: urls[0])
                let balance = try client.call("eth_getBalance", [.string(DevAccounts.addresses[2].hexString), .quantity(head)])
                #expect(shared[2].accountFields?.balance == (try balance.decodeQuantity()))
                #expect(shared[2].accountFields?.nonce == 1)
                #expect(shared.last?.accountFields == AccountInfo(nonce: 0, balance: .zero, codeHash: AccountInfo.emptyCodeHash))
                // The answer sends each node once: fewer nodes than the proofs list.
                let raw = try client.call("lockstep_getProofs", [.array(requests.map { request in
                    .object(["address": .string(request.address.hexString),
                             "storageKeys": .array(request.slots.map { .string($0.hexString) })])
                }), .quantity(head)])
                let listed = shared.reduce(0) { $0 + $1.accountProof.count + $1.storageProof.count }
                let nodes = raw["nodes"]?.arrayValue ?? []
                #expect(!nodes.isEmpty && nodes.count < listed && Set(nodes.compactMap(\.stringValue)).count == nodes.count)
                // Refusals.
                for params: [JSONValue] in [
                    [.array(Array(repeating: .object(["address": .string(absent.hexString)]), count: 1_001))],
                    [.array([.object(["address": .string(absent.hexString), "slots": .array([])])])],
                    [.array([.object(["address": "0x12"])])],
                    [.string("nope")],
                ] {
                    #expect(throws: JSONRPCClientError.self) { try client.call("lockstep_getProofs", params) }
                    do {
                        _ = try client.call("lockstep_getProofs", params)
                    } catch let error as JSONRPCClientError {
                        #expect(error.rpcCode == -32602, "\(params): \(error)")
                    }
                }
                // A fork's prefetch reads accounts with their proofs: the account reads that follow are cached, and so
                // are the proofs the block's witness will need.
                let (_, fork) = try L2Fork.open(url: urls[0], blockNumber: head, l2ChainId: Self.l2ChainId)
                let addresses = requests.map(\.address)
                fork.base.prefetch(accounts: addresses)
                let (reads, proofs) = (fork.base.remote.remoteReads, fork.base.proofRequests)
                #expect(fork.base.remote.account(DevAccounts.addresses[2])?.nonce == 1)
                #expect(fork.base.remote.account(absent) == nil)
                #expect(fork.base.remote.code(hash: fork.base.remote.account(RollupProtocol.messengerAddress)?.codeHash ?? .zero)?.isEmpty == false)
                _ = try fork.base.cachedProofs(addresses.map { ($0, []) })
                #expect(fork.base.remote.remoteReads == reads && fork.base.proofRequests == proofs)
                #expect(fork.base.remote.firstError == nil)
            }
            group.cancelAll()
        }
    }
}
