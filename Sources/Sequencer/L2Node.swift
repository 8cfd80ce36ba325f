import Chain
import EthRPC
import EVM
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import RPCServer
import Rollup
import State

/// The L2 node: the sequencer's chain on its own thread behind the same `eth_*` API as the L1, blocks every
/// `blockTime`, the certificate methods, and the preconfirmation feed (`newHeads` carrying each block's kind,
/// anchor and certificate).
public final class L2Node: EthBackend {
    let host: ChainHost<SequencerChain>
    public let subscriptions = SubscriptionHub()
    public let chainId: UInt64
    public let identity: SequencerIdentity
    public let certificates: CertificateStore
    public var fork: UpstreamFork? { nil }
    /// Whether `eth_sendTransaction` signs for the development accounts (dev mode).
    public let signsForDevelopmentAccounts: Bool
    public var subscriptionTopics: Set<String> { ["handoffs"] }
    /// Whether the node derives the chain from L1 alone (`--follow`) instead of sequencing it.
    public let follower: Bool
    /// The L1's slot length and the based window (§2), for slot-end blocks; nil without an L1 to follow.
    public let slots: (slotTime: Double, basedWindow: Double)?

    /// The L1 followed (for the settlements `lockstep_getWithdrawalProof` finds); nil without `--l1-url`.
    public let l1: JSONRPCClient?

    /// Opens the chain with `make`, on the chain thread.
    public init(devMode: Bool, slots: (slotTime: Double, basedWindow: Double)? = nil, l1: JSONRPCClient? = nil,
                make: @escaping @Sendable () throws -> SequencerChain) throws {
        self.slots = slots
        self.l1 = l1
        host = try ChainHost(name: "lockstep-l2-chain", make: make)
        let facts = try host.runBlocking { ($0.l2ChainId, $0.identity, $0.certificates, $0.follower) }
        chainId = facts.0
        identity = facts.1
        certificates = facts.2
        follower = facts.3
        signsForDevelopmentAccounts = devMode
    }

    public func withNodeChain<T: Sendable>(_ body: @escaping @Sendable (NodeChain) throws -> T) async throws -> T {
        try await host.run { try body($0.node) }
    }

    /// Runs `body` on the chain thread with the sequencer's chain.
    public func withSequencer<T: Sendable>(_ body: @escaping @Sendable (SequencerChain) throws -> T) async throws -> T {
        try await host.run(body)
    }

    /// Pools the transaction (durably); the next block includes it.
    public func accept(_ transaction: Transaction, raw: [UInt8]) async throws -> Hash {
        if follower {
            throw RPCError(code: -32000, message: "this node follows the L2 from L1 and sequences nothing: send transactions to the sequencer")
        }
        return try await host.run { try $0.node.submit(verified: transaction, raw: raw) }
    }

    public func decorate(_ object: inout [String: JSONValue], block: ChainBlock) {
        guard let header = try? L2Header(blockHeader: block.header) else { return }
        object["kind"] = .string(header.kind.description)
        object["l1AnchorNumber"] = .quantity(header.l1AnchorNumber)
        object["l1AnchorHash"] = .string(header.l1AnchorHash.hexString)
        object["inboxHash"] = .string(header.inboxHash.hexString)
        object["outboxRoot"] = .string(header.outboxRoot.hexString)
        if let certificate = certificates.get(block.number), certificate.blockHash == block.hash {
            object["certificate"] = .data(certificate.signature)
        }
    }

    /// Produces the next block and announces it on the feed (after it is on disk): the slot-end block with its
    /// handoff when one is due (§2), else a sequenced block. Throws `SequencerPaused` while the chain waits for
    /// the L1 block of its handoff.
    @discardableResult
    public func produce(timestamp: UInt64? = nil) async throws -> ChainBlock {
        let slots = self.slots
        let (block, handoff) = try await host.run { chain -> (ChainBlock, (Handoff, [UInt8])?) in
            if let slots, let target = chain.slotEndDue(now: Date().timeIntervalSince1970, slotTime: slots.slotTime,
                                                        basedWindow: slots.basedWindow) {
                let made = try chain.produceSlotEnd(target: target, timestamp: timestamp)
                return (made.block, (made.handoff, made.signature))
            }
            return (try chain.produceSequenced(timestamp: timestamp).block, nil)
        }
        subscriptions.publish(block)
        if let (message, signature) = handoff { subscriptions.announce("handoffs", Self.json(message, signature)) }
        return block
    }

