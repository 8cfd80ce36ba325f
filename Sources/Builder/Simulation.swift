import Chain
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import Prover
import RPCServer
import Rollup

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
        let (settings, l1ChainId, l1) = (self.settings, self.l1ChainId, self.l1)
        return try await host.run { slot in
            if slot.simulator?.handoff != handoff {
                // The Rollup's policy says whether an execute proof counts (verifier slot 1 configured) and whether an
                // external proof does (slot 2): one round trip for both.
                let verifiers = try l1.batch([1, 2].map { slot in
                    JSONRPCRequest("eth_call", [.object(["to": .string(settings.rollup.hexString),
                                                        "data": .data(ABIValue.call("verifiers(uint256)", [.uint(UInt64(slot))]))]),
                                               "latest"])
                }).map { try $0.get() }
                guard verifiers.count == 2 else { throw RPCError.server("the L1 answered \(verifiers.count) of 2 calls") }
                let execute = (verifiers[0].dataValue ?? []).contains { $0 != 0 }
                let externalConfigured = (verifiers[1].dataValue ?? []).contains { $0 != 0 }
                do {
                    slot.simulator = try JointSimulator(handoff: handoff, l1Url: settings.l1Url, l1ChainId: l1ChainId,
                                                        l2Url: settings.l2Url, rollup: settings.rollup,
                                                        builderKey: settings.builderKey, attesters: settings.attesters,
                                                        executeProof: execute, slotTime: settings.slotTime,
                                                        provers: settings.provers,
                                                        externalProver: externalConfigured ? settings.externalProver : nil)
                } catch {
                    throw RPCError.server("cannot fork the chains for the handoff of L1 block \(handoff.handoff.l1TargetBlockNumber): \(error)")
                }
            }
            let simulator = slot.simulator!
            if bundles.count > 1 { simulator.prefetch(bundles) }
            return draft && bundles.count > 1
                ? simulator.drafts(bundles, threads: Self.draftThreads)
                : bundles.map { simulator.simulate($0, draft: draft) }
        }
    }
}
