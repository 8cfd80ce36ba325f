import Chain
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import RPCServer
import Rollup
import Synchronization

/// The builder's block for each handoff (`Specs/builder-api.md`, "Merging"): the bundles waiting for its L1 block
/// are simulated one by one (each `simulated` with its value, or `rejected` with the layer and reason), ordered by
/// value, and merged greedily, each candidate re-simulated on top of those already merged (the concatenation of
/// their legs as one bundle) and kept only if the whole still succeeds and is worth more; the rest are not landed.
/// The merged L1 bundle `[l1Before…, submitBased, l1After…]` goes to the L1 as one `eth_sendBundle` for block `N`
/// unless it is too late (the lateness cutoff of `protocol.md` §2 step 3), and when block `N` appears the merged
/// bundles are `landed` or `notLanded`. Not thread-safe (hence unchecked): one task steps it.
public final class Auction: @unchecked Sendable {
    let service: BuilderService
    let simulation: BundleSimulation
    /// Every L1 endpoint the merged bundle goes to (all at once; one that fails does not stop the others).
    let submit: [JSONRPCClient]
    /// Signs `X-Flashbots-Signature` on the bundles sent.
    let builderKey: PrivateKey
    /// Seconds reserved for proving, and for the bundle to reach the L1 block builder, before the slot starts.
    public var proofBudget: Double = 1.5
    public var relaySlack: Double = 0.5
    /// The bytes of `l2` transactions one based block takes: MAX_BLOCK_DATA less room for the header, the
    /// deposits and the encoding.
    static let blockDataBudget = RollupProtocol.maxBlockData - 16_384
    /// The bytes of witness one based block's EXECUTE proof takes by the auction's estimate: MAX_PROOF_DATA less
    /// room for the parent header and a sixteenth for what a draft's reads do not show.
    static let proofDataBudget = RollupProtocol.maxProofData * 15 / 16 - 1_024

    /// The percentage of a merged block's value bid to the L1 proposer (the submission's priority fee).
    public var bidPercent = 50
    let slotTime: Double
    /// The L1 block of the last handoff auctioned.
    private var auctioned: UInt64 = 0
    /// What was sent and not yet seen landed or not: the target block, the submission's hash, the merged bundles.
    private var sent: [(block: UInt64, submission: Hash, bundles: [Hash])] = []
    /// Landed submissions of the last `reorgWatch` blocks, with the hash of the block that held them: a reorg that
    /// replaces the block is noticed and the bundles re-judged.
    private var landedRecently: [(block: UInt64, blockHash: Hash, submission: Hash, bundles: [Hash])] = []
    static let reorgWatch: UInt64 = 16
    /// When the last merged bundle was sent (the uptime clock's nanoseconds): the end of the auction's critical path,
    /// before the book records the other bundles' outcomes.
    public private(set) var lastSentAt: UInt64?

    public init(service: BuilderService, simulation: BundleSimulation, submit: [JSONRPCClient], builderKey: PrivateKey,
                slotTime: Double) {
        self.service = service
        self.simulation = simulation
        self.submit = submit
        self.builderKey = builderKey
        self.slotTime = slotTime
    }

    var book: BundleBook { service.book }