    /// A handoff and its signature as JSON.
    static func json(_ handoff: Handoff, _ signature: [UInt8]) -> JSONValue {
        .object([
            "l2ChainId": .quantity(handoff.l2ChainId), "l2BlockNumber": .quantity(handoff.l2BlockNumber),
            "l2BlockHash": .string(handoff.l2BlockHash.hexString), "l2StateRoot": .string(handoff.l2StateRoot.hexString),
            "l1TargetBlockNumber": .quantity(handoff.l1TargetBlockNumber),
            "l1ParentHash": .string(handoff.l1ParentHash.hexString), "signature": .data(signature),
        ])
    }

    /// Produces a block every `blockTime` seconds, on the grid of multiples of it, until cancelled. A block that
    /// takes longer than the interval delays the next; none is skipped or produced in a burst.
    public func runBlocks(blockTime: Double, log: @escaping @Sendable (String) -> Void) async {
        var lastError: String?
        await repeatOnClockGrid(every: blockTime) {
            do {
                let block = try await produce()
                lastError = nil
                if let header = try? L2Header(blockHeader: block.header), header.kind == .slotEnd {
                    log("block \(block.number): slot-end, handed off for L1 block \(header.l1AnchorNumber + 1)")
                }
                if !block.block.transactions.isEmpty {
                    log("block \(block.number): \(block.block.transactions.count) transactions, \(block.header.gasUsed) gas")
                }
            } catch is SequencerPaused {
                // Waiting for the handoff's L1 block: nothing to do until the L1 follower sees it.
            } catch {
                let message = "could not produce a block: \(error)"
                if message != lastError { log(message) }  // once per distinct failure, not every interval
                lastError = message
            }
        }
    }

    /// Follows the L1 at `client` every `interval` seconds (`syncL1`), logging what happens and each distinct
    /// failure once, until cancelled.
    public func followL1(client: JSONRPCClient, rollup: Address, interval: Double,
                         log: @escaping @Sendable (String) -> Void) async {
        let watcher = L1Watcher(client: client, addresses: [rollup])
        var lastError: String?
        await repeatOnClockGrid(every: interval) {
            do {
                try await syncL1(watcher, log: log)
                lastError = nil
            } catch {
                let message = "cannot follow the L1: \(error)"
                if message != lastError { log(message) }
                lastError = message
            }
        }
    }

