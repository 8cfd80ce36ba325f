import Chain
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import Prover
import RPCServer
import Rollup
import State

/// Where and how the builder simulates: both endpoints, the Rollup, its key and the attestation provers' keys.
public struct SimulationSettings: Sendable {
    public var l1Url: String
    public var l2Url: String
    public var rollup: Address
    public var builderKey: PrivateKey
    public var attesters: [PrivateKey]
    /// The L1's slot length: L1 block `N` is simulated at its parent's timestamp plus this.
    public var slotTime: UInt64
    /// Attestation provers over HTTP (`--prover-url`); used instead of `attesters` when set.
    public var provers: ProverClients?
    /// The external prover (proof system 2, `--external-prover-url`), asked when the Rollup has that slot configured.
    public var externalProver: ExternalProverClient?

    public init(l1Url: String, l2Url: String, rollup: Address, builderKey: PrivateKey, attesters: [PrivateKey],
                slotTime: UInt64, provers: ProverClients? = nil, externalProver: ExternalProverClient? = nil) {
        self.provers = provers
        self.externalProver = externalProver
        self.l1Url = l1Url
        self.l2Url = l2Url
        self.rollup = rollup
        self.builderKey = builderKey
        self.attesters = attesters
        self.slotTime = slotTime
    }
}

/// The simulator of the current handoff, kept on its own thread (its forks read over libcurl, blocking).
final class SimulationSlot {
    var simulator: JointSimulator?
    /// Drafts of the next handoff's bundles made before it (`BundleSimulation.draftEarly`).
    var early: EarlyDrafts?
    /// The early drafts an auction used, kept until the next early drafting (freeing its forks' caches takes a few
    /// milliseconds, better spent there than at the handoff).
    var retired: EarlyDrafts?
}

/// Drafts made before a handoff, on a simulator of its L1 block `N` (the L1 head is `N − 1` already) and of the L2
/// block that was the latest then; at the handoff, those whose reads the L2 blocks in between did not change stand
/// (`BundleSimulation.auctionDrafts`).
final class EarlyDrafts {
    let simulator: JointSimulator
    var drafts: [Hash: JointSimulation] = [:]
    /// What changed on the L2 from the early block to a handoff's slot-end block (`lockstep_getStateDiff`), once
    /// read; nil when it could not be had.
    var diff: (handoff: SignedHandoff, diff: StateDiff?)?

    init(simulator: JointSimulator) {
        self.simulator = simulator
    }
}

/// Joint simulation for the builder's API: the current handoff from the L2, forks of both chains for it (made
/// once per handoff and reused), one bundle at a time.
public final class BundleSimulation: Sendable {
    let settings: SimulationSettings
    let l1ChainId: UInt64
    let host: ChainHost<SimulationSlot>
    let l1: JSONRPCClient
    let l2: JSONRPCClient

    public init(settings: SimulationSettings, l1ChainId: UInt64) throws {
        self.settings = settings
        self.l1ChainId = l1ChainId
        host = try ChainHost(name: "lockstep-builder-simulation") { SimulationSlot() }
        l1 = JSONRPCClient(url: settings.l1Url, timeoutMilliseconds: 15_000)
        l2 = JSONRPCClient(url: settings.l2Url, timeoutMilliseconds: 15_000)
    }

    /// A simulator for `handoff`, using the L1 fork of `earlier` when it is of the same L1 block and parent. The
    /// Rollup's policy says whether an execute proof counts (verifier slot 1 configured) and whether an external
    /// proof does (slot 2): one round trip for both. Runs on the simulation thread.
    func makeSimulator(_ handoff: SignedHandoff, reusingL1 earlier: JointSimulator? = nil) throws -> JointSimulator {
        let execute: Bool
        let externalConfigured: Bool
        if let earlier, earlier.handoff.handoff.l1ParentHash == handoff.handoff.l1ParentHash {
            // The same L1 block: the same policy.
            (execute, externalConfigured) = (earlier.executeProof, earlier.externalProver != nil)
        } else {
            let verifiers = try l1.batch([1, 2].map { slot in
                JSONRPCRequest("eth_call", [.object(["to": .string(settings.rollup.hexString),
                                                    "data": .data(ABIValue.call("verifiers(uint256)", [.uint(UInt64(slot))]))]),
                                           "latest"])
            }).map { try $0.get() }
            guard verifiers.count == 2 else { throw RPCError.server("the L1 answered \(verifiers.count) of 2 calls") }
            execute = (verifiers[0].dataValue ?? []).contains { $0 != 0 }
            externalConfigured = (verifiers[1].dataValue ?? []).contains { $0 != 0 }
        }
        do {
            return try JointSimulator(handoff: handoff, l1Url: settings.l1Url, l1ChainId: l1ChainId,
                                      l2Url: settings.l2Url, rollup: settings.rollup,
                                      builderKey: settings.builderKey, attesters: settings.attesters,
                                      executeProof: execute, slotTime: settings.slotTime,
                                      provers: settings.provers,
                                      externalProver: externalConfigured ? settings.externalProver : nil,
                                      reusingL1: earlier)
        } catch {
            throw RPCError.server("cannot fork the chains for the handoff of L1 block \(handoff.handoff.l1TargetBlockNumber): \(error)")
        }
    }

