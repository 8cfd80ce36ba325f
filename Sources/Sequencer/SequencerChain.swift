import Chain
import EVM
import Foundation
import Node
import Primitives
import Rollup
import State
import Store

/// Who the sequencer is and what it signs for.
public struct SequencerIdentity: Sendable {
    public var key: PrivateKey
    /// The EIP-712 domain: the L1 chain id and the Rollup contract.
    public var domain: RollupDomain
    public var address: Address { key.address }

    public init(key: PrivateKey, domain: RollupDomain) {
        self.key = key
        self.domain = domain
    }
}

/// The L2's policy over a `NodeChain`: sequenced blocks with the L2's rules and certificates. (Slot-end blocks,
/// deposits and based blocks build on it: `Specs/protocol.md` §2.) Not thread-safe: the node's `ChainHost` owns it.
public final class SequencerChain {
    public let node: NodeChain
    public let identity: SequencerIdentity
    public let certificates: CertificateStore
    /// The deposits delivered so far.
    public let ledger: DepositLedger
    public var l2ChainId: UInt64 { node.config.chainId }
    /// Deposits seen on L1 and not delivered yet, in `DepositQueued` order, with the L1 block that queued each.
    public private(set) var pendingDeposits: [(l1Block: UInt64, deposit: DepositMessage)] = []
    /// Recent canonical L1 blocks seen, by number (the anchors a block may take).
    public private(set) var l1Blocks: [UInt64: Hash] = [:]

    /// Opens the L2 chain from `genesis` (or the one its log holds), replaying its blocks and their certificates.
    public init(genesis: Genesis, anchor: (number: UInt64, hash: Hash), identity: SequencerIdentity,
                log: EventLog?) throws {
        let certificates = CertificateStore()
        let ledger = DepositLedger()
        let l2ChainId = genesis.config.chainId
        self.certificates = certificates
        self.ledger = ledger
        self.identity = identity
        node = try NodeChain(genesis: genesis, log: log, coinbase: identity.address,
                             rules: L2Rules(genesisAnchorNumber: anchor.number, genesisAnchorHash: anchor.hash,
                                            certificates: certificates, deposits: ledger)) { genesis in
            genesis.config = L2BlockExecution.chainConfig(l2ChainId: l2ChainId)
        }
        try node.restorePending()
    }

    /// The head as an L2 header.
    public var head: L2Header { try! L2Header(blockHeader: node.head.header) }

    // MARK: L1

    /// Takes in a new canonical L1 block and the deposits it queued (those already delivered are skipped).
    public func observe(l1Block number: UInt64, hash: Hash, deposits: [DepositMessage]) {
        l1Blocks[number] = hash
        if l1Blocks.count > 256, let oldest = l1Blocks.keys.min() { l1Blocks[oldest] = nil }
        let l2ChainId = self.l2ChainId
        var queued = Set(pendingDeposits.map { $0.deposit.id(l2ChainId: l2ChainId) })
        for deposit in deposits {
            let id = deposit.id(l2ChainId: l2ChainId)
            guard !ledger.contains(id), queued.insert(id).inserted else { continue }
            pendingDeposits.append((number, deposit))
        }
    }

    /// Forgets L1 blocks that left the canonical chain, and the undelivered deposits they queued (a deposit
    /// re-queued on the new branch is seen again there).
    public func forget(l1Blocks removed: [UInt64]) {
        let gone = Set(removed)
        for number in removed { l1Blocks[number] = nil }
        pendingDeposits.removeAll { gone.contains($0.l1Block) }
    }

    /// The anchor of the next block: the newest L1 block seen all of whose deposits it delivers (so that a
    /// restart, which rescans L1 after the head's anchor, finds every deposit not yet delivered), never older than
    /// the parent's.
    func nextAnchor(parent: L2Header, delivering count: Int) -> (number: UInt64, hash: Hash) {
        var limit = UInt64.max
        if count < pendingDeposits.count { limit = pendingDeposits[count].l1Block &- 1 }
        let candidates = l1Blocks.filter { $0.key <= limit && $0.key >= parent.l1AnchorNumber }
        guard let newest = candidates.max(by: { $0.key < $1.key }) else {
            return (parent.l1AnchorNumber, parent.l1AnchorHash)
        }
        return (newest.key, newest.value)
    }

    // MARK: Blocks

    /// Builds, signs, logs and appends the next sequenced block: the pending deposits first (at most
    /// `MAX_DEPOSITS`, the slow path of §5.2), then pool transactions by tip, anchored at the newest L1 block seen
    /// whose deposits it has delivered, at the wall clock's second (the parent's when that is later: blocks may
    /// share a second). Durable before it is announced.
    @discardableResult
    public func produceSequenced(timestamp: UInt64? = nil) throws -> (block: ChainBlock, certificate: Certificate) {
        let parent = head
        let now = timestamp ?? UInt64(Date().timeIntervalSince1970)
        let attributes = L2Production.attributes(timestamp: max(parent.base.timestamp, now), coinbase: identity.address)
        let delivering = min(pendingDeposits.count, RollupProtocol.maxDeposits)
        let anchor = nextAnchor(parent: parent, delivering: delivering)
        let plan = L2BlockPlan(kind: .sequenced, l1AnchorNumber: anchor.number, l1AnchorHash: anchor.hash,
                               deposits: pendingDeposits.prefix(delivering).map(\.deposit))
        let (prefix, seal) = L2Production.recipe(on: node.chain, attributes: attributes, plan: plan)
        let identity = self.identity
        let l2ChainId = self.l2ChainId
        var certificate: Certificate?
        let (block, _) = try node.produce(attributes: attributes, prefix: prefix, seal: seal, payload: { built in
            let l2Block = try L2Block(built: built.block, deposits: plan.deposits)
            let signature = identity.domain.sign(
                SequencedBlockCertificate(l2ChainId: l2ChainId, l2BlockNumber: l2Block.number, l2BlockHash: l2Block.hash),
                key: identity.key)
            certificate = Certificate(blockNumber: l2Block.number, blockHash: l2Block.hash, signature: signature)
            return L2BlockEvent(block: l2Block, certificate: signature).encoded
        })
        certificates.put(certificate!)
        ledger.record(plan.deposits.map { $0.id(l2ChainId: l2ChainId) })
        pendingDeposits.removeFirst(delivering)
        return (block, certificate!)
    }
}