    /// One round: settles what was sent once its block exists, then auctions a new handoff, or, while the next
    /// L1 block's handoff has not come, drafts its bundles early (`prepare`). Returns lines to log.
    public func step() async throws -> [String] {
        var lines = try await checkLanded()
        let current = try await simulation.currentHandoff()
        if let current, current.handoff.l1TargetBlockNumber == auctioned {
            // The auction of this handoff has run: a bundle for its block that came after it cannot make it.
            let late = book.active().filter { $0.targetBlock == auctioned && $0.status == .received }
            try await book.update(late.map {
                .init(hash: $0.hash, status: .notLanded,
                      reason: "arrived after the auction for L1 block \(auctioned) (one auction per handoff)")
            })
        }
        if let head = service.l1Head, head + 1 > auctioned, current?.handoff.l1TargetBlockNumber != head + 1 {
            return lines + (try await prepare())
        }
        guard let handoff = current else { return lines }
        let target = handoff.handoff.l1TargetBlockNumber
        guard target > auctioned, let head = service.l1Head, target == head + 1 else { return lines }
        // The auction runs once per handoff, at the first round that has bundles for it: a bundle sent just after
        // the handoff still makes it while the cutoff allows.
        let waiting = book.active().filter { $0.targetBlock == target }
        guard !waiting.isEmpty else { return lines }
        auctioned = target
        if let line = try await auction(target: target, records: waiting, handoff: handoff) { lines.append(line) }
        return lines
    }