    /// Drafts `entries` (bundle hashes and bundles, all for L1 block `target`) before its handoff, on the L1 head
    /// (which must be block `target − 1`) and the L2's latest block: the first call for `target` forks both there,
    /// later ones draft only the bundles not drafted yet, on the same forks. The drafts are kept for
    /// `auctionDrafts`. Returns how many were drafted, the L2 block they were drafted on, and whether the forks were
    /// made by this call.
    public func draftEarly(_ entries: [(hash: Hash, bundle: CrossLayerBundle)], target: UInt64,
                           l2ChainId: UInt64) async throws -> (drafted: Int, l2Block: UInt64, forked: Bool) {
        let (l1, l2) = (self.l1, self.l2)
        return try await host.run { [self] slot in
            if slot.simulator?.handoff.handoff.l1TargetBlockNumber == target { return (0, 0, false) }  // the handoff is here
            slot.retired = nil
            if let early = slot.early, early.simulator.handoff.handoff.l1TargetBlockNumber != target {
                slot.early = nil
            }
            let forked = slot.early == nil
            if forked {
                let parent = try l1.call("eth_getBlockByNumber", [.quantity(target - 1), false])
                let latest = try l2.call("eth_getBlockByNumber", ["latest", false])
                guard !parent.isNull, !latest.isNull else {
                    throw RPCError.server("cannot draft early for L1 block \(target): L1 block \(target - 1) or the L2 head is unknown")
                }
                func hash(_ block: JSONValue, _ key: String) throws -> Hash { try Hash(hex: block[key]?.stringValue ?? "") }
                // The handoff as it would be if the L2 handed off now (unsigned: drafts submit nothing).
                let provisional = SignedHandoff(handoff: Handoff(
                    l2ChainId: l2ChainId, l2BlockNumber: try latest["number"]?.decodeUInt64Quantity() ?? 0,
                    l2BlockHash: try hash(latest, "hash"), l2StateRoot: try hash(latest, "stateRoot"),
                    l1TargetBlockNumber: target, l1ParentHash: try hash(parent, "hash")), signature: [])
                let simulator = try makeSimulator(provisional)
                slot.early = EarlyDrafts(simulator: simulator)
                // The contracts the last handoff's simulations read on L1 (the Rollup, its verifiers, the system
                // contracts of the block's end), read again here: the merged block's submission reads them at the
                // handoff, one round trip each otherwise.
                if let previous = slot.simulator?.l1Base.remote {
                    let (accounts, slots) = previous.cachedKeys()
                    let remote = simulator.l1Base.remote
                    remote.prefetch(accounts: accounts)
                    for (address, keys) in slots { remote.prefetch(address, slots: keys) }
                }
            }
            let early = slot.early!
            let fresh = entries.filter { early.drafts[$0.hash] == nil }
            guard !fresh.isEmpty else { return (0, early.simulator.handoff.handoff.l2BlockNumber, forked) }
            let bundles = fresh.map(\.bundle)
            let drafts = Self.drafts(of: bundles, on: early.simulator)
            for (entry, draft) in zip(fresh, drafts) { early.drafts[entry.hash] = draft }
            return (fresh.count, early.simulator.handoff.handoff.l2BlockNumber, forked)
        }
    }