    /// One round of following the L1 through `watcher` (which watches the Rollup contract): new blocks become
    /// anchors, their `DepositQueued` events pending deposits (delivered by the next blocks: the slow path), and
    /// their `BasedBlock` events based blocks, adopted when they extend the head (§2 step 4). An L1 reorg rolls the
    /// L2 back to its newest block the canonical chain still implies (§2 step 6) and rescans L1 after its anchor.
    /// The watcher starts after the head's anchor (a restart rescans what the chain has not delivered).
    public func syncL1(_ watcher: L1Watcher, log: @escaping @Sendable (String) -> Void) async throws {
        if watcher.head == nil {
            // A reorg while this node was not following (stopped, or an earlier rollback): anchors that are no
            // longer canonical are rolled back first.
            if let rollback = try await rollBackStaleAnchors(watcher) {
                log("the L1 changed under the L2's anchors: rolled the L2 back from block \(rollback.from) to " +
                    "\(rollback.to), \(rollback.returned) transaction(s) back in the pool")
            }
            let anchor = try await host.run { $0.head.l1AnchorNumber }
            // The start block's events count too (the ledger skips deposits already delivered; adoption skips
            // blocks already on the chain). A sequencer at genesis starts at the L1's head; a follower needs the
            // whole history after its anchor.
            let start: UInt64? = anchor > 0 || follower ? anchor : nil
            let events = try await offChainThread { try watcher.start(at: start) }
            if let head = watcher.head {
                try await deliver(events, in: head, log: log)
                log("following the L1 from block \(head.number)")
            }
        }
        let changes = try await offChainThread { try watcher.poll() }
        for change in changes {
            switch change {
            case .block(let head, let events):
                try await deliver(events, in: head, log: log)
            case .reorg(let removed, let ancestor):
                let numbers = removed.map(\.number)
                log("L1 reorg: blocks \(numbers.min() ?? 0)…\(numbers.max() ?? 0) left the chain; continuing from \(ancestor.number)")
                let rollback = try await host.run { try $0.forget(l1Blocks: numbers) }
                guard let rollback else { continue }
                log("rolled the L2 back from block \(rollback.from) to \(rollback.to): \(rollback.discarded) block(s) " +
                    "discarded, \(rollback.returned) transaction(s) back in the pool")
                for (hash, reason) in rollback.refused { log("transaction \(hash) not returned to the pool: \(reason)") }
                subscriptions.publish(try await withNodeChain { $0.head })
                watcher.reset()  // rescan after the new head's anchor: the deposits it no longer delivered
                return
            }
        }
    }

    /// Checks the chain's newest blocks against the L1's canonical chain: each block's anchor must be canonical,
    /// and a based block must be among the `BasedBlock` events of the L1 block after its anchor. What fails is
    /// rolled back, with everything after it (a reorg that happened while this node was not following).
    func rollBackStaleAnchors(_ watcher: L1Watcher) async throws -> SequencerChain.Rollback? {
        // Newest first: (anchor number, anchor hash, the block's hash when it is based).
        let blocks = try await host.run { chain -> [(UInt64, Hash, Hash?)] in
            var seen: [(UInt64, Hash, Hash?)] = []
            var anchors = Set<UInt64>()
            var block: ChainBlock? = chain.node.head
            while let current = block, let header = try? L2Header(blockHeader: current.header),
                  !(header.l1AnchorNumber == chain.genesisAnchor.number && header.l1AnchorHash == chain.genesisAnchor.hash) {
                anchors.insert(header.l1AnchorNumber)
                if anchors.count > SequencerChain.maxReorgDepth + 1 { break }
                seen.append((header.l1AnchorNumber, header.l1AnchorHash, header.kind == .based ? current.hash : nil))
                block = current.number == 0 ? nil : chain.node.chain.block(number: current.number - 1)
            }
            return seen
        }
        var canonical: [UInt64: L1Watcher.Head?] = [:]
        func l1Block(_ number: UInt64) async throws -> L1Watcher.Head? {
            if let known = canonical[number] { return known }
            let head = try await offChainThread { try watcher.block(number: number) }
            canonical[number] = head
            return head
        }
        var firstStale: UInt64?
        for (anchor, anchorHash, based) in blocks {
            var stale: UInt64?
            if try await l1Block(anchor)?.hash != anchorHash {
                stale = anchor
            } else if let based {
                if let carrier = try await l1Block(anchor + 1) {
                    let events = try await offChainThread { try watcher.events(in: carrier) }
                    if !events.contains(where: { $0.log.topics.first == BasedBlockEvent.topic && $0.log.topics.dropFirst().first == based }) {
                        stale = anchor + 1
                    }
                } else {
                    stale = anchor + 1
                }
            }
            guard let stale else { break }
            firstStale = stale
        }
        guard let firstStale, let newest = blocks.first?.0 else { return nil }
        return try await host.run { try $0.forget(l1Blocks: Array(firstStale...max(firstStale, newest + 1))) }
    }

