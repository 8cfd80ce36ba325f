import Chain
import EVM
import Foundation
import Node
import Primitives
import Rollup
import Sequencer
import State
import Store
import Testing

@Suite("The L2 sequencer on the node core")
struct SequencerTests {
    static let l2ChainId = RollupProtocol.devnetL2ChainId
    static let genesis = L2Genesis.genesis(l2ChainId: l2ChainId, timestamp: 1_765_000_000, fundDevelopmentAccounts: true)
    static let anchor = (number: UInt64(5), hash: Keccak256.hash(Array("l1 block 5".utf8)))
    static let identity = SequencerIdentity(
        key: DevAccounts.privateKeys[9],
        domain: RollupDomain(l1ChainId: RollupProtocol.devnetL1ChainId,
                             rollup: Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)))

    static func chain(log: EventLog? = nil) throws -> SequencerChain {
        try SequencerChain(genesis: genesis, anchor: anchor, identity: identity, log: log)
    }

    static func transfer(from account: Int, nonce: UInt64, to: Address = Address(word: U256(0xaa)), value: U256 = U256(1),
                         gasLimit: UInt64 = 21_000, data: [UInt8] = [], type: TransactionType = .dynamicFee) -> Transaction {
        Transaction(type: type, chainId: l2ChainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(50_000_000_000), gasLimit: gasLimit, to: to, value: value, data: data)
            .signed(with: DevAccounts.privateKeys[account])
    }

    /// A withdrawal of `value` to `to` on L1 through the messenger.
    static func withdrawal(from account: Int, nonce: UInt64, value: U256) -> Transaction {
        let data = ABIValue.call("sendToL1(address,bytes)", [.address(DevAccounts.addresses[3]), .bytes(Array("hi".utf8))])
        return transfer(from: account, nonce: nonce, to: RollupProtocol.messengerAddress, value: value,
                        gasLimit: 300_000, data: data)
    }

    @Test("Blocks the builder makes re-execute under the L2 rules EXECUTE uses, to the same header and state")
    func blocksReexecuteUnderTheL2Rules() throws {
        let sequencer = try Self.chain()
        var sent: [[Transaction]] = []
        for round in 0..<3 {
            let batch = [Self.transfer(from: 0, nonce: UInt64(round)), Self.withdrawal(from: 1, nonce: UInt64(round), value: U256(UInt64(1_000 + round)))]
            for transaction in batch { try sequencer.node.submit(raw: transaction.networkEncoded) }
            sent.append(batch)
            try sequencer.produceSequenced(timestamp: 1_765_000_010)  // blocks may share a second
        }
        try sequencer.produceSequenced(timestamp: 1_765_000_010)  // and be empty

        let world = WorldState(accounts: Self.genesis.alloc)
        for number in 1...4 {
            let stored = try #require(sequencer.node.chain.block(number: UInt64(number)))
            let header = try L2Header(blockHeader: stored.header)
            #expect(header.kind == .sequenced && header.l1AnchorNumber == Self.anchor.number)
            try header.checkRollupFieldRules()
            let execution = try L2BlockExecution(l2ChainId: Self.l2ChainId, header: header, backend: world)
            for transaction in stored.block.transactions { try execution.apply(transaction) }
            let outcome = try execution.finish()
            try outcome.check(header)
            let pending = try world.prepare(outcome.changes.changes)
            #expect(pending.stateRoot == header.stateRoot)
            world.commit(pending)
            if number <= 3 {
                #expect(stored.block.transactions.map(\.hash) == sent[number - 1].map(\.hash))
                #expect(outcome.withdrawalIds.count == 1 && header.outboxRoot == Outbox.root(outcome.withdrawalIds))
            } else {
                #expect(header.outboxRoot == .zero && stored.block.transactions.isEmpty)
            }
            #expect(stored.header.timestamp == 1_765_000_010)
        }
    }

    @Test("Each block's certificate is the sequencer's EIP-712 signature of it")
    func certificates() throws {
        let sequencer = try Self.chain()
        let (block, certificate) = try sequencer.produceSequenced()
        #expect(certificate.blockHash == block.hash && certificate.signature.count == 65)
        let message = SequencedBlockCertificate(l2ChainId: Self.l2ChainId, l2BlockNumber: block.number, l2BlockHash: block.hash)
        #expect(try Self.identity.domain.recoverSigner(message, signature: certificate.signature) == DevAccounts.addresses[9])
        #expect(sequencer.certificates.get(block.number) == certificate)
    }

    @Test("A restart replays the log to the same chain, certificates and pending transactions")
    func replay() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-l2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("l2.sqlite").path
        let pending = Self.transfer(from: 2, nonce: 2)
        let head: Hash
        do {
            let sequencer = try Self.chain(log: try EventLog(path: path))
            for nonce in 0..<2 {
                try sequencer.node.submit(raw: Self.transfer(from: 2, nonce: UInt64(nonce)).networkEncoded)
                try sequencer.node.submit(raw: Self.withdrawal(from: 4, nonce: UInt64(nonce), value: U256(7)).networkEncoded)
                try sequencer.produceSequenced()
            }
            try sequencer.node.submit(raw: pending.networkEncoded)
            head = sequencer.node.head.hash
        }
        let reopened = try Self.chain(log: try EventLog(path: path))
        #expect(reopened.node.head.hash == head && reopened.node.head.number == 2)
        #expect(reopened.certificates.get(2)?.blockHash == head)
        #expect(reopened.node.pool.entry(hash: pending.hash) != nil)
        let (next, _) = try reopened.produceSequenced()
        #expect(next.block.transactions.map(\.hash) == [pending.hash])
    }

    @Test("A slot-end block and its handoff come in the based window; the chain waits for the handoff's L1 block")
    func slotEndAndHandoff() throws {
        let sequencer = try Self.chain()
        let l1Hash = Keccak256.hash(Array("l1 block 10".utf8))
        sequencer.observe(l1Block: 10, hash: l1Hash, timestamp: 1_000, deposits: [])
        // slotStart(11) = 1,012; the based window is 4 s.
        #expect(sequencer.slotEndDue(now: 1_007.9, slotTime: 12, basedWindow: 4) == nil)
        #expect(sequencer.slotEndDue(now: 1_012, slotTime: 12, basedWindow: 4) == nil)  // too late for 11
        #expect(sequencer.slotEndDue(now: 1_008.5, slotTime: 12, basedWindow: 4) == 11)
        let (block, handoff, signature) = try sequencer.produceSlotEnd(target: 11)
        let header = try L2Header(blockHeader: block.header)
        #expect(header.kind == .slotEnd && header.l1AnchorNumber == 10 && header.l1AnchorHash == l1Hash)
        #expect(handoff.l2BlockHash == block.hash && handoff.l1TargetBlockNumber == 11 && handoff.l1ParentHash == l1Hash)
        #expect(try Self.identity.domain.recoverSigner(handoff, signature: signature) == DevAccounts.addresses[9])
        #expect(sequencer.currentHandoff()?.signature == signature)  // deterministic: re-signing gives the same
        // Paused: no block on the slot-end block, and no second handoff for 11, until L1 block 11 is seen.
        #expect(sequencer.awaitedL1Block == 11)
        #expect(throws: SequencerPaused.self) { try sequencer.produceSequenced() }
        #expect(sequencer.slotEndDue(now: 1_009, slotTime: 12, basedWindow: 4) == nil)
        sequencer.observe(l1Block: 11, hash: Keccak256.hash(Array("l1 block 11".utf8)), timestamp: 1_012, deposits: [])
        #expect(sequencer.awaitedL1Block == nil)
        let (next, _) = try sequencer.produceSequenced()
        let nextHeader = try L2Header(blockHeader: next.header)
        #expect(next.header.parentHash == block.hash && nextHeader.kind == .sequenced && nextHeader.l1AnchorNumber == 11)
    }

    @Test("With more than MAX_DEPOSITS queued, ordinary blocks deliver them before a slot is handed off")
    func aDepositBacklogDefersTheHandoff() throws {
        let sequencer = try Self.chain()
        let deposits = (0..<(RollupProtocol.maxDeposits + 1)).map { nonce in
            DepositMessage(origin: DevAccounts.addresses[1], originNonce: U256(UInt64(nonce)), sender: DevAccounts.addresses[1],
                           to: DevAccounts.addresses[2], value: U256(1), data: [])
        }
        sequencer.observe(l1Block: 10, hash: Keccak256.hash(Array("l1 block 10".utf8)), timestamp: 1_000, deposits: deposits)
        #expect(sequencer.slotEndDue(now: 1_009, slotTime: 12, basedWindow: 4) == nil)
        let (first, _) = try sequencer.produceSequenced()
        // MAX_DEPOSITS delivered; the anchor stays before block 10, whose deposits are not all delivered yet.
        #expect(try L2Header(blockHeader: first.header).l1AnchorNumber == Self.anchor.number)
        #expect(sequencer.pendingDeposits.count == 1)
        #expect(sequencer.slotEndDue(now: 1_009, slotTime: 12, basedWindow: 4) == 11)
    }

    @Test("Blob transactions are refused before the pool; the pool is unchanged")
    func blobsRefused() throws {
        let sequencer = try Self.chain()
        var blob = Self.transfer(from: 0, nonce: 0, type: .blob)
        blob.maxFeePerBlobGas = U256(1_000_000_000)
        blob.blobVersionedHashes = [Hash(word: U256(1) << 248)]
        let signed = blob.signed(with: DevAccounts.privateKeys[0])
        #expect(throws: PoolError.self) { try sequencer.node.submit(verified: signed, raw: signed.encoded) }
        #expect(sequencer.node.pool.count == 0)
    }
}