    /// The simulator of `handoff`, made when the slot's is for another: when early drafts were made for the same L1
    /// block and parent, it uses their L1 fork, and its L2 fork takes over what theirs read as the L2's state diff
    /// from the early block to the slot-end block leaves it (the diff is kept with the early drafts for
    /// `auctionDrafts`). Runs on the simulation thread.
    func connect(_ slot: SimulationSlot, to handoff: SignedHandoff) throws -> JointSimulator {
        if let simulator = slot.simulator, simulator.handoff == handoff { return simulator }
        var early = slot.early
        if let candidate = early, candidate.simulator.handoff.handoff.l1TargetBlockNumber != handoff.handoff.l1TargetBlockNumber
            || candidate.simulator.handoff.handoff.l1ParentHash != handoff.handoff.l1ParentHash {
            early = nil
        }
        if let early, early.diff?.handoff != handoff {
            let diff = try? StateDiff(json: l2.call("lockstep_getStateDiff", [
                .string(early.simulator.handoff.handoff.l2BlockHash.hexString), .string(handoff.handoff.l2BlockHash.hexString),
            ]))
            early.diff = (handoff, diff)
        }
        let simulator = try makeSimulator(handoff, reusingL1: early?.simulator)
        if let early, let diff = early.diff?.diff {
            simulator.l2Fork.base.remote.inherit(from: early.simulator.l2Fork.base.remote, diff: diff)
        }
        slot.simulator = simulator
        return simulator
    }

    /// The drafts of an auction at `handoff` (for L1 block `target`): `entries`' early drafts (`draftEarly`) where
    /// they still hold, the rest drafted now (`simulateAll`). An early draft holds when it was made on the same L1
    /// block and parent, succeeded, read nothing that the L2 blocks from its block to the slot-end block changed
    /// (`lockstep_getStateDiff`; the builder's own balance aside: a draft's value is what the builder gains), did not
    /// read its block's environment or the system contracts, and every `l2` transaction pays the same priority fee at
    /// both blocks' base fees, with one transaction per sender when the base fee moved. The L2 fork of the handoff
    /// takes over what the early one read, as the diff leaves it. Returns the drafts and how many were early.
    public func auctionDrafts(_ entries: [(hash: Hash, bundle: CrossLayerBundle)], target: UInt64,
                              on handoff: SignedHandoff) async throws -> (drafts: [JointSimulation], early: Int) {
        guard handoff.handoff.l1TargetBlockNumber == target else {
            throw RPCError.server("the current handoff is for L1 block \(handoff.handoff.l1TargetBlockNumber); the bundles " +
                                  "target \(target)")
        }
        return try await host.run { [self] slot in
            let simulator = try connect(slot, to: handoff)
            let early = slot.early.flatMap { $0.simulator.l1Base === simulator.l1Base ? $0 : nil }
            let diff = early?.diff.flatMap { $0.handoff == handoff ? $0.diff : nil }
            slot.retired = slot.early
            slot.early = nil
            var results = [JointSimulation?](repeating: nil, count: entries.count)
            if let early, let diff {
                let touched = diff.byAddress
                let fees = (early.simulator.draftBaseFee(), simulator.draftBaseFee())
                for (index, entry) in entries.enumerated() {
                    guard let draft = early.drafts[entry.hash],
                          Self.stillHolds(draft, of: entry.bundle, touched: touched, builder: simulator.builder,
                                          baseFees: fees) else { continue }
                    results[index] = draft
                }
            }
            let rest = entries.indices.filter { results[$0] == nil }
            let bundles = rest.map { entries[$0].bundle }
            let drafts = Self.drafts(of: bundles, on: simulator)
            for (index, draft) in zip(rest, drafts) { results[index] = draft }
            return (results.map { $0! }, entries.count - rest.count)
        }
    }

    /// Whether `draft` of `bundle`, made early, holds on a later L2 block whose changes are `touched` (see
    /// `auctionDrafts`).
    static func stillHolds(_ draft: JointSimulation, of bundle: CrossLayerBundle, touched: [Address: StateDiff.Entry],
                           builder: Address, baseFees: (early: U256?, now: U256?)) -> Bool {
        guard draft.failure == nil, !draft.readsBlockEnvironment, let early = baseFees.early, let now = baseFees.now else {
            return false
        }
        for (address, slots) in draft.l2Reads.slots {
            if address == SystemCall.historyStorageAddress || address == SystemCall.beaconRootsAddress { return false }
            guard let entry = touched[address] else { continue }
            if entry.accountChanged && address != builder { return false }
            if entry.storageCleared && !slots.isEmpty { return false }
            if slots.contains(where: { entry.storage[$0] != nil }) { return false }
        }
        if early != now {
            var senders: Set<Address> = []
            for transaction in bundle.l2 {
                guard transaction.maxFeePerGas >= now, transaction.maxFeePerGas >= early,
                      transaction.effectiveGasPrice(baseFee: early) &- early == transaction.effectiveGasPrice(baseFee: now) &- now,
                      let sender = bundle.senders[transaction.hash], senders.insert(sender).inserted else { return false }
            }
        }
        return true
    }

