import Builder
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
import Synchronization
import Testing

/// The builder's joint simulation against both chains served over HTTP: the L1 devnet with the EXECUTE precompile
/// and the harness's contracts (2-of-3 policy), and the L2 sequencer at a real handoff. A deposit → withdrawal →
/// execution bundle simulates with the right values on both layers; a failing post-assertion is reported on its
/// layer; and the simulated L1 bundle, sent for block N, lands: the sequencer adopts the based block.
@Suite("Joint simulation of cross-layer bundles", .serialized)
struct JointSimulationTests {
    static let l1ChainId = RollupProtocol.devnetL1ChainId
    static let l2ChainId = RollupProtocol.devnetL2ChainId
    static let rollup = Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)
    static let identity = SequencerIdentity(key: DevAccounts.privateKeys[9],
                                            domain: RollupDomain(l1ChainId: l1ChainId, rollup: rollup))
    static let ether = U256(1_000_000_000_000_000_000)

    /// Serves `methods` on a free loopback port while `body` runs.
    static func serving(_ methods: RPCMethods, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: RPCDispatcher(methods: methods),
                                            configuration: RPCServerConfiguration(port: 0),
                                            onRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NodeError("the server did not start") }
            try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
        }
    }

    static func call(_ client: JSONRPCClient, _ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        try await offChainThread { try client.call(method, params, idempotent: false) }
    }

    static func sign(chainId: UInt64, key: Int, nonce: UInt64, to: Address?, value: U256 = .zero, data: [UInt8] = [],
                     gas: UInt64 = 300_000) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(200_000_000_000), gasLimit: gas, to: to, value: value, data: data)
            .signed(with: DevAccounts.privateKeys[key])
    }

    static func nonce(_ client: JSONRPCClient, _ account: Int) async throws -> UInt64 {
        try await call(client, "eth_getTransactionCount", [.string(DevAccounts.addresses[account].hexString), "pending"])
            .decodeUInt64Quantity()
    }

    /// Sends `data` from `key` on L1 and mines it; expects success.
    static func transact(_ client: JSONRPCClient, key: Int, to: Address?, data: [UInt8]) async throws {
        let transaction = sign(chainId: l1ChainId, key: key, nonce: try await nonce(client, key), to: to, data: data,
                               gas: 8_000_000)
        _ = try await call(client, "eth_sendRawTransaction", [.data(transaction.networkEncoded)])
        _ = try await call(client, "evm_mine")
        #expect(try await call(client, "eth_getTransactionReceipt", [.string(transaction.hash.hexString)])["status"] == "0x1")
    }

    /// The L1 devnet (EXECUTE precompile, the harness's contracts, 2-of-3 policy) and the L2 sequencer synced to it,
    /// both served over HTTP, while `body` runs.
    static func withTwoChains(_ body: @escaping @Sendable (_ l1: JSONRPCClient, _ l1Url: String, _ l2: L2Node, _ l2Url: String,
                                                           _ watcher: L1Watcher) async throws -> Void) async throws {
        var l1Genesis = Genesis.devnetL1(timestamp: UInt64(Date().timeIntervalSince1970) - 1_000)
        l1Genesis.executePrecompile = true
        let genesisCopy = l1Genesis
        let devnet = try DevnetNode(automine: false) { try DevnetChain(genesis: genesisCopy, log: nil) }
        defer { devnet.stop() }
        try await Self.serving(devnet.methods()) { l1Url in
            let l1 = JSONRPCClient(url: l1Url, timeoutMilliseconds: 240_000)
            let anchorBlock = try await Self.call(l1, "eth_getBlockByNumber", ["latest", false])
            let anchor = (number: try anchorBlock["number"]!.decodeUInt64Quantity(), hash: try Hash(hex: anchorBlock["hash"]!.stringValue!))
            let genesis = L2Genesis.genesis(l2ChainId: Self.l2ChainId, timestamp: UInt64(Date().timeIntervalSince1970) - 100,
                                            fundDevelopmentAccounts: true)
            let l2 = try L2Node(devMode: true) {
                try SequencerChain(genesis: genesis, anchor: anchor, identity: Self.identity, log: nil)
            }
            defer { l2.stop() }
            let l2Genesis = try await l2.withNodeChain { $0.head }

            // The harness deployment: attestation (2 of accounts 7, 6, 5) and execute verifiers, 2-of-3.
            try await Self.transact(l1, key: 0, to: nil, data: try Hex.decode(ContractArtifacts.attestationVerifierBytecode)
                + ABIValue.encode([.address(Self.rollup), .array([7, 6, 5].map { .address(DevAccounts.addresses[$0]) }),
                                   .uint(UInt64(2))]))
            try await Self.transact(l1, key: 0, to: nil, data: try Hex.decode(ContractArtifacts.executeVerifierBytecode)
                + ABIValue.encode([.uint(Self.l2ChainId)]))
            let verifiers = (0..<2).map { Address.contractAddress(sender: DevAccounts.addresses[0], nonce: UInt64($0)) }
            try await Self.transact(l1, key: 0, to: nil, data: try Hex.decode(ContractArtifacts.rollupBytecode)
                + RollupCalls.constructorArguments(sequencer: Self.identity.address, l2ChainId: Self.l2ChainId,
                                                   genesisHash: l2Genesis.hash, genesisStateRoot: l2Genesis.header.stateRoot,
                                                   verifiers: [verifiers[0], verifiers[1], .zero], threshold: 2))

            try await Self.serving(l2.methods()) { l2Url in
                let log: @Sendable (String) -> Void = { _ in }
                let watcher = L1Watcher(client: l1, addresses: [Self.rollup])
                try await l2.syncL1(watcher, log: log)
                try await l2.produce()
                try await body(l1, l1Url, l2, l2Url, watcher)
            }
        }
    }

    @Test("A deposit → withdrawal → execution bundle simulates on both layers, and lands as simulated")
    func depositWithdrawExecute() async throws {
        try await Self.withTwoChains { l1, l1Url, l2, l2Url, watcher in
            do {
                let log: @Sendable (String) -> Void = { _ in }
                let parent = try await Self.call(l1, "eth_blockNumber").decodeUInt64Quantity()
                let target = parent + 1
                _ = try await l2.withSequencer { try $0.produceSlotEnd(target: target).block.number }

                // The searcher (account 1): 1 ETH deposited to itself on L1; 0.5 ETH withdrawn on the L2 to the
                // payee, with 0.01 ETH to the builder; the withdrawal executed on L1 by account 3.
                let payee = Address(word: U256(0x9a9ee))
                let searcher = DevAccounts.addresses[1]
                let builderKey = DevAccounts.privateKeys[8]
                let half = U256(500_000_000_000_000_000)
                let deposit = Self.sign(chainId: Self.l1ChainId, key: 1, nonce: try await Self.nonce(l1, 1), to: Self.rollup,
                                        value: Self.ether, data: RollupCalls.sendToL2(to: searcher, data: []))
                let withdraw = Self.sign(chainId: Self.l2ChainId, key: 1, nonce: 0, to: RollupProtocol.messengerAddress,
                                         value: half, data: ABIValue.call("sendToL1(address,bytes)", [.address(payee), .bytes([])]))
                let tip = Self.sign(chainId: Self.l2ChainId, key: 1, nonce: 1, to: builderKey.address,
                                    value: U256(10_000_000_000_000_000), gas: 21_000)
                let withdrawal = WithdrawalMessage(originKey: Hash(leftPadding: searcher.bytes), originNonce: .zero,
                                                   sender: searcher, to: payee, value: half, data: [])
                let execute = Self.sign(chainId: Self.l1ChainId, key: 3, nonce: try await Self.nonce(l1, 3), to: Self.rollup,
                                        data: RollupCalls.executeFromL2(withdrawal))
                func bundle(_ after: [Transaction]) throws -> CrossLayerBundle {
                    try CrossLayerBundle.parse([
                        "l1Before": .array([.data(deposit.networkEncoded)]),
                        "l2": .array([.data(withdraw.networkEncoded), .data(tip.networkEncoded)]),
                        "l1After": .array(after.map { .data($0.networkEncoded) }), "blockNumber": .quantity(target),
                    ], l1ChainId: Self.l1ChainId, l2ChainId: Self.l2ChainId)
                }
                let simulation = try BundleSimulation(settings: SimulationSettings(
                    l1Url: l1Url, l2Url: l2Url, rollup: Self.rollup, builderKey: builderKey,
                    attesters: [7, 6].map { DevAccounts.privateKeys[$0] }, slotTime: 12), l1ChainId: Self.l1ChainId)

                let good = try await simulation.simulate(try bundle([execute]))
                #expect(good.failure == nil, "\(good.failure.map { "\($0.layer): \($0.reason)" } ?? "")")
                #expect(good.deposits.count == 1 && good.basedBlock?.deposits.count == 1)
                #expect(good.l2.count == 2 && good.l2.allSatisfy(\.succeeded))
                #expect(good.submission?.succeeded == true && good.l1After.first?.succeeded == true)
                // The builder gets the 0.01 ETH payment and the priority fees on the L2; nothing on L1.
                #expect(good.l2Value > U256(10_000_000_000_000_000) && good.l1Value == .zero)

                // A post-assertion that fails (executing twice the amount) rejects the whole bundle, on l1After.
                var greedy = withdrawal
                greedy.value = Self.ether
                let wrong = Self.sign(chainId: Self.l1ChainId, key: 3, nonce: try await Self.nonce(l1, 3), to: Self.rollup,
                                      data: RollupCalls.executeFromL2(greedy))
                let bad = try await simulation.simulate(try bundle([wrong]))
                #expect(bad.failure?.layer == "l1After" && bad.failure?.hash == wrong.hash)
                #expect(bad.failure?.reason.contains("withdrawal: not verified") == true, "\(bad.failure?.reason ?? "")")

                // The simulated bundle, sent to L1 for block N, lands; the sequencer adopts its based block.
                let submission = try #require(good.submissionTransaction)
                _ = try await Self.call(l1, "eth_sendBundle", [.object([
                    "txs": .array([deposit, submission, execute].map { .data($0.networkEncoded) }),
                    "blockNumber": .quantity(target)])])
                _ = try await Self.call(l1, "evm_mine")
                let landed = try await Self.call(l1, "eth_getBlockByNumber", [.quantity(target), false])
                #expect(landed["transactions"]?.arrayValue?.count == 3)
                let balance = try await Self.call(l1, "eth_getBalance", [.string(payee.hexString), "latest"])
                #expect(try balance.decodeQuantity() == half)
                try await l2.syncL1(watcher, log: log)
                #expect(try await l2.withNodeChain { $0.head.hash } == good.basedBlock?.hash)
            }
        }
    }

    @Test("Early drafts stand at the handoff only where the L2 blocks in between left their reads alone")
    func earlyDrafts() async throws {
        try await Self.withTwoChains { l1, l1Url, l2, l2Url, _ in
            let target = try await Self.call(l1, "eth_blockNumber").decodeUInt64Quantity() + 1
            let builderKey = DevAccounts.privateKeys[8]
            func pay(_ key: Int, nonce: UInt64) -> Transaction {
                Self.sign(chainId: Self.l2ChainId, key: key, nonce: nonce, to: builderKey.address,
                          value: U256(1_000_000_000_000_000), gas: 21_000)
            }
            func bundle(_ transactions: [Transaction]) throws -> CrossLayerBundle {
                try CrossLayerBundle.parse(["l2": .array(transactions.map { .data($0.networkEncoded) }), "blockNumber": .quantity(target)],
                                           l1ChainId: Self.l1ChainId, l2ChainId: Self.l2ChainId)
            }
            // untouched: account 1's payment (nothing in between touches it): drafted early, stands.
            // spent: account 2's payment with nonce 0, which an ordinary L2 transaction takes first: must fail.
            // clock: a creation whose code reads NUMBER (its result may depend on the block): drafted again.
            // waiting: account 4's payment with nonce 1, failing early (nonce 0 unused), fine once nonce 0 lands.
            let clock = Self.sign(chainId: Self.l2ChainId, key: 3, nonce: 0, to: nil, data: [0x43, 0x50, 0x00], gas: 100_000)
            let entries = try [[pay(1, nonce: 0)], [pay(2, nonce: 0)], [clock], [pay(4, nonce: 1)]].enumerated().map {
                (hash: Hash(word: U256(UInt64($0.offset + 1))), bundle: try bundle($0.element))
            }
            let simulation = try BundleSimulation(settings: SimulationSettings(
                l1Url: l1Url, l2Url: l2Url, rollup: Self.rollup, builderKey: builderKey,
                attesters: [7, 6].map { DevAccounts.privateKeys[$0] }, slotTime: 12), l1ChainId: Self.l1ChainId)
            let (drafted, _, forked) = try await simulation.draftEarly(entries, target: target, l2ChainId: Self.l2ChainId)
            #expect(drafted == 4 && forked)
            let repeated = try await simulation.draftEarly(entries, target: target, l2ChainId: Self.l2ChainId)
            #expect(repeated.drafted == 0 && !repeated.forked, "drafted once, on the same forks")

            // The L2 moves on: an ordinary block with accounts 2 and 4's nonce 0, then the slot-end block.
            let l2Client = JSONRPCClient(url: l2Url, timeoutMilliseconds: 60_000)
            for transaction in [Self.sign(chainId: Self.l2ChainId, key: 2, nonce: 0, to: Address(word: U256(0x77)), gas: 21_000),
                                Self.sign(chainId: Self.l2ChainId, key: 4, nonce: 0, to: Address(word: U256(0x77)), gas: 21_000)] {
                _ = try await Self.call(l2Client, "eth_sendRawTransaction", [.data(transaction.networkEncoded)])
            }
            #expect(try await l2.produce().block.transactions.count == 2)
            _ = try await l2.withSequencer { try $0.produceSlotEnd(target: target) }
            let handoff = try #require(try await simulation.currentHandoff())

            // A searcher's lockstep_callBundle at the handoff first: it connects the forks, and the early drafts
            // still count at the auction.
            let called = try await simulation.simulate(entries[0].bundle, on: handoff)
            #expect(called.failure == nil, "\(called.failure.map { "\($0.layer): \($0.reason)" } ?? "")")
            let (drafts, early) = try await simulation.auctionDrafts(entries, target: target, on: handoff)
            #expect(early == 1, "only the untouched payment's early draft stands")
            #expect(drafts[0].failure == nil && drafts[0].l2Value > U256(1_000_000_000_000_000))
            #expect(drafts[1].failure?.layer == "l2" && drafts[1].failure?.reason.contains("nonce") == true,
                    "\(drafts[1].failure.map { "\($0.layer): \($0.reason)" } ?? "succeeded")")
            #expect(drafts[2].failure == nil && drafts[2].readsBlockEnvironment)
            #expect(drafts[3].failure == nil, "\(drafts[3].failure.map { "\($0.layer): \($0.reason)" } ?? "")")
            // The same as drafting every bundle afresh on the handoff.
            let fresh = try BundleSimulation(settings: SimulationSettings(
                l1Url: l1Url, l2Url: l2Url, rollup: Self.rollup, builderKey: builderKey,
                attesters: [7, 6].map { DevAccounts.privateKeys[$0] }, slotTime: 12), l1ChainId: Self.l1ChainId)
            let again = try await fresh.simulateAll(entries.map(\.bundle), target: target, draft: true, on: handoff)
            for (mine, theirs) in zip(drafts, again) {
                #expect(mine.failure?.reason == theirs.failure?.reason && mine.value == theirs.value)
                #expect(mine.l2.map(\.gasUsed) == theirs.l2.map(\.gasUsed))
            }
            // The merged block of the early drafts that stand simulates in full on the handoff's forks.
            let full = try await simulation.simulate(entries[0].bundle, on: handoff, proofsAhead: [drafts[0].l2Reads])
            #expect(full.failure == nil && full.submission?.succeeded == true,
                    "\(full.failure.map { "\($0.layer): \($0.reason)" } ?? "")")
        }
    }
}
