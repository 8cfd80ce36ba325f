import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import L1Devnet
import Node
import Primitives
import RPCServer
import Rollup
import Sequencer
import State
import Store
import Synchronization
import Testing

/// The slot protocol against a real L1 over HTTP (`Specs/protocol.md` §2 steps 4 and 6): the devnet runs the Rollup
/// contract compiled from source; a based block is built on the sequencer's slot-end block as the spec says, proven
/// with an attestation and submitted to L1 with `submitBased`; the sequencer adopts it from the `BasedBlock` event,
/// and rolls it back when an `evm_revert` takes the L1 block away, with its transaction back in the pool.
@Suite("Adoption of based blocks and L1 reorgs, against the devnet over HTTP", .serialized)
struct AdoptionTests {
    static let l1ChainId = RollupProtocol.devnetL1ChainId
    static let l2ChainId = RollupProtocol.devnetL2ChainId
    static let rollup = Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)
    static let identity = SequencerIdentity(key: DevAccounts.privateKeys[9],
                                            domain: RollupDomain(l1ChainId: l1ChainId, rollup: rollup))

    /// Serves a fresh devnet L1 on a free loopback port while `body` runs.
    static func withL1(_ body: @escaping @Sendable (L1) async throws -> Void) async throws {
        let genesis = Genesis.devnetL1(timestamp: UInt64(Date().timeIntervalSince1970) - 1_000)
        let node = try DevnetNode(automine: false) { try DevnetChain(genesis: genesis, log: nil) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: RPCDispatcher(methods: node.methods()),
                                            configuration: RPCServerConfiguration(port: 0),
                                            onRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NodeError("the server did not start") }
            // A generous timeout: the conformance suites can hold the cooperative threads for a minute or more.
            try await body(L1(client: JSONRPCClient(url: "http://127.0.0.1:\(port)", timeoutMilliseconds: 240_000)))
            group.cancelAll()
        }
        node.stop()
    }

    /// The L1 as a client sees it; every call off the cooperative threads (the server's handlers need them).
    struct L1: Sendable {
        let client: JSONRPCClient

        func call(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
            let client = self.client
            return try await offChainThread { try client.call(method, params, idempotent: false) }
        }

        func head() async throws -> (number: UInt64, hash: Hash) {
            let block = try await call("eth_getBlockByNumber", ["latest", false])
            return (try block["number"]!.decodeUInt64Quantity(), try Hash(hex: block["hash"]!.stringValue!))
        }

        /// Sends `data` from development account `key` and mines it; expects success.
        func transact(key: Int, to: Address?, data: [UInt8], gas: UInt64 = 8_000_000) async throws {
            let nonce = try await call("eth_getTransactionCount", [.string(DevAccounts.addresses[key].hexString), "pending"])
                .decodeUInt64Quantity()
            let transaction = Transaction(type: .dynamicFee, chainId: AdoptionTests.l1ChainId, nonce: nonce,
                                          maxPriorityFeePerGas: U256(1_000_000_000), maxFeePerGas: U256(200_000_000_000),
                                          gasLimit: gas, to: to, value: .zero, data: data)
                .signed(with: DevAccounts.privateKeys[key])
            _ = try await call("eth_sendRawTransaction", [.data(transaction.networkEncoded)])
            _ = try await call("evm_mine")
            let receipt = try await call("eth_getTransactionReceipt", [.string(transaction.hash.hexString)])
            #expect(receipt["status"] == "0x1", "L1 transaction to \(to?.hexString ?? "create") reverted")
        }
    }

    static func transfer(from account: Int, nonce: UInt64) -> Transaction {
        Transaction(type: .dynamicFee, chainId: l2ChainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(50_000_000_000), gasLimit: 21_000, to: Address(word: U256(0xbeef)),
                    value: U256(7), data: [])
            .signed(with: DevAccounts.privateKeys[account])
    }

    @Test("A based block L1 accepted is adopted; reorged out, it is rolled back and its transaction sequenced")
    func adoptionAndReorg() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-adoption-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logPath = directory.appendingPathComponent("l2.sqlite").path

        try await Self.withL1 { l1 in
            // The L2's genesis is anchored at the L1 block the contracts are deployed against.
            let l1Genesis = try await l1.head()
            let genesis = L2Genesis.genesis(l2ChainId: Self.l2ChainId, timestamp: UInt64(Date().timeIntervalSince1970) - 100,
                                            fundDevelopmentAccounts: true)
            let open: @Sendable () throws -> SequencerChain = {
                try SequencerChain(genesis: genesis, anchor: (l1Genesis.number, l1Genesis.hash), identity: Self.identity,
                                   log: try EventLog(path: logPath))
            }
            var l2 = try L2Node(devMode: true, make: open)
            let genesisBlock = try await l2.withNodeChain { $0.head }

            // The harness deployment: both verifiers, then the Rollup at CREATE(account 0, 2), attestation alone
            // enough (threshold 1).
            try await l1.transact(key: 0, to: nil, data: try Hex.decode(ContractArtifacts.attestationVerifierBytecode)
                + ABIValue.encode([.address(Self.rollup), .array([7, 6, 5].map { .address(DevAccounts.addresses[$0]) }),
                                   .uint(UInt64(1))]))
            try await l1.transact(key: 0, to: nil, data: try Hex.decode(ContractArtifacts.executeVerifierBytecode)
                + ABIValue.encode([.uint(Self.l2ChainId)]))
            let verifiers = (0..<2).map { Address.contractAddress(sender: DevAccounts.addresses[0], nonce: UInt64($0)) }
            try await l1.transact(key: 0, to: nil, data: try Hex.decode(ContractArtifacts.rollupBytecode)
                + RollupCalls.constructorArguments(sequencer: Self.identity.address, l2ChainId: Self.l2ChainId,
                                                   genesisHash: genesisBlock.hash, genesisStateRoot: genesisBlock.header.stateRoot,
                                                   verifiers: [verifiers[0], verifiers[1], .zero], threshold: 1))

            let logged = Mutex<[String]>([])
            let log: @Sendable (String) -> Void = { line in logged.withLock { $0.append(line) } }
            var watcher = L1Watcher(client: l1.client, addresses: [Self.rollup])
            try await l2.syncL1(watcher, log: log)
            try await l2.produce()

            // The slot-end block for the next L1 block, and its handoff.
            let parent = try await l1.head()
            let target = parent.number + 1
            let (slotEnd, handoff, handoffSignature) = try await l2.withSequencer { chain in
                let made = try chain.produceSlotEnd(target: target)
                return (made.block, made.handoff, made.signature)
            }
            #expect(handoff.l1ParentHash == parent.hash && handoff.l2BlockHash == slotEnd.hash)

            // A user's transaction, acknowledged by the sequencer's pool while it waits for L1 block N.
            let user = Self.transfer(from: 4, nonce: 0)
            _ = try await l2.accept(user, raw: user.networkEncoded)

            // A builder's based block on it (built by the rules of §4, with the user's transaction, which it saw in
            // the public mempool), proven by an attestation and submitted in L1 block N.
            let builder = DevAccounts.addresses[8]
            let based = try await l2.withSequencer { chain -> L2Block in
                let attributes = L2Production.attributes(timestamp: slotEnd.header.timestamp + 1, coinbase: builder)
                let plan = L2BlockPlan(kind: .based, l1AnchorNumber: parent.number, l1AnchorHash: parent.hash,
                                       groups: [TransactionGroup(transactions: [user], senders: [DevAccounts.addresses[4]])])
                let (prefix, seal) = L2Production.recipe(on: chain.node.chain, attributes: attributes, plan: plan)
                let built = try BlockBuilder().build(on: chain.node.chain, pool: TransactionPool(chainId: Self.l2ChainId),
                                                     attributes: attributes, prefix: prefix, seal: seal)
                return try L2Block(built: built.block, deposits: [])
            }
            #expect(based.transactions.map(\.hash) == [user.hash] && based.header.kind == .based)
            let blockData = BlockData.encode([based])
            let inputs = PublicInputs(
                mode: .based, l2ChainId: Self.l2ChainId, parentBlockNumber: slotEnd.number, parentBlockHash: slotEnd.hash,
                parentStateRoot: slotEnd.header.stateRoot, blockNumber: based.number, blockHash: based.hash,
                postStateRoot: based.header.base.stateRoot, inboxHash: based.header.inboxHash,
                outboxRoot: based.header.outboxRoot, l1BlockNumber: target, l1ParentHash: parent.hash, submitter: builder,
                blockDataHash: Keccak256.hash(blockData))
            let proof = RollupCalls.Proof(system: RollupCalls.Proof.attestationSystem,
                                          data: RollupCalls.attestationProof(publicInputsHash: inputs.hash, domain: Self.identity.domain,
                                                                             keys: [DevAccounts.privateKeys[7]]))
            let snapshot = try await l1.call("evm_snapshot")
            try await l1.transact(key: 8, to: Self.rollup, data: RollupCalls.submitBased(
                handoff: handoff, sequencerSignature: handoffSignature, blockHash: based.hash,
                postStateRoot: based.header.base.stateRoot, depositIds: [], withdrawalIds: [], blockData: blockData,
                proofs: [proof]))
            #expect(try await l1.head().number == target)

            // The sequencer adopts it, drops the transaction from its pool, and builds on it.
            try await l2.syncL1(watcher, log: log)
            var head = try await l2.withNodeChain { $0.head }
            #expect(head.hash == based.hash, "not adopted: \(logged.withLock { $0 })")
            #expect(try await l2.status().pending == 0)
            let onBased = try await l2.produce()
            #expect(onBased.header.parentHash == based.hash)

            // Settling the slot-end block moves the Rollup's settled head to the based block on it (§7.4), and a
            // follower derives both from L1 alone: the Settled range, then the BasedBlock on its last block.
            let settler = Settler(node: l2, l1: l1.client, submit: l1.client, rollup: Self.rollup,
                                  attesters: [DevAccounts.privateKeys[7]], execute: false)
            #expect(try await settler.step() == nil)  // sent
            _ = try await l1.call("evm_mine")
            let landed = try await settler.step()
            #expect(landed?.hasPrefix("settled L2 blocks 1…\(slotEnd.number)") == true, "\(landed ?? "nothing")")
            #expect(try await settler.settledHead().hash == based.hash)
            let follower = try L2Node(devMode: false) {
                try SequencerChain(genesis: genesis, anchor: (l1Genesis.number, l1Genesis.hash), identity: Self.identity,
                                   log: nil, follower: true)
            }
            try await follower.syncL1(L1Watcher(client: l1.client, addresses: [Self.rollup]), log: log)
            #expect(try await follower.withNodeChain { $0.head.hash } == based.hash, "\(logged.withLock { $0 })")
            follower.stop()

            // L1 block N is reorged out and replaced by an empty block: back to the slot-end block, the user's
            // transaction back in the pool; then the sequencer resumes and includes it.
            #expect(try await l1.call("evm_revert", [snapshot]) == true)
            _ = try await l1.call("evm_mine", [.quantity(UInt64(Date().timeIntervalSince1970) + 30)])
            try await l2.syncL1(watcher, log: log)
            head = try await l2.withNodeChain { $0.head }
            #expect(head.hash == slotEnd.hash, "not rolled back: \(logged.withLock { $0 })")
            #expect(try await l2.status().pending == 1)
            try await l2.syncL1(watcher, log: log)  // rescans from the slot-end block's anchor and sees N′
            let resumed = try await l2.produce()
            #expect(resumed.header.parentHash == slotEnd.hash)
            #expect(resumed.block.transactions.map(\.hash) == [user.hash])
            #expect(try L2Header(blockHeader: resumed.header).kind == .sequenced)

            // A restart replays the log to the same chain.
            l2.stop()
            l2 = try L2Node(devMode: true, make: open)
            #expect(try await l2.withNodeChain { $0.head.hash } == resumed.hash)
            #expect(try await l2.status().pending == 0)
            watcher = L1Watcher(client: l1.client, addresses: [Self.rollup])
            try await l2.syncL1(watcher, log: log)
            #expect(try await l2.withNodeChain { $0.head.hash } == resumed.hash)
            l2.stop()
        }
    }
}