    /// Before the handoff of the next L1 block `N` (the L1 head is `N − 1`): drafts the bundles waiting for `N` that
    /// are not drafted yet, on the L1 head and the L2's latest block (`BundleSimulation.draftEarly`), so that the
    /// auction at the handoff re-drafts only those the L2 blocks in between changed. Nothing is written to the book:
    /// a bundle's status is decided at the handoff. Returns lines to log.
    public func prepare() async throws -> [String] {
        guard let head = service.l1Head, head + 1 > auctioned else { return [] }
        let target = head + 1
        let waiting = book.active().filter { $0.targetBlock == target && $0.status == .received }
        guard !waiting.isEmpty else { return [] }
        let parsed = try await parse(waiting)
        let started = DispatchTime.now().uptimeNanoseconds
        let (drafted, block, forked) = try await simulation.draftEarly(parsed.map { ($0.record.hash, $0.bundle) },
                                                                       target: target, l2ChainId: service.l2ChainId)
        guard drafted > 0 else { return [] }
        lastPrepared = (target, drafted, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        StageMetrics.shared.observe("builder:early-drafts", seconds: lastPrepared!.milliseconds / 1_000)
        // One line per L1 block (bundles keep arriving all slot long; the auction's line counts the early drafts).
        guard forked else { return [] }
        return ["L1 block \(target): drafting its bundles early, on L2 block \(block) (\(drafted) in " +
                "\(Int(lastPrepared!.milliseconds)) ms so far)"]
    }

    /// The last early drafting: its L1 block, the bundles drafted and how long it took.
    public private(set) var lastPrepared: (target: UInt64, drafted: Int, milliseconds: Double)?

    /// `records` with their bundles (parsed at intake, or again from the stored request); one that no longer parses
    /// is rejected.
    func parse(_ records: [BundleRecord]) async throws -> [(record: BundleRecord, bundle: CrossLayerBundle)] {
        var parsed: [(record: BundleRecord, bundle: CrossLayerBundle)] = []
        for record in records {
            do {
                parsed.append((record, try book.parsedBundle(record.hash)
                    ?? CrossLayerBundle.parse(record.params.objectValue ?? [:], l1ChainId: service.l1ChainId,
                                              l2ChainId: service.l2ChainId)))
            } catch {
                try await book.update(record.hash, status: .rejected, reason: "no longer parses: \(error)")
            }
        }
        return parsed
    }

    func auction(target: UInt64, records: [BundleRecord], handoff: SignedHandoff) async throws -> String? {
        // The lateness cutoff (§2 step 3): no proving when it cannot finish before slotStart(N) − relaySlack.
        let slotStart = try await l1Timestamp(target - 1) + slotTime
        if Date().timeIntervalSince1970 + proofBudget > slotStart - relaySlack {
            for record in records {
                try await book.update(record.hash, status: .notLanded, reason: "the handoff for L1 block \(target) came too late to prove")
            }
            return "L1 block \(target): the handoff came too late to prove \(records.count) bundle(s)"
        }
        // Each alone, as drafts (l1Before and the based block's transactions: no proofs yet), in one trip; those
        // drafted early that still hold are not drafted again.
        let parsed = try await parse(records)
        let started = DispatchTime.now().uptimeNanoseconds
        func milliseconds() -> Int { Int((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000) }
        let (drafts, early) = try await simulation.auctionDrafts(parsed.map { ($0.record.hash, $0.bundle) }, target: target,
                                                                 on: handoff)
        let draftsDone = milliseconds()
        var fullSimulations = 0
        var candidates: [(record: BundleRecord, bundle: CrossLayerBundle, value: U256, deposits: Int,
                          reads: JointSimulation.WitnessReads)] = []
        var updates: [BundleBook.StatusUpdate] = []
        for (entry, result) in zip(parsed, drafts) {
            if let failure = result.failure {
                updates.append(.init(hash: entry.record.hash, status: .rejected,
                                     reason: "\(failure.layer)\(failure.hash.map { " transaction \($0)" } ?? ""): \(failure.reason)"))
            } else {
                updates.append(.init(hash: entry.record.hash, status: .simulated, value: result.value))
                candidates.append((entry.record, entry.bundle, result.value, result.deposits.count, result.l2Reads))
            }
        }
        // Merge them all, by value (the earlier received on a tie), into one based block: a transaction that fails
        // takes its bundle out (a conflict with a more valuable bundle), then the rest is tried again; once the draft
        // passes, the full simulation (proofs, submitBased, l1After) decides, and a bundle that fails there is taken
        // out the same way.
        // (An order of indices, then the candidates in it: sorting the candidates themselves moved their large tuples
        // about, some milliseconds for a thousand.)
        let keys = candidates.map { (value: $0.value, receivedAt: $0.record.receivedAt) }
        let order = keys.indices.sorted { a, b in
            keys[a].value > keys[b].value || (keys[a].value == keys[b].value && keys[a].receivedAt < keys[b].receivedAt)
        }
        candidates = order.map { candidates[$0] }
        // What fits one based block (Specs/protocol.md §6): MAX_DEPOSITS deposits and the block data within
        // MAX_BLOCK_DATA (the transactions' bytes, with room for the header and the deposits); the rest waits no
        // longer than this slot.
        var merged: [(record: BundleRecord, bundle: CrossLayerBundle)] = []
        var reads: [JointSimulation.WitnessReads] = []
        var (deposits, bytes) = (0, 0)
        for candidate in candidates {
            let size = candidate.bundle.l2Bytes + 8 * candidate.bundle.l2.count
            if deposits + candidate.deposits > RollupProtocol.maxDeposits || bytes + size > Self.blockDataBudget {
                updates.append(.init(hash: candidate.record.hash, status: .notLanded,
                                     reason: "no room in the block for L1 block \(target): more valuable bundles filled it"))
                continue
            }
            deposits += candidate.deposits
            bytes += size
            merged.append((candidate.record, candidate.bundle))
            reads.append(candidate.reads)
        }
        // And MAX_PROOF_DATA: the EXECUTE proof carries the block's witness, which grows with every account the
        // bundles touch. The drafts' reads and the fork's proofs estimate it, with room for the parent header and
        // what the estimate cannot see; the full simulation measures it exactly.
        let fitting = try await simulation.fittingProofBudget(reads, target: target, budget: Self.proofDataBudget)
        if fitting < merged.count {
            for candidate in merged[fitting...] {
                updates.append(.init(hash: candidate.record.hash, status: .notLanded,
                                     reason: "no room in the block for L1 block \(target): its execute proof would exceed MAX_PROOF_DATA"))
            }
            merged.removeSubrange(fitting...)
        }
        // `updates` is written once the block is sent (or the auction ends without one): the statuses of the
        // bundles left out are not on the way to the L1. A crash before then leaves them `received`, and they are
        // marked `notLanded` when block N passes.
        let values = Dictionary(candidates.map { ($0.record.hash, $0.value) }, uniquingKeysWith: { first, _ in first })
        func writeOutcomes(except finalists: [(record: BundleRecord, bundle: CrossLayerBundle)], with final: [BundleBook.StatusUpdate]) async throws {
            let chosen = Set(finalists.map(\.record.hash))
            try await book.update(updates.filter { !chosen.contains($0.hash) } + final)
        }
        var best: JointSimulation?
        while !merged.isEmpty {
            let whole = Self.concatenate(merged.map(\.bundle), target: target)
            let result = try await simulation.simulate(whole, on: handoff, proofsAhead: fullSimulations == 0 ? Array(reads.prefix(merged.count)) : [])
            fullSimulations += 1
            guard let failure = result.failure else {
                best = result
                break
            }
            let why = "\(failure.layer)\(failure.hash.map { " transaction \($0)" } ?? ""): \(failure.reason)"
            if let hash = failure.hash,
               let culprit = merged.firstIndex(where: { ($0.bundle.l1Before + $0.bundle.l2 + $0.bundle.l1After).contains { $0.hash == hash } }) {
                updates.append(.init(hash: merged[culprit].record.hash, status: .notLanded,
                                     reason: "not merged into the block for L1 block \(target): \(why)"))
                merged.remove(at: culprit)
            } else if failure.layer == "l1Before" || failure.layer == "l2" {
                // A limit of the whole block (deposits, gas): the least valuable bundle makes room.
                let last = merged.removeLast()
                updates.append(.init(hash: last.record.hash, status: .notLanded,
                                     reason: "not merged into the block for L1 block \(target): \(why)"))
            } else if merged.count > 1 {
                // Proofs or the submission, which no single bundle explains (a witness over MAX_PROOF_DATA, say):
                // the less valuable half makes room.
                updates += merged[(merged.count / 2)...].map {
                    .init(hash: $0.record.hash, status: .notLanded, reason: "no room in the block for L1 block \(target): \(why)")
                }
                merged.removeSubrange((merged.count / 2)...)
            } else {
                updates.append(.init(hash: merged[0].record.hash, status: .notLanded,
                                     reason: "the block for L1 block \(target) failed: \(why)"))
                try await writeOutcomes(except: [], with: [])
                return "L1 block \(target): the block failed: \(why)"
            }
        }
        guard let best, let simulated = best.submissionTransaction, !merged.isEmpty else {
            try await writeOutcomes(except: [], with: [])
            return nil
        }
        // The bid: a share of the block's value paid to the L1 proposer through the submission's priority fee, so that
        // an L1 builder ranking bundles by what they pay it takes the most valuable based block of competing builders.
        let submission = Self.bidding(simulated, bid: best.value / U256(100) &* U256(UInt64(bidPercent)),
                                      gasUsed: best.submission?.gasUsed ?? simulated.gasLimit, key: builderKey)
        try await book.update(merged.map {
            .init(hash: $0.record.hash, status: .selected, reason: "selected for L1 block \(target)", value: values[$0.record.hash])
        })

        // No bundle after slotStart(N) − relaySlack.
        guard Date().timeIntervalSince1970 <= slotStart - relaySlack else {
            try await writeOutcomes(except: merged, with: merged.map {
                .init(hash: $0.record.hash, status: .notLanded, reason: "too late for L1 block \(target): held past the cutoff")
            })
            return "L1 block \(target): \(merged.count) bundle(s) merged too late to send"
        }
        let transactions = merged.flatMap(\.bundle.l1Before) + [submission] + merged.flatMap(\.bundle.l1After)
        let reverting = merged.flatMap { $0.bundle.revertingTxHashes }
        let request: JSONValue = .object([
            "txs": .array(transactions.map { .data($0.networkEncoded) }), "blockNumber": .quantity(target),
            "revertingTxHashes": .array(reverting.map { .string($0.hexString) }),
        ])
        let (clients, key, raw) = (submit, builderKey, service.rawSubmission)
        // An endpoint that hangs is given up before slotStart(N) (an answer after it is too late to matter), so that
        // its failure is reported before block N is.
        let window = max(50, Int((slotStart - relaySlack / 2 - Date().timeIntervalSince1970) * 1_000))
        let outcomes = try await offChainThread { () -> [String?] in
            let results = Mutex<[Int: String?]>([:])
            DispatchQueue.concurrentPerform(iterations: clients.count) { index in
                var failure: String?
                do {
                    if raw {
                        // No L1 legs (refused at intake): the submission alone, into the L1's pool.
                        let answer = try clients[index].call("eth_sendRawTransaction", [.data(submission.networkEncoded)],
                                                             deadlineMilliseconds: min(clients[index].timeoutMilliseconds, window),
                                                             idempotent: false)
                        if answer.stringValue?.lowercased() != submission.hash.hexString {
                            failure = "\(clients[index].url): answered \(Self.excerpt(answer)), not the submission's hash"
                        }
                    } else {
                        let answer = try clients[index].call("eth_sendBundle", [request],
                                                             deadlineMilliseconds: min(clients[index].timeoutMilliseconds, window),
                                                             idempotent: false,
                                                             headersForBody: { body in ["X-Flashbots-Signature": Self.flashbotsSignature(body, key: key)] })
                        // Relays answer {bundleHash}; some builders answer null. Anything else is not an acceptance.
                        if answer != .null, answer["bundleHash"]?.stringValue == nil {
                            failure = "\(clients[index].url): answered \(Self.excerpt(answer)), not {bundleHash}"
                        }
                    }
                } catch {
                    failure = "\(clients[index].url): \(error)"
                }
                results.withLock { $0[index] = failure }
            }
            let table = results.withLock { $0 }
            return (0..<clients.count).map { table[$0] ?? nil }
        }
        let sentAt = DispatchTime.now().uptimeNanoseconds
        let failures = outcomes.compactMap { $0 }
        guard failures.count < clients.count else {
            try await writeOutcomes(except: merged, with: merged.map {
                .init(hash: $0.record.hash, status: .notLanded, reason: "every L1 endpoint refused the bundle: \(failures.joined(separator: "; "))")
            })
            return "L1 block \(target): every L1 endpoint refused the merged bundle: \(failures.joined(separator: "; "))"
        }
        lastSentAt = sentAt
        try await writeOutcomes(except: merged, with: merged.map { .init(hash: $0.record.hash, status: .submitted) })
        sent.append((target, submission.hash, merged.map(\.record.hash)))
        let refusals = failures.isEmpty ? "" : "; \(failures.count) endpoint(s) failed: \(failures.joined(separator: "; "))"
        // Handoff → merged bundle sent (what `lockstep bench builder --slot` measures), and its drafting part.
        StageMetrics.shared.observe("builder:auction", seconds: Double(sentAt - started) / 1e9)
        StageMetrics.shared.observe("builder:drafts", seconds: Double(draftsDone) / 1_000)
        return "L1 block \(target): sent \(merged.count) bundle(s) of \(records.count) in \((sentAt - started) / 1_000_000) ms (drafts " +
            "\(draftsDone) ms, \(early) of them early, \(fullSimulations) full simulation(s)), value \(best.value) wei, " +
            "based block \(best.basedBlock?.number ?? 0), to \(clients.count - failures.count) endpoint(s)\(refusals)"
    }

    /// `submission` re-signed to pay `bid` wei to the L1 block's coinbase as priority fee over `gasUsed` gas (the fee
    /// changes no state the simulation depended on: only the builder's and the coinbase's balances).
    static func bidding(_ submission: Transaction, bid: U256, gasUsed: UInt64, key: PrivateKey) -> Transaction {
        guard bid > .zero, gasUsed > 0 else { return submission }
        let tip = bid / U256(gasUsed)
        var transaction = submission
        transaction.maxPriorityFeePerGas = tip
        transaction.maxFeePerGas = submission.maxFeePerGas &+ tip
        return transaction.signed(with: key)
    }

    /// `address:0x<signature>`: the EIP-191 signature of the body's keccak in hex, as Flashbots relays take it.
    /// The start of a JSON answer, for a message.
    static func excerpt(_ value: JSONValue) -> String {
        let text = value.serializedString()
        return text.count <= 80 ? text : String(text.prefix(80)) + "…"
    }

    static func flashbotsSignature(_ body: [UInt8], key: PrivateKey) -> String {
        let message = Array(Keccak256.hash(body).hexString.utf8)
        let digest = Keccak256.hash(Array("\u{19}Ethereum Signed Message:\n\(message.count)".utf8) + message)
        let signature = key.sign(hash: digest)
        let bytes = signature.r.bigEndianBytes + signature.s.bigEndianBytes + [27 + signature.yParity]
        return "\(key.address.hexString):\(Hex.encode(bytes))"
    }

    /// The bundles of `bundles` as one: their legs concatenated in order, their allowed reverts together.
    static func concatenate(_ bundles: [CrossLayerBundle], target: UInt64) -> CrossLayerBundle {
        CrossLayerBundle(l1Before: bundles.flatMap(\.l1Before), l2: bundles.flatMap(\.l2), l1After: bundles.flatMap(\.l1After),
                         blockNumber: target, minTimestamp: bundles.map(\.minTimestamp).max() ?? 0,
                         maxTimestamp: bundles.map(\.maxTimestamp).filter { $0 > 0 }.min() ?? 0,
                         revertingTxHashes: Set(bundles.flatMap(\.revertingTxHashes)), replacementUuid: nil,
                         replacementNonce: nil,
                         senders: bundles.reduce(into: [:]) { $0.merge($1.senders) { first, _ in first } })
    }

    func l1Timestamp(_ number: UInt64) async throws -> Double {
        let client = service.l1
        let block = try await offChainThread { try client.call("eth_getBlockByNumber", [.quantity(number), false]) }
        return Double(try block["timestamp"]?.decodeUInt64Quantity() ?? 0)
    }

    /// Marks the sent bundles landed or not once their block exists.
    func checkLanded() async throws -> [String] {
        guard let head = service.l1Head else { return [] }
        var lines: [String] = []
        let client = service.l1
        @Sendable func call(_ method: String, _ params: [JSONValue]) async throws -> JSONValue {
            try await offChainThread { try client.call(method, params) }
        }
        /// Whether block `number` (as it is now) holds `submission` and it succeeded; and that block's hash.
        func inclusion(of submission: Hash, in number: UInt64) async throws -> (included: Bool, blockHash: Hash?) {
            let block = try await call("eth_getBlockByNumber", [.quantity(number), false])
            let blockHash = block["hash"]?.stringValue.flatMap { try? Hash(hex: $0) }
            guard (block["transactions"]?.arrayValue ?? []).compactMap(\.stringValue).contains(submission.hexString) else {
                return (false, blockHash)
            }
            // In the block is not enough: a submitBased that reverted (raw mode, a late block) landed nothing.
            let receipt = try await call("eth_getTransactionReceipt", [.string(submission.hexString)])
            return (receipt["status"]?.stringValue == "0x1" && receipt["blockHash"]?.stringValue == blockHash?.hexString,
                    blockHash)
        }
        var pending: [(block: UInt64, submission: Hash, bundles: [Hash])] = []
        for entry in sent {
            guard entry.block <= head else { pending.append(entry); continue }
            let (included, blockHash) = try await inclusion(of: entry.submission, in: entry.block)
            try await book.update(entry.bundles.map {
                .init(hash: $0, status: included ? .landed : .notLanded,
                      reason: included ? "in L1 block \(entry.block) (\(blockHash?.hexString ?? "?"))"
                          : "L1 block \(entry.block) did not include the builder's submission, or it reverted there")
            })
            if included, let blockHash { landedRecently.append((entry.block, blockHash, entry.submission, entry.bundles)) }
            lines.append("L1 block \(entry.block): \(entry.bundles.count) bundle(s) \(included ? "landed" : "did not land")")
        }
        sent = pending
        // A reorg that replaced a block holding a landed submission: judge its bundles again on the new block.
        // The watched blocks' hashes in one batch first (this runs before every auction): only a block whose hash
        // changed is looked at again.
        let watched = landedRecently.filter { $0.block + Self.reorgWatch > head }
        let hashes = watched.isEmpty ? [] : try await offChainThread {
            try client.batch(watched.map { JSONRPCRequest("eth_getBlockByNumber", [.quantity($0.block), false]) })
                .map { try? $0.get()["hash"]?.stringValue.flatMap { try? Hash(hex: $0) } }
        }
        var kept: [(block: UInt64, blockHash: Hash, submission: Hash, bundles: [Hash])] = []
        for (entry, hash) in zip(watched, hashes) {
            if hash == entry.blockHash {
                kept.append(entry)
                continue
            }
            let (included, blockHash) = try await inclusion(of: entry.submission, in: entry.block)
            if blockHash == entry.blockHash || blockHash == nil {
                kept.append(entry)  // unchanged, or the chain is back below N for now: judged once N exists again
            } else if !included {
                try await book.update(entry.bundles.map {
                    .init(hash: $0, status: .notLanded,
                          reason: "L1 block \(entry.block) was reorged out; the new block \(entry.block) does not hold the submission")
                })
                lines.append("L1 block \(entry.block) was reorged out: \(entry.bundles.count) landed bundle(s) are no longer")
            } else if let blockHash {
                kept.append((entry.block, blockHash, entry.submission, entry.bundles))
            }
        }
        landedRecently = kept
        // Submitted before a restart (the list above is in memory): judged by the builder's own successful
        // submitBased in their block, which is unique per handoff.
        let orphans = book.records(status: .submitted).filter { record in
            record.targetBlock <= head && !sent.contains { $0.bundles.contains(record.hash) }
        }
        for (number, records) in Dictionary(grouping: orphans, by: \.targetBlock) {
            let block = try await call("eth_getBlockByNumber", [.quantity(number), true])
            var landed = false
            for transaction in block["transactions"]?.arrayValue ?? [] {
                guard transaction["from"]?.stringValue.flatMap({ try? Address(hex: $0) }) == service.builder,
                      transaction["to"]?.stringValue.flatMap({ try? Address(hex: $0) }) == simulation.settings.rollup,
                      let hash = transaction["hash"]?.stringValue.flatMap({ try? Hash(hex: $0) }) else { continue }
                if try await inclusion(of: hash, in: number).included { landed = true }
            }
            try await book.update(records.map {
                .init(hash: $0.hash, status: landed ? .landed : .notLanded,
                      reason: landed ? "in L1 block \(number) (judged after a restart)"
                          : "L1 block \(number) holds no successful submission of this builder (judged after a restart)")
            })
            lines.append("L1 block \(number): \(records.count) bundle(s) submitted before a restart \(landed ? "landed" : "did not land")")
        }
        return lines
    }
}

extension BuilderService {
    /// Runs `auction` every `interval` seconds until cancelled, logging what happens and each distinct failure once.
    public func runAuctions(_ auction: Auction, interval: Double, log: @escaping @Sendable (String) -> Void) async {
        var lastError: String?
        await repeatOnClockGrid(every: interval) {
            do {
                for line in try await auction.step() { log(line) }
                lastError = nil
            } catch {
                let message = "auction failed: \(error)"
                if message != lastError { log(message) }
                lastError = message
            }
        }
    }
}
