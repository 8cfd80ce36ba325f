import Chain
import EVM
import Foundation
import Node
import Primitives
import RPCServer
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
    /// The newest L1 block seen: its number and timestamp (the slot clock).
    public private(set) var l1Head: (number: UInt64, timestamp: UInt64)?
    /// The based blocks recent canonical L1 blocks accepted (`BasedBlock` events, in log order), by L1 block.
    public private(set) var acceptedBased: [UInt64: [BasedBlockEvent]] = [:]
    /// Why the chain stopped making blocks (an accepted based block that does not re-execute here, a reorg too
    /// deep to follow): derivation from L1 wins, so the sequencer stops rather than build a conflicting chain.
    public private(set) var halted: String?
    /// How many based blocks this chain has adopted since it was opened (the harness's health line).
    public private(set) var basedAdopted = 0

    /// A follower derives the chain from L1 alone (§10): it applies `Settled` ranges and adopts based blocks, and
    /// makes no block of its own.
    public let follower: Bool
    /// Settled ranges seen on L1 and not applied yet (a follower's), by the hash of the block they continue.
    public private(set) var pendingSettled: [Hash: (l1Block: UInt64, range: SettledEvent)] = [:]
    /// The genesis block's anchor (never checked against L1: it may predate the L1 followed).
    public let genesisAnchor: (number: UInt64, hash: Hash)

    /// Opens the L2 chain from `genesis` (or the one its log holds), replaying its blocks and their certificates.
    public init(genesis: Genesis, anchor: (number: UInt64, hash: Hash), identity: SequencerIdentity,
                log: EventLog?, follower: Bool = false) throws {
        self.follower = follower
        genesisAnchor = anchor
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

    /// Takes in a new canonical L1 block, the deposits it queued (those already delivered are skipped) and the
    /// based blocks it accepted (adopted by `adoptAccepted`).
    public func observe(l1Block number: UInt64, hash: Hash, timestamp: UInt64 = 0, deposits: [DepositMessage],
                        based: [BasedBlockEvent] = [], settled: [SettledEvent] = []) {
        if follower {
            for range in settled where range.blockNumber > node.head.number { pendingSettled[range.parentHash] = (number, range) }
        }
        l1Blocks[number] = hash
        if number >= (l1Head?.number ?? 0) { l1Head = (number, timestamp) }
        if l1Blocks.count > 256, let oldest = l1Blocks.keys.min() { l1Blocks[oldest] = nil }
        acceptedBased[number] = based.isEmpty ? nil : based
        let horizon = head.l1AnchorNumber
        acceptedBased = acceptedBased.filter { $0.key > horizon || $0.key + 256 > number }
        let l2ChainId = self.l2ChainId
        var queued = Set(pendingDeposits.map { $0.deposit.id(l2ChainId: l2ChainId) })
        for deposit in deposits where !follower {
            let id = deposit.id(l2ChainId: l2ChainId)
            guard !ledger.contains(id), queued.insert(id).inserted else { continue }
            pendingDeposits.append((number, deposit))
        }
    }

    /// Forgets L1 blocks that left the canonical chain (§2 step 6), the undelivered deposits they queued and the
    /// based blocks they accepted, and rolls the L2 back to its newest block still implied by the canonical L1
    /// chain: a block anchored at a removed L1 block, or a based block that a removed L1 block accepted, goes, with
    /// every block after it. The discarded blocks' transactions return to the pool; the deposits they delivered are
    /// pending again once the follower rescans L1 after the new head's anchor (which it must then do: the result
    /// says so).
    /// - Returns: what was rolled back; nil when no L2 block depended on the removed blocks.
    /// - Throws: when the reorg is deeper than `maxReorgDepth` (the chain then halts) or the log cannot be rewound.
    public func forget(l1Blocks removed: [UInt64]) throws -> Rollback? {
        let gone = Set(removed)
        for number in removed {
            l1Blocks[number] = nil
            acceptedBased[number] = nil
        }
        if let head = l1Head, gone.contains(head.number) {
            l1Head = l1Blocks.keys.max().map { ($0, 0) }  // the ancestor; its timestamp comes with the next block
        }
        pendingDeposits.removeAll { gone.contains($0.l1Block) }
        pendingSettled = pendingSettled.filter { !gone.contains($0.value.l1Block) }
        guard let first = removed.min() else { return nil }
        if removed.count > Self.maxReorgDepth {
            halted = "the L1 reorganised \(removed.count) blocks deep (from block \(first)), deeper than the " +
                "\(Self.maxReorgDepth) this node follows: restart it from a fresh data directory to re-derive the L2"
            throw NodeError(halted!)
        }
        // The newest block still implied by the canonical chain: anchors are non-decreasing, so walk back.
        var keep = node.head
        while keep.number > 0, let header = try? L2Header(blockHeader: keep.header),
              header.l1AnchorNumber >= first || (header.kind == .based && header.l1AnchorNumber + 1 >= first),
              let parent = node.chain.block(number: keep.number - 1) {
            keep = parent
        }
        guard keep.number < node.head.number else { return nil }
        let from = node.head.number
        ledger.reset()  // refilled by the replay of the blocks kept
        let (discarded, refused) = try node.rewind(toBlock: keep.number)
        certificates.truncate(after: keep.number)
        pendingDeposits = []
        halted = nil
        return Rollback(from: from, to: keep.number, discarded: discarded.count,
                        returned: discarded.reduce(0) { $0 + $1.block.transactions.count } - refused.count,
                        refused: refused)
    }

    /// How many L1 blocks deep a reorg is followed (§2 step 6).
    public static let maxReorgDepth = 64

    /// An L2 rollback after an L1 reorg.
    public struct Rollback: Sendable {
        /// The head before and after.
        public var from: UInt64
        public var to: UInt64
        public var discarded: Int
        /// Transactions of the discarded blocks back in the pool, and those it refused (with why).
        public var returned: Int
        public var refused: [(hash: Hash, reason: String)]
    }

    // MARK: Adoption of based blocks

    /// Adopts the based blocks L1 accepted on the head (§2 step 4): while the head is a slot-end or based block
    /// anchored at `N − 1` and L1 block `N` accepted a based block whose parent is the head, that block is rebuilt
    /// from its data here, checked to hash the same, logged and appended. Its transactions leave the pool, its
    /// deposits count as delivered.
    /// - Returns: the blocks adopted, oldest first, and the pool transactions they made stale.
    /// - Throws: when an accepted block does not re-execute to itself; the chain then halts (nothing is built on a
    ///   head that L1 has already extended).
    @discardableResult
    public func adoptAccepted() throws -> (adopted: [ChainBlock], dropped: [Hash]) {
        var adopted: [ChainBlock] = []
        var dropped: [Hash] = []
        while let range = pendingSettled.removeValue(forKey: node.head.hash)?.range {
            for block in range.blocks {
                let built: (built: BuiltBlock, withdrawalIds: [Hash])
                do {
                    built = try node.reading("re-executing settled block \(block.number)") {
                        try L2Production.rebuild(block, on: node.chain)
                    }
                } catch {
                    halted = "L2 block \(block.number) (\(block.hash)) that L1 settled does not re-execute here: \(error)"
                    throw NodeError(halted!)
                }
                let (made, _) = try node.adopt(built.built, payload: L2BlockEvent(block: block, certificate: nil).encoded)
                ledger.record(block: made.number, deposits: block.deposits, l2ChainId: l2ChainId)
                ledger.record(block: made.number, withdrawals: built.withdrawalIds)
                adopted.append(made)
            }
            adopted += try adoptBased(dropped: &dropped)
        }
        adopted += try adoptBased(dropped: &dropped)
        return (adopted, dropped)
    }

    /// Adopts the accepted based blocks that extend the head, one after another.
    func adoptBased(dropped: inout [Hash]) throws -> [ChainBlock] {
        var adopted: [ChainBlock] = []
        while let event = nextAccepted() {
            let built: (built: BuiltBlock, withdrawalIds: [Hash])
            do {
                built = try node.reading("re-executing based block \(event.blockNumber)") {
                    try L2Production.rebuild(event.block, on: node.chain)
                }
            } catch {
                halted = "L1 block \(head.l1AnchorNumber + 1) accepted based block \(event.blockNumber) " +
                    "(\(event.blockHash)) on this chain, and it does not re-execute here: \(error)"
                throw NodeError(halted!)
            }
            let (block, stale) = try node.adopt(built.built, payload: L2BlockEvent(block: event.block, certificate: nil).encoded)
            ledger.record(block: block.number, withdrawals: built.withdrawalIds)
            let ids = Set(event.block.depositIds(l2ChainId: l2ChainId))
            ledger.record(block: block.number, deposits: event.block.deposits, l2ChainId: l2ChainId)
            pendingDeposits.removeAll { ids.contains($0.deposit.id(l2ChainId: l2ChainId)) }
            adopted.append(block)
            basedAdopted += 1
            dropped += stale
        }
        return adopted
    }

    /// The accepted based block whose parent is the head, if the head is a slot-end or based block.
    func nextAccepted() -> BasedBlockEvent? {
        let head = self.head
        guard head.kind == .slotEnd || head.kind == .based else { return nil }
        return acceptedBased[head.l1AnchorNumber + 1]?.first { $0.parentHash == head.hash }
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

    // MARK: Slots

    /// The L1 block the head waits for: set while the head is a slot-end block (its anchor is `N − 1`) and L1 block
    /// `N` has not been seen (§2 steps 2 and 5: no block on `S` until `N` is known, however long that takes).
    public var awaitedL1Block: UInt64? {
        let head = self.head
        guard head.kind == .slotEnd else { return nil }
        let target = head.l1AnchorNumber + 1
        return (l1Head?.number ?? 0) >= target ? nil : target
    }

    /// The L1 block whose slot-end block is due at `now`: L1 block `N = head + 1` once `now` is within
    /// [`slotStart(N) − basedWindow`, `slotStart(N)`), when no slot-end block for it exists yet.
    public func slotEndDue(now: Double, slotTime: Double, basedWindow: Double) -> UInt64? {
        guard halted == nil, !follower, let l1 = l1Head, l1.timestamp > 0, l1Blocks[l1.number] != nil, awaitedL1Block == nil,
              nextAccepted() == nil else { return nil }
        let target = l1.number + 1
        let slotStart = Double(l1.timestamp) + slotTime
        guard now >= slotStart - basedWindow, now < slotStart else { return nil }
        let head = self.head
        if head.kind == .slotEnd && head.l1AnchorNumber + 1 >= target { return nil }  // already handed off
        // A slot-end block anchored at `target − 1` must deliver every deposit queued up to it (the anchor rule of
        // §5.2); with more than MAX_DEPOSITS of them, ordinary blocks deliver first and this slot is not handed off.
        if pendingDeposits.prefix(while: { $0.l1Block < target }).count > RollupProtocol.maxDeposits { return nil }
        return target
    }

    /// Produces the slot-end block for L1 block `target` (anchored at `target − 1`, delivering what the anchor
    /// implies) and signs its handoff (§3.3). The chain then waits for L1 block `target`.
    public func produceSlotEnd(target: UInt64, timestamp: UInt64? = nil) throws -> (block: ChainBlock, handoff: Handoff, signature: [UInt8]) {
        if let halted { throw NodeError("the sequencer has stopped: \(halted)") }
        if follower { throw NodeError("a follower makes no blocks: it derives the chain from L1") }
        guard target > 0, let l1Parent = l1Blocks[target - 1] else {
            throw NodeError("cannot hand off for L1 block \(target): its parent is not known")
        }
        let (block, _) = try produce(kind: .slotEnd, anchor: (target - 1, l1Parent), timestamp: timestamp)
        let handoff = Handoff(l2ChainId: l2ChainId, l2BlockNumber: block.number, l2BlockHash: block.hash,
                              l2StateRoot: block.header.stateRoot, l1TargetBlockNumber: target, l1ParentHash: l1Parent)
        let signature = identity.domain.sign(handoff, key: identity.key)
        latestHandoff = (handoff, signature)
        return (block, handoff, signature)
    }

    /// The last handoff signed (since start; after a restart, re-signed from a slot-end head: the same message, so
    /// the same deterministic signature).
    public private(set) var latestHandoff: (handoff: Handoff, signature: [UInt8])?

    /// The handoff of the head when it is a slot-end block.
    public func currentHandoff() -> (handoff: Handoff, signature: [UInt8])? {
        let head = self.head
        guard head.kind == .slotEnd else { return latestHandoff }
        let handoff = Handoff(l2ChainId: l2ChainId, l2BlockNumber: head.number, l2BlockHash: head.hash,
                              l2StateRoot: head.stateRoot, l1TargetBlockNumber: head.l1AnchorNumber + 1,
                              l1ParentHash: head.l1AnchorHash)
        return (handoff, identity.domain.sign(handoff, key: identity.key))
    }

    // MARK: Blocks

    /// Builds, signs, logs and appends the next sequenced block: the pending deposits first (at most
    /// `MAX_DEPOSITS`, the slow path of §5.2), then pool transactions by tip, anchored at the newest L1 block seen
    /// whose deposits it has delivered, at the wall clock's second (the parent's when that is later: blocks may
    /// share a second). Durable before it is announced.
    @discardableResult
    public func produceSequenced(timestamp: UInt64? = nil) throws -> (block: ChainBlock, certificate: Certificate) {
        if follower { throw NodeError("a follower makes no blocks: it derives the chain from L1") }
        if let halted { throw NodeError("the sequencer has stopped: \(halted)") }
        if let awaited = awaitedL1Block { throw SequencerPaused(l1Block: awaited) }
        if let accepted = nextAccepted() {
            throw NodeError("L1 accepted based block \(accepted.blockNumber) on the head: it is adopted before any block is made")
        }
        return try produce(kind: .sequenced, anchor: nil, timestamp: timestamp)
    }

    /// Builds, signs, logs and appends a block of `kind` on `anchor` (nil: the anchor rule of §5.2).
    func produce(kind: L2BlockKind, anchor fixed: (number: UInt64, hash: Hash)?, timestamp: UInt64?) throws
        -> (block: ChainBlock, certificate: Certificate) {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { StageMetrics.shared.observe("l2:block", seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9) }
        let parent = head
        let now = timestamp ?? UInt64(Date().timeIntervalSince1970)
        let attributes = L2Production.attributes(timestamp: max(parent.base.timestamp, now), coinbase: identity.address)
        var delivering = min(pendingDeposits.count, RollupProtocol.maxDeposits)
        if let fixed {
            // Only deposits queued at or before the fixed anchor.
            delivering = min(delivering, pendingDeposits.prefix { $0.l1Block <= fixed.number }.count)
        }
        let anchor = fixed ?? nextAnchor(parent: parent, delivering: delivering)
        let plan = L2BlockPlan(kind: kind, l1AnchorNumber: anchor.number, l1AnchorHash: anchor.hash,
                               deposits: pendingDeposits.prefix(delivering).map(\.deposit))
        let (prefix, seal, relayed) = L2Production.recording(on: node.chain, attributes: attributes, plan: plan)
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
        ledger.record(block: block.number, deposits: plan.deposits, l2ChainId: l2ChainId)
        ledger.record(block: block.number, withdrawals: relayed.outbox)
        pendingDeposits.removeFirst(delivering)
        return (block, certificate!)
    }
}

/// The sequencer is waiting for L1 block `l1Block` after a handoff (§2 step 2): no block is made until it appears.
public struct SequencerPaused: Error, Sendable, CustomStringConvertible {
    public let l1Block: UInt64
    public var description: String { "paused after the slot-end block until L1 block \(l1Block) is known" }
}