    /// The L2's current handoff; nil before its first.
    public func currentHandoff() async throws -> SignedHandoff? {
        let client = l2
        let answer = try await offChainThread { try client.call("lockstep_getHandoff") }
        return answer.isNull ? nil : try SignedHandoff(json: answer)
    }

    /// Simulates `bundle` on the current handoff (`JointSimulator`), or on `handoff` when the caller has just read it.
    /// - Throws: `RPCError` when there is no handoff for the bundle's target block, or a chain cannot be forked.
    public func simulate(_ bundle: CrossLayerBundle, draft: Bool = false, on handoff: SignedHandoff? = nil) async throws -> JointSimulation {
        try await simulateAll([bundle], target: bundle.blockNumber, draft: draft, on: handoff)[0]
    }

    /// The full simulation of `bundle` (the auction's merged bundles) on `handoff`, the L2 proofs of `reads` (their
    /// drafts' reads) fetched meanwhile (`JointSimulator.fetchProofsAhead`).
    public func simulate(_ bundle: CrossLayerBundle, on handoff: SignedHandoff,
                         proofsAhead reads: [JointSimulation.WitnessReads]) async throws -> JointSimulation {
        try await host.run { [self] slot in
            let simulator = try connect(slot, to: handoff)
            if !reads.isEmpty { simulator.fetchProofsAhead(reads) }
            defer { simulator.proofsAhead?.wait(); simulator.proofsAhead = nil }
            return simulator.simulate(bundle)
        }
    }

    /// How many of `reads` (drafts' L2 reads, in merge order) fit one based block's EXECUTE proof within `budget`
    /// bytes, on the simulator of L1 block `target` (`JointSimulator.fittingProofBudget`); all of them when the Rollup
    /// counts no execute proof (nothing limits the witness then) or there is no simulator for `target`.
    public func fittingProofBudget(_ reads: [JointSimulation.WitnessReads], target: UInt64, budget: Int) async throws -> Int {
        try await host.run { slot in
            guard let simulator = slot.simulator, simulator.handoff.handoff.l1TargetBlockNumber == target,
                  simulator.executeProof else { return reads.count }
            return try simulator.fittingProofBudget(reads, budget: budget)
        }
    }

    /// Drafts of `bundles` on `simulator` (on its thread): several are read from both forks in batches first and
    /// drafted on `draftThreads` threads; one is drafted as it is.
    static func drafts(of bundles: [CrossLayerBundle], on simulator: JointSimulator) -> [JointSimulation] {
        guard bundles.count > 1 else { return bundles.map { simulator.simulate($0, draft: true) } }
        simulator.prefetch(bundles)
        return simulator.drafts(bundles, threads: draftThreads)
    }

    /// Workers the drafts of one auction are spread over (`concurrentPerform` iterations, each taking drafts until
    /// none is left). The deferred rounds (`JointSimulator.drafts`) leave drafts almost nothing to wait for, so
    /// beyond the cores this changes little (even before those rounds, 8 and 2 workers measured the same on 2 cores).
    static let draftThreads = max(8, 2 * ProcessInfo.processInfo.activeProcessorCount)

    /// Simulates each of `bundles` alone on the current handoff (or `handoff`, when the caller has just read it), which
    /// must be for L1 block `target`: one handoff check and one trip to the simulation thread for all of them.
    /// - Throws: `RPCError` when there is no handoff for `target`, or a chain cannot be forked.
    public func simulateAll(_ bundles: [CrossLayerBundle], target: UInt64, draft: Bool,
                            on known: SignedHandoff? = nil) async throws -> [JointSimulation] {
        var current = known
        if current == nil { current = try await currentHandoff() }
        guard let handoff = current else {
            throw RPCError.server("the L2 has not handed off a slot yet: nothing to simulate on")
        }
        guard handoff.handoff.l1TargetBlockNumber == target else {
            throw RPCError.server("the current handoff is for L1 block \(handoff.handoff.l1TargetBlockNumber); the bundle " +
                                  "targets \(target)")
        }
        return try await host.run { [self] slot in
            let simulator = try connect(slot, to: handoff)
            if draft { return Self.drafts(of: bundles, on: simulator) }
            if bundles.count > 1 { simulator.prefetch(bundles) }
            return bundles.map { simulator.simulate($0) }
        }
    }
}