    /// Hands a new canonical L1 block, the deposits and the based blocks among its `events` to the chain, and adopts
    /// what extends the head; announces adopted blocks on the feed.
    func deliver(_ events: [L1Watcher.Event], in head: L1Watcher.Head,
                 log: @escaping @Sendable (String) -> Void) async throws {
        var deposits: [DepositMessage] = []
        var based: [BasedBlockEvent] = []
        var settled: [SettledEvent] = []
        for event in events {
            switch event.log.topics.first {
            case DepositMessage.depositQueuedTopic:
                do {
                    deposits.append(try DepositMessage(depositQueued: event.log, l2ChainId: chainId))
                } catch {
                    log("L1 block \(head.number): skipping a DepositQueued log, never delivering it: \(error)")
                }
            case BasedBlockEvent.topic:
                do {
                    based.append(try BasedBlockEvent(log: event.log))
                } catch {
                    // The contract checked the submission's proofs; data that does not decode is not a block.
                    log("L1 block \(head.number): skipping a BasedBlock log: \(error)")
                }
            case SettledEvent.topic where follower:
                do {
                    settled.append(try SettledEvent(log: event.log))
                } catch {
                    log("L1 block \(head.number): skipping a Settled log: \(error)")
                }
            default:
                break
            }
        }
        let (found, accepted, ranges) = (deposits, based, settled)
        let (adopted, dropped) = try await host.run { chain in
            chain.observe(l1Block: head.number, hash: head.hash, timestamp: head.timestamp, deposits: found,
                          based: accepted, settled: ranges)
            return try chain.adoptAccepted()
        }
        if !found.isEmpty && !follower { log("L1 block \(head.number): \(found.count) deposit(s) queued") }
        for block in adopted {
            subscriptions.publish(block)
            let kind = (try? L2Header(blockHeader: block.header))?.kind ?? .sequenced
            if kind == .based || !follower {
                log("block \(block.number): \(kind), adopted from L1 block \(head.number) " +
                    "(\(block.block.transactions.count) transactions)")
            }
        }
        if follower, let last = adopted.last { log("derived L2 blocks up to \(last.number) from L1 block \(head.number)") }
        for hash in dropped { log("transaction \(hash) dropped from the pool: a based block used its nonce") }
    }

    /// Where withdrawal `id` stands (§5.5): null when no block of this chain emitted it; for a based block,
    /// verified by its submission; for a sequenced block, the settlement that covers it, with the inclusion proof
    /// `proveWithdrawal(l2BlockHash, withdrawalId, index, proof)` takes, or `settled: false` while none does.
    func withdrawalProof(_ id: Hash) async throws -> JSONValue {
        let found = try await host.run { chain -> (number: UInt64, hash: Hash, kind: L2BlockKind, anchor: UInt64)? in
            guard let number = chain.ledger.block(ofWithdrawal: id), let block = chain.node.chain.block(number: number),
                  let header = try? L2Header(blockHeader: block.header) else { return nil }
            return (number, block.hash, header.kind, header.l1AnchorNumber)
        }
        guard let found else { return .null }
        var answer: [String: JSONValue] = ["withdrawalId": .string(id.hexString), "l2BlockNumber": .quantity(found.number),
                                           "l2BlockHash": .string(found.hash.hexString), "kind": .string(found.kind.description)]
        if found.kind == .based {
            answer["settled"] = true  // verified on L1 by the submission that carried the block
            return .object(answer)
        }
        guard let l1 else {
            throw RPCError(code: -32000, message: "this node does not follow an L1 (--l1-url): it cannot find the settlement")
        }
        let filter: JSONValue = .object(["address": .string(identity.domain.rollup.hexString),
                                         "topics": .array([.string(SettledEvent.topic.hexString)]),
                                         "fromBlock": .quantity(found.anchor + 1), "toBlock": "latest"])
        let logs = try await offChainThread { try l1.call("eth_getLogs", [filter]) }
        for entry in logs.arrayValue ?? [] {
            guard let topics = try? (entry["topics"]?.arrayValue ?? []).map({ try Hash(hex: $0.stringValue ?? "") }),
                  let data = entry["data"]?.dataValue,
                  let range = try? SettledEvent(log: Log(address: identity.domain.rollup, topics: topics, data: data)),
                  let first = range.blocks.first?.number, first <= found.number, found.number <= range.blockNumber else {
                continue
            }
            let leaves = try await host.run { chain in
                range.blocks.flatMap { chain.ledger.withdrawals(inBlock: $0.number) }
            }
            guard let index = leaves.firstIndex(of: id), Outbox.root(leaves) == range.outboxRoot else {
                throw RPCError(code: -32000, message: "the settlement of L2 blocks \(first)…\(range.blockNumber) does not " +
                               "hold withdrawal \(id) as this node computes the outbox")
            }
            answer["settled"] = true
            answer["rangeEndHash"] = .string(range.blockHash.hexString)
            answer["outboxRoot"] = .string(range.outboxRoot.hexString)
            answer["index"] = .quantity(UInt64(index))
            answer["proof"] = .array(Outbox.proof(leaves, index: index).map { .string($0.hexString) })
            answer["l1BlockNumber"] = entry["blockNumber"] ?? .null
            return .object(answer)
        }
        answer["settled"] = false
        return .object(answer)
    }

    /// Forgets a closed connection's subscriptions.
    public func disconnected(_ connection: RPCConnection) { subscriptions.disconnected(connection: connection.id) }

    public func stop() { host.stop() }

    /// The head block number and the pool's size.
    public func status() async throws -> (head: UInt64, pending: Int) {
        try await host.run { ($0.node.head.number, $0.node.pool.count) }
    }

    /// Every method the L2 answers: the `eth_*` API and the `lockstep_*` L2 methods.
    public func methods() -> RPCMethods {
        var methods = RPCMethods()
        EthAPI.register(self, into: &methods)
        methods.register("lockstep_getCertificate") { [self] call in
            let tag = try BlockTag.parse(try call.params.required(0, "block"))
            let block = try await chain { node in node.block(tag) }
            guard let block else { return .null }
            guard let certificate = certificates.get(block.number), certificate.blockHash == block.hash else { return .null }
            return .object([
                "blockNumber": .quantity(block.number), "blockHash": .string(block.hash.hexString),
                "l2ChainId": .quantity(chainId), "signature": .data(certificate.signature),
                "sequencer": .string(identity.address.hexString),
                "domain": .object(["name": "Lockstep", "version": "1", "chainId": .quantity(identity.domain.l1ChainId),
                                   "verifyingContract": .string(identity.domain.rollup.hexString)]),
            ])
        }
        methods.register("lockstep_getHandoff") { [self] _ in
            if follower { return .null }
            // The handoff of the current slot-end block (or the last one signed); null before any.
            guard let (handoff, signature) = try await host.run({ $0.currentHandoff() }) else { return .null }
            return Self.json(handoff, signature)
        }
        methods.register("lockstep_getWithdrawalProof") { [self] call in
            let text = try call.params.required(0, "withdrawalId").stringValue ?? ""
            guard let id = try? Hash(hex: text) else {
                throw RPCError(code: -32602, message: "invalid withdrawalId: expected 32 bytes of hex, got \(text)")
            }
            return try await withdrawalProof(id)
        }
        methods.register("lockstep_l2Status") { [self] _ in
            let (head, pending, anchorNumber, anchorHash) = try await host.run { chain in
                (chain.node.head, chain.node.pool.count, chain.head.l1AnchorNumber, chain.head.l1AnchorHash)
            }
            return .object([
                "chainId": .quantity(chainId), "sequencer": .string(identity.address.hexString),
                "head": .object(["number": .quantity(head.number), "hash": .string(head.hash.hexString),
                                 "stateRoot": .string(head.header.stateRoot.hexString),
                                 "timestamp": .quantity(head.header.timestamp)]),
                "pending": .quantity(UInt64(pending)),
                "l1Anchor": .object(["number": .quantity(anchorNumber), "hash": .string(anchorHash.hexString)]),
                "rollup": .string(identity.domain.rollup.hexString), "l1ChainId": .quantity(identity.domain.l1ChainId),
            ])
        }
        return methods
    }
}
