import Chain
import EVM
import Foundation
import JSON
import Node
import Primitives
import Prover
import Rollup
import Sequencer
import State
import Synchronization

/// A handoff and its signature as the L2 node publishes them (`lockstep_getHandoff`).
public struct SignedHandoff: Sendable, Hashable {
    public var handoff: Handoff
    public var signature: [UInt8]

    public init(handoff: Handoff, signature: [UInt8]) {
        self.handoff = handoff
        self.signature = signature
    }

    /// Reads `lockstep_getHandoff`'s answer.
    public init(json: JSONValue) throws {
        func hash(_ key: String) throws -> Hash { try Hash(hex: json[key]?.stringValue ?? "") }
        handoff = Handoff(l2ChainId: try json["l2ChainId"]?.decodeUInt64Quantity() ?? 0,
                          l2BlockNumber: try json["l2BlockNumber"]?.decodeUInt64Quantity() ?? 0,
                          l2BlockHash: try hash("l2BlockHash"), l2StateRoot: try hash("l2StateRoot"),
                          l1TargetBlockNumber: try json["l1TargetBlockNumber"]?.decodeUInt64Quantity() ?? 0,
                          l1ParentHash: try hash("l1ParentHash"))
        signature = try json["signature"]?.decodeData() ?? []
    }
}

/// One transaction's result in a joint simulation, in the `eth_callBundle` shape.
public struct SimulatedTransaction: Sendable {
    public var hash: Hash
    public var from: Address
    public var to: Address?
    public var gasUsed: UInt64
    public var succeeded: Bool
    /// The revert data of a transaction that reverted.
    public var output: [UInt8]

    var json: JSONValue {
        var object: [String: JSONValue] = ["txHash": .string(hash.hexString), "fromAddress": .string(from.hexString),
                                           "toAddress": to.map { .string($0.hexString) } ?? .null,
                                           "gasUsed": .quantity(gasUsed)]
        if !succeeded {
            object["error"] = "execution reverted"
            object["revert"] = .data(output)
        }
        return .object(object)
    }
}

/// What a cross-layer bundle does on both layers (`Specs/protocol.md` §9.3), or where it failed.
public struct JointSimulation: Sendable {
    public var l1Before: [SimulatedTransaction] = []
    public var deposits: [DepositMessage] = []
    public var l2: [SimulatedTransaction] = []
    public var basedBlock: L2Block?
    public var submission: SimulatedTransaction?
    /// The builder's signed `submitBased` transaction (what goes into the L1 bundle between `l1Before` and
    /// `l1After`).
    public var submissionTransaction: Transaction?
    public var l1After: [SimulatedTransaction] = []
    /// L2 wei paid to the based block's coinbase, and L1 wei transferred to the builder.
    public var l2Value: U256 = .zero
    public var l1Value: U256 = .zero
    public var value: U256 { l2Value &+ l1Value }
    /// The layer (`l1Before`, `l2`, `submission`, `l1After`, `proofs`), the transaction and why, when it failed.
    public var failure: (layer: String, hash: Hash?, reason: String)?
    /// A draft: `l1Before` and the based block's transactions only (`JointSimulator.simulate(_:draft:)`).
    public var draft = false
    /// What a draft's based block read of the L2 state (accounts, slots, code): what its witness will prove, for the
    /// auction's estimate of a merged block's EXECUTE proof.
    public var l2Reads = WitnessReads()
    /// Whether a draft's based block read its block's environment (NUMBER, TIMESTAMP, BASEFEE, BLOCKHASH, …): then
    /// its result may differ on another L2 block with the same state, and an early draft is not reused.
    public var readsBlockEnvironment = false

    /// The L2 state a based block reads.
    public struct WitnessReads: Sendable {
        public var slots: [Address: Set<U256>] = [:]
        public var codeHashes: Set<Hash> = []
        public init(slots: [Address: Set<U256>] = [:], codeHashes: Set<Hash> = []) {
            self.slots = slots
            self.codeHashes = codeHashes
        }
    }

    public init() {}

    public func json(bundleHash: Hash, blockNumber: UInt64) -> JSONValue {
        var object: [String: JSONValue] = [
            "bundleHash": .string(bundleHash.hexString), "blockNumber": .quantity(blockNumber),
            "l1Before": .array(l1Before.map(\.json)), "deposits": .quantity(UInt64(deposits.count)),
            "l2": .array(l2.map(\.json)), "l1After": .array(l1After.map(\.json)),
            "l2Value": .quantity(l2Value), "l1Value": .quantity(l1Value), "value": .quantity(value),
            "ok": .bool(failure == nil),
        ]
        if let submission { object["submission"] = submission.json }
        if let block = basedBlock {
            object["basedBlock"] = .object(["number": .quantity(block.number), "hash": .string(block.hash.hexString),
                                            "stateRoot": .string(block.header.base.stateRoot.hexString)])
        }
        if let failure {
            var reason: [String: JSONValue] = ["layer": .string(failure.layer), "reason": .string(failure.reason)]
            if let hash = failure.hash { reason["txHash"] = .string(hash.hexString) }
            object["failure"] = .object(reason)
        }
        return .object(object)
    }
}

/// Simulates cross-layer bundles for one handoff against the real state of both chains: the L1 forked at the
/// handoff's parent block and the L2 forked at its slot-end block, both over JSON-RPC with copy-on-write overlays
/// (`Specs/protocol.md` §9.3). Per bundle: `l1Before` on L1, the deposits it queued, the based block on the
/// slot-end block (those deposits, then `l2`), its proofs, the builder's `submitBased`, then `l1After`. Every
/// transaction must succeed unless its hash is in `revertingTxHashes`. Nothing is changed on either fork: each
/// simulation starts from the handoff's state. Not thread-safe: one simulation at a time.
public final class JointSimulator {
    public let handoff: SignedHandoff
    public let l1: Blockchain
    public let l2: Blockchain
    let l2Fork: UpstreamFork
    let l1Base: ForkBase
    public let rollup: Address
    public let builderKey: PrivateKey
    public let attesters: [PrivateKey]
    /// Attestation provers over HTTP; used instead of `attesters` when set.
    public let provers: ProverClients?
    /// The external prover (proof system 2), when the Rollup counts that slot.
    public let externalProver: ExternalProverClient?
    /// Whether the Rollup's policy counts an execute proof (then the L1 fork runs the EXECUTE precompile).
    public let executeProof: Bool
    public let domain: RollupDomain
    /// The timestamp of L1 block `N` the simulation assumes: the parent's plus the slot time.
    public let l1Timestamp: UInt64

    /// Forks both chains for `handoff`.
    /// - Parameter earlier: a simulator of the same L1 block `N` on the same parent (early drafts before the handoff):
    ///   its L1 fork is used instead of a new one, since nothing about L1 changed.
    /// - Throws: `NodeError` when either chain cannot be reached or its fork block does not match the handoff.
    public init(handoff: SignedHandoff, l1Url: String, l1ChainId: UInt64, l2Url: String, rollup: Address,
                builderKey: PrivateKey, attesters: [PrivateKey], executeProof: Bool, slotTime: UInt64,
                provers: ProverClients? = nil, externalProver: ExternalProverClient? = nil,
                reusingL1 earlier: JointSimulator? = nil) throws {
        let target = handoff.handoff.l1TargetBlockNumber
        guard target > 0 else { throw NodeError("the handoff targets L1 block 0") }
        if let earlier, earlier.handoff.handoff.l1TargetBlockNumber == target,
           earlier.handoff.handoff.l1ParentHash == handoff.handoff.l1ParentHash, earlier.executeProof == executeProof {
            l1 = earlier.l1
            l1Base = earlier.l1Base
            l1Timestamp = earlier.l1Timestamp
            l1Start = earlier.l1Start
        } else {
            let l1Fork = try UpstreamFork.connect(url: l1Url, blockNumber: target - 1)
            guard l1Fork.header.hash == handoff.handoff.l1ParentHash else {
                throw NodeError("L1 block \(target - 1) is \(l1Fork.header.hash), not the handoff's parent \(handoff.handoff.l1ParentHash): the L1 moved on")
            }
            var l1Config = ChainConfig(chainId: l1ChainId, fork: .prague)
            if executeProof {
                l1Config.customPrecompiles = CustomPrecompiles(table: [RollupProtocol.executePrecompileAddress: ExecutePrecompile()])
            }
            l1 = Blockchain(config: l1Config, forkedFrom: l1Fork.header, fork: l1Fork.base)
            l1Base = l1Fork.base
            l1Timestamp = l1Fork.header.timestamp + slotTime
        }
        let (l2Chain, l2Fork) = try L2Fork.open(url: l2Url, blockNumber: handoff.handoff.l2BlockNumber,
                                                l2ChainId: handoff.handoff.l2ChainId)
        guard l2Fork.header.hash == handoff.handoff.l2BlockHash else {
            throw NodeError("L2 block \(handoff.handoff.l2BlockNumber) is \(l2Fork.header.hash), not the handoff's slot-end block")
        }
        l2 = l2Chain
        self.l2Fork = l2Fork
        self.handoff = handoff
        self.rollup = rollup
        self.builderKey = builderKey
        self.builder = builderKey.address
        self.attesters = attesters
        self.provers = provers
        self.externalProver = externalProver
        self.executeProof = executeProof
        domain = RollupDomain(l1ChainId: l1ChainId, rollup: rollup)
    }

    /// Proofs being fetched while the simulation runs (`fetchProofsAhead`); the witness waits for them.
    var proofsAhead: ProofsAhead?

    /// A fetch of proofs on its own thread; `wait()` returns once it is over (at once after that).
    final class ProofsAhead: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        func wait() {
            done.wait()
            done.signal()
        }
    }

    /// Starts fetching, on its own thread, the L2 proofs at the slot-end block of `reads` (the drafts' reads of the
    /// bundles about to be simulated together) and of the block's opening system calls: the merged block's witness
    /// needs them, and the fetch (the L2 node's work) overlaps the simulation's L1 part and the based block's run.
    public func fetchProofsAhead(_ reads: [JointSimulation.WitnessReads]) {
        var requests: [Address: Set<U256>] = [builder: []]
        if let start = try? draftCheckpoint() { requests.merge(start.reads.slots) { $0.union($1) } }
        for read in reads { requests.merge(read.slots) { $0.union($1) } }
        let ahead = ProofsAhead()
        proofsAhead = ahead
        let (base, list) = (l2Fork.base, requests.map { ($0.key, Array($0.value)) })
        let thread = Thread {
            _ = try? base.cachedProofs(list)  // a failure shows again, and is reported, when the witness asks
            ahead.done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The builder's address (derived from its key once: a derivation is a scalar multiplication on the curve, and
    /// every draft reads the builder's balance).
    let builder: Address

    /// Reads the accounts `bundles` touch first (their senders and recipients on each chain) from both forks in
    /// batches, so the simulations that follow do not fetch them one round trip at a time.
    public func prefetch(_ bundles: [CrossLayerBundle]) {
        func touched(_ transactions: [Transaction], _ senders: [Hash: Address]) -> [Address] {
            transactions.flatMap { transaction in [senders[transaction.hash], transaction.to].compactMap { $0 } }
        }
        let l1Accounts = bundles.flatMap { touched($0.l1Before + $0.l1After, $0.senders) } + [builder]
        let l2Accounts = bundles.flatMap { touched($0.l2, $0.senders) } + [builder]
        // Both chains at once: each is a round trip (or several) to its own node.
        let (l1, l2) = (l1Base, self.l2Fork.base)
        DispatchQueue.concurrentPerform(iterations: 2) { chain in
            if chain == 0 { l1.prefetch(accounts: l1Accounts) } else { l2.prefetch(accounts: l2Accounts) }
        }
    }

    /// Simulates `bundle` on the handoff's state.
    /// - Parameter draft: run only `l1Before`, the deposits and the based block's transactions (one execution, no
    ///   witness, no proofs, no submission, no `l1After`): what an auction needs to rank and merge bundles, about a
    ///   tenth of the work. A draft's value is the L2 value and the L1 value of `l1Before`; the full simulation of the
    ///   merged block checks the rest.
    public func simulate(_ bundle: CrossLayerBundle, draft: Bool = false) -> JointSimulation {
        var simulation = JointSimulation()
        simulation.draft = draft
        do {
            try run(bundle, into: &simulation)
        } catch let failure as SimulationFailure {
            simulation.failure = (failure.layer, failure.hash, failure.reason)
        } catch {
            simulation.failure = ("builder", nil, "\(error)")
        }
        return simulation
    }

    struct SimulationFailure: Error {
        let layer: String
        let hash: Hash?
        let reason: String
    }

    /// Applies `transactions` to `execution`, recording each; a failure not allowed by `reverting` stops the bundle.
    static func apply(_ transactions: [Transaction], layer: String, to execution: BlockExecution, reverting: Set<Hash>,
                      senders: [Hash: Address] = [:], into results: inout [SimulatedTransaction]) throws {
        for transaction in transactions {
            let receipt: Receipt
            do {
                receipt = try execution.apply(transaction, sender: senders[transaction.hash])
            } catch {
                throw SimulationFailure(layer: layer, hash: transaction.hash, reason: "not includable: \(error)")
            }
            let outcome = execution.outcomes.last!
            let result = SimulatedTransaction(hash: transaction.hash, from: outcome.sender, to: transaction.to,
                                              gasUsed: outcome.gasUsed, succeeded: receipt.succeeded,
                                              output: receipt.succeeded ? [] : execution.lastOutput)
            results.append(result)
            if !receipt.succeeded && !reverting.contains(transaction.hash) {
                throw SimulationFailure(layer: layer, hash: transaction.hash,
                                        reason: CallReverted.message(execution.lastOutput))
            }
        }
    }

    func run(_ bundle: CrossLayerBundle, into simulation: inout JointSimulation) throws {
        let target = handoff.handoff.l1TargetBlockNumber
        guard bundle.blockNumber == target else {
            throw SimulationFailure(layer: "bundle", hash: nil,
                                    reason: "the bundle targets L1 block \(bundle.blockNumber); the handoff is for \(target)")
        }
        if bundle.minTimestamp > 0 && l1Timestamp < bundle.minTimestamp || bundle.maxTimestamp > 0 && l1Timestamp > bundle.maxTimestamp {
            throw SimulationFailure(layer: "bundle", hash: nil,
                                    reason: "L1 block \(target) is expected at \(l1Timestamp), outside the bundle's timestamps")
        }
        // A draft of a bundle with no l1Before needs no L1 block at all.
        if simulation.draft && bundle.l1Before.isEmpty {
            try draftBlock(bundle, deposits: [], into: &simulation)
            return
        }
        // L1: l1Before on top of block N − 1, and the deposits it queued.
        // A draft starts from the block's start made once (its pre-block system calls run).
        let l1Header: BlockHeader
        let l1Execution: BlockExecution
        if simulation.draft {
            let start = l1DraftStart()
            l1Header = start.header
            l1Execution = BlockExecution(config: l1.config, header: l1Header, startedOn: start.state)
        } else {
            l1Header = l1BlockHeader()
            l1Execution = BlockExecution(config: l1.config, header: l1Header, worldState: l1.state)
        }
        let builderBefore = l1.state.account(builder)?.balance ?? .zero
        try Self.apply(bundle.l1Before, layer: "l1Before", to: l1Execution, reverting: bundle.revertingTxHashes,
                       senders: bundle.senders, into: &simulation.l1Before)
        for log in l1Execution.receipts.flatMap(\.logs)
        where log.address == rollup && log.topics.first == DepositMessage.depositQueuedTopic {
            simulation.deposits.append(try DepositMessage(depositQueued: log, l2ChainId: handoff.handoff.l2ChainId))
        }
        guard simulation.deposits.count <= RollupProtocol.maxDeposits else {
            throw SimulationFailure(layer: "l1Before", hash: nil, reason: "more than MAX_DEPOSITS deposits")
        }

        if simulation.draft {
            try draftBlock(bundle, deposits: simulation.deposits, into: &simulation)
            let builderAfter = l1Execution.state.balance(builder)
            simulation.l1Value = builderAfter > builderBefore ? builderAfter &- builderBefore : .zero
            return
        }

        // L2: the based block on the slot-end block, executed once with every read recorded (for the witness and
        // each transaction's result), then sealed by the block builder as the sequencer will rebuild it.
        let (block, witness, l2Value, withdrawalIds) = try basedBlock(bundle, deposits: simulation.deposits, into: &simulation.l2)
        simulation.basedBlock = block
        simulation.l2Value = l2Value

        // Proofs, as the provers will make them: a stateless re-execution, then the attestation and the EXECUTE
        // proof.
        let parent = try L2Header(blockHeader: l2.head.header)
        let blockData = BlockData.encode([block])
        let inputs = PublicInputs(
            mode: .based, l2ChainId: handoff.handoff.l2ChainId, parentBlockNumber: parent.number,
            parentBlockHash: parent.hash, parentStateRoot: parent.stateRoot, blockNumber: block.number,
            blockHash: block.hash, postStateRoot: block.header.base.stateRoot, inboxHash: block.header.inboxHash,
            outboxRoot: block.header.outboxRoot, l1BlockNumber: target, l1ParentHash: handoff.handoff.l1ParentHash,
            submitter: builder, blockDataHash: Keccak256.hash(blockData))
        // The stateless re-execution runs on its own thread while the submission is simulated (it needs the block's
        // deposit and withdrawal ids, taken from the recording run and checked against the re-execution's at the
        // end). Its failure is the one reported, whatever failed after it; remote provers are asked only once it
        // has passed.
        let depositIds = block.depositIds(l2ChainId: handoff.handoff.l2ChainId)
        let (l2ChainId, knownSenders) = (handoff.handoff.l2ChainId, bundle.senders)
        // (A block of a few transactions re-executes in less time than a thread takes to start: inline.)
        let reexecution = OwnThread(inline: bundle.l2.count < 16) { () throws -> L2RangeExecution in
            try L2StatelessExecutor.execute(l2ChainId: l2ChainId, parent: parent, blocks: [block], witness: witness,
                                            knownSenders: knownSenders)
        }
        var verified = false
        func verify() throws {
            guard !verified else { return }
            verified = true
            let outcome: L2RangeExecution
            do {
                outcome = try reexecution.result()
            } catch {
                throw SimulationFailure(layer: "proofs", hash: nil, reason: "the stateless re-execution failed: \(error)")
            }
            guard outcome.matches(inputs, blockData: blockData) else {
                throw SimulationFailure(layer: "proofs", hash: nil, reason: "the stateless re-execution does not match the public inputs")
            }
            guard outcome.depositIds == depositIds, outcome.withdrawalIds == withdrawalIds else {
                throw SimulationFailure(layer: "proofs", hash: nil,
                                        reason: "the stateless re-execution's deposits or withdrawals differ from the block's run")
            }
        }
        do {
            try submit(bundle, block: block, witness: witness, parent: parent, blockData: blockData, inputs: inputs,
                       depositIds: depositIds, withdrawalIds: withdrawalIds, l1Header: l1Header, l1Execution: l1Execution,
                       builderBefore: builderBefore, into: &simulation, verify: verify)
            try verify()
        } catch {
            try verify()
            throw error
        }
    }

    /// The proofs of the based block, the builder's `submitBased` and `l1After` on `l1Execution`, and the L1 value
    /// (the rest of `run`); `verify` (the stateless re-execution's check) is called before any remote prover is asked.
    func submit(_ bundle: CrossLayerBundle, block: L2Block, witness: ExecutionWitness, parent: L2Header, blockData: [UInt8],
                inputs: PublicInputs, depositIds: [Hash], withdrawalIds: [Hash], l1Header: BlockHeader,
                l1Execution: BlockExecution, builderBefore: U256, into simulation: inout JointSimulation,
                verify: () throws -> Void) throws {
        let target = handoff.handoff.l1TargetBlockNumber
        if provers != nil || externalProver != nil { try verify() }
        var proofs: [RollupCalls.Proof] = []
        var proverTrouble: [String] = []
        if let provers {
            let request = AttestationRequest(mode: .based, blockData: blockData,
                                             executeProof: ExecuteCall.executeProof(parent: parent, witness: witness),
                                             l1BlockNumber: target, l1ParentHash: handoff.handoff.l1ParentHash, submitter: builder)
            let (proof, signers, failures) = provers.attest(request, expected: inputs.hash, domain: domain)
            guard signers > 0 else {
                throw SimulationFailure(layer: "proofs", hash: nil,
                                        reason: "no attestation prover signed: \(failures.joined(separator: "; "))")
            }
            proverTrouble = failures
            proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.attestationSystem, data: proof))
        } else if !attesters.isEmpty {
            proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.attestationSystem,
                                            data: RollupCalls.attestationProof(publicInputsHash: inputs.hash, domain: domain,
                                                                               keys: attesters)))
        }
        if let externalProver {
            let request = AttestationRequest(mode: .based, blockData: blockData,
                                             executeProof: ExecuteCall.executeProof(parent: parent, witness: witness),
                                             l1BlockNumber: target, l1ParentHash: handoff.handoff.l1ParentHash, submitter: builder)
            do {
                proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.externalSystem,
                                                data: try externalProver.prove(request, expected: inputs.hash)))
            } catch {
                throw SimulationFailure(layer: "proofs", hash: nil, reason: "the external prover did not prove: \(error)")
            }
        }
        if executeProof {
            proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.executeSystem,
                                            data: ExecuteCall.executeProof(parent: parent, witness: witness)))
        }

        // The submission, then l1After.
        let data = RollupCalls.submitBased(handoff: handoff.handoff, sequencerSignature: handoff.signature,
                                           blockHash: block.hash, postStateRoot: block.header.base.stateRoot,
                                           depositIds: depositIds, withdrawalIds: withdrawalIds,
                                           blockData: blockData, proofs: proofs)
        let nonce = (l1.state.account(builder)?.nonce ?? 0)
            + UInt64(simulation.l1Before.filter { $0.from == builder }.count)
        let baseFee = l1Header.baseFeePerGas ?? .zero
        let submission = Transaction(type: .dynamicFee, chainId: l1.config.chainId, nonce: nonce,
                                     maxPriorityFeePerGas: .zero, maxFeePerGas: baseFee &* U256(2) &+ U256(1),
                                     gasLimit: min(15_000_000, l1Execution.gasAvailable), to: rollup, value: .zero, data: data)
            .signed(with: builderKey)
        var submitted: [SimulatedTransaction] = []
        do {
            try Self.apply([submission], layer: "submission", to: l1Execution, reverting: [], into: &submitted)
        } catch let failure as SimulationFailure where !proverTrouble.isEmpty {
            // The Rollup refused the proofs the provers left it: say which provers failed.
            throw SimulationFailure(layer: failure.layer, hash: failure.hash,
                                    reason: "\(failure.reason) (provers: \(proverTrouble.joined(separator: "; ")))")
        }
        simulation.submission = submitted.first
        simulation.submissionTransaction = submission
        try Self.apply(bundle.l1After, layer: "l1After", to: l1Execution, reverting: bundle.revertingTxHashes,
                       senders: bundle.senders, into: &simulation.l1After)

        // L1 value: what reached the builder's address, its own submission's cost added back.
        let changes = try l1Execution.finishChanges()
        let builderAfter = changes.changes.last { $0.address == builder }?.info?.balance ?? builderBefore
        let cost = U256(submitted[0].gasUsed) &* baseFee
        simulation.l1Value = builderAfter &+ cost > builderBefore ? builderAfter &+ cost &- builderBefore : .zero
    }

    /// The header L1 block `N` is simulated under.
    func l1BlockHeader() -> BlockHeader {
        let attributes = BlockAttributes(timestamp: l1Timestamp, coinbase: .zero,
                                         prevRandao: Keccak256.hash(l1.head.hash.bytes), parentBeaconBlockRoot: .zero)
        return BlockBuilder.template(after: l1.head, config: l1.config, attributes: attributes)
    }

    /// L1 block `N`'s header and its state after the pre-block system calls, made once per handoff for the drafts.
    private var l1Start: (header: BlockHeader, state: StateOverlay)?

    func l1DraftStart() -> (header: BlockHeader, state: StateOverlay) {
        if let l1Start { return l1Start }
        let header = l1BlockHeader()
        let opening = BlockExecution(config: l1.config, header: header, backend: l1.state)
        let state = StateOverlay(parent: l1.state)
        state.apply(opening.state.takeChanges())
        l1Start = (header, state)
        return (header, state)
    }

    /// Drafts of `bundles` (`simulate(_:draft: true)`) on `threads` threads at once. A draft only reads: the forks
    /// (thread-safe, their remote reads coalesced) and the block starts, made here before the threads share them;
    /// so one draft's work overlaps another's wait for a remote read.
    ///
    /// The reads the prefetch could not foresee (the slots a deposit touches on each chain, say) would be one round
    /// trip each. So the drafts first run with the forks deferring them (`ForkedState.deferringReads`): a draft that
    /// missed a value is run again once all the misses have been fetched, in a few batches. A second deferred round
    /// catches reads that depended on the first ones; a last round fetches whatever is still missing as it goes.
    public func drafts(_ bundles: [CrossLayerBundle], threads: Int) -> [JointSimulation] {
        _ = l1DraftStart()
        guard threads > 1, bundles.count > 1, (try? draftCheckpoint()) != nil else {
            return bundles.map { simulate($0, draft: true) }
        }
        let forks = [l1Base.remote, l2Fork.base.remote]
        var results = [JointSimulation?](repeating: nil, count: bundles.count)
        var pending = Array(bundles.indices)
        for round in 0..<3 where !pending.isEmpty {
            let deferring = round < 2
            for fork in forks { fork.deferringReads(deferring) }
            let outcomes = runDrafts(pending.map { bundles[$0] }, threads: threads)
            for fork in forks { fork.deferringReads(false) }
            var missed: [Int] = []
            for (index, outcome) in zip(pending, outcomes) {
                if deferring && outcome.missed { missed.append(index) } else { results[index] = outcome.simulation }
            }
            if !missed.isEmpty { for fork in forks { fork.fetchDeferred() } }
            pending = missed
        }
        return bundles.indices.map { results[$0] ?? simulate(bundles[$0], draft: true) }
    }

    /// `bundles`' drafts on `threads` threads, each with whether it read a value its fork deferred.
    func runDrafts(_ bundles: [CrossLayerBundle], threads: Int) -> [(simulation: JointSimulation, missed: Bool)] {
        let results = Mutex<[Int: (simulation: JointSimulation, missed: Bool)]>([:])
        let next = Atomic<Int>(0)
        // Shared for reading only, as above.
        nonisolated(unsafe) let simulator = self
        DispatchQueue.concurrentPerform(iterations: min(threads, bundles.count)) { _ in
            var mine: [(Int, (simulation: JointSimulation, missed: Bool))] = []
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < bundles.count else { break }
                let before = ForkedState.deferredReadsOnThisThread
                let simulation = simulator.simulate(bundles[index], draft: true)
                mine.append((index, (simulation, ForkedState.deferredReadsOnThisThread != before)))
            }
            results.withLock { table in for (index, result) in mine { table[index] = result } }
        }
        let table = results.withLock { $0 }
        return bundles.indices.map { index in
            if let result = table[index] { return result }
            let before = ForkedState.deferredReadsOnThisThread
            let simulation = simulate(bundles[index], draft: true)
            return (simulation, ForkedState.deferredReadsOnThisThread != before)
        }
    }

    /// The start of every draft's based block, made once per handoff: its header, and the slot-end block's state
    /// after the block's opening system calls (EIP-4788, EIP-2935, the anchor), with what those calls read.
    private var draftStart: (header: L2Header, state: StateOverlay, reads: JointSimulation.WitnessReads)?

    func draftCheckpoint() throws -> (header: L2Header, state: StateOverlay, reads: JointSimulation.WitnessReads) {
        if let draftStart { return draftStart }
        let head = try L2Header(blockHeader: l2.head.header)
        let attributes = L2Production.attributes(timestamp: max(head.base.timestamp, l1Timestamp - 1), coinbase: builder)
        let template = L2Header(base: BlockBuilder.template(after: l2.head, config: l2.config, attributes: attributes),
                                kind: .based, l1AnchorNumber: handoff.handoff.l1TargetBlockNumber - 1,
                                l1AnchorHash: handoff.handoff.l1ParentHash)
        let recorder = RecordingBackend(l2.state)
        let opening: L2BlockExecution
        do {
            opening = try L2BlockExecution(l2ChainId: handoff.handoff.l2ChainId, header: template, backend: recorder)
        } catch {
            throw SimulationFailure(layer: "l2", hash: nil, reason: "the block cannot start: \(error)")
        }
        let state = StateOverlay(parent: l2.state)
        state.apply(opening.execution.state.takeChanges())
        let start = (template, state, Self.reads(of: recorder))
        draftStart = start
        return start
    }

    /// The base fee of every draft's based block (nil when the block cannot start).
    func draftBaseFee() -> U256? {
        (try? draftCheckpoint())?.header.base.baseFeePerGas
    }

    static func reads(of recorder: RecordingBackend) -> JointSimulation.WitnessReads {
        var slots = recorder.slots
        for address in recorder.accounts where slots[address] == nil { slots[address] = [] }
        return JointSimulation.WitnessReads(slots: slots, codeHashes: recorder.codeHashes)
    }

    /// Executes the based block's deposits and transactions once, for a draft, from the block's start
    /// (`draftCheckpoint`): records each transaction, the wei its coinbase (the builder) received, and what it
    /// read.
    func draftBlock(_ bundle: CrossLayerBundle, deposits: [DepositMessage], into simulation: inout JointSimulation) throws {
        let start = try draftCheckpoint()
        let coinbaseBefore = l2.state.account(builder)?.balance ?? .zero
        let recorder = RecordingBackend(start.state)
        let execution = L2BlockExecution(l2ChainId: handoff.handoff.l2ChainId, header: start.header, startedOn: recorder)
        do {
            for deposit in deposits { try execution.deliver(deposit) }
        } catch {
            throw SimulationFailure(layer: "l2", hash: nil, reason: "the deposits cannot be relayed: \(error)")
        }
        try Self.apply(bundle.l2, layer: "l2", to: execution.execution, reverting: bundle.revertingTxHashes,
                       senders: bundle.senders, into: &simulation.l2)
        // The post-block system calls change nothing a draft weighs: the coinbase's balance is read as it stands.
        let coinbaseAfter = execution.execution.state.balance(builder)
        simulation.l2Value = coinbaseAfter > coinbaseBefore ? coinbaseAfter &- coinbaseBefore : .zero
        simulation.l2Reads = Self.reads(of: recorder)
        simulation.readsBlockEnvironment = execution.execution.state.readBlockEnvironment
    }

    /// How many of `reads` (drafts' reads, in the order their bundles would be merged) fit one based block's EXECUTE
    /// proof within `budget` bytes: the witness's distinct trie nodes (from the fork's proofs, fetched in batches as
    /// far as needed) and codes, added one bundle at a time.
    public func fittingProofBudget(_ reads: [JointSimulation.WitnessReads], budget: Int) throws -> Int {
        var nodes: Set<ByteKey> = []
        var codes: Set<Hash> = []
        var proven: Set<Address> = []
        var bytes = 0
        let chunk = 128
        // The block's opening system calls' reads come first: every block has them.
        let all = [try draftCheckpoint().reads] + reads
        for start in stride(from: 0, to: all.count, by: chunk) {
            let group = all[start..<min(start + chunk, all.count)]
            var requests: [Address: Set<U256>] = [:]
            for read in group { requests.merge(read.slots) { $0.union($1) } }
            let ordered = Array(requests)
            let proofs = try l2Fork.base.cachedProofs(ordered.map { ($0.key, Array($0.value)) })
            let byAddress = Dictionary(zip(ordered.map(\.key), proofs), uniquingKeysWith: { first, _ in first })
            for (offset, read) in group.enumerated() {
                for address in read.slots.keys where !proven.contains(address) || !(read.slots[address]?.isEmpty ?? true) {
                    proven.insert(address)
                    guard let proof = byAddress[address] else { continue }
                    for node in proof.accountProof + proof.storageProof where nodes.insert(ByteKey(node)).inserted {
                        bytes += node.count + 3
                    }
                }
                for hash in read.codeHashes where hash != AccountInfo.emptyCodeHash && codes.insert(hash).inserted {
                    bytes += (l2.state.code(hash: hash)?.count ?? 0) + 3
                }
                if bytes > budget { return max(0, start + offset - 1) }
            }
        }
        return reads.count
    }

    /// Executes and seals the based block; returns it, its execution witness against the slot-end block's state,
    /// and the wei its coinbase (the builder) received.
    func basedBlock(_ bundle: CrossLayerBundle, deposits: [DepositMessage],
                    into results: inout [SimulatedTransaction]) throws -> (L2Block, ExecutionWitness, U256, [Hash]) {
        let head = try L2Header(blockHeader: l2.head.header)
        let attributes = L2Production.attributes(timestamp: max(head.base.timestamp, l1Timestamp - 1), coinbase: builder)
        let anchor = (number: handoff.handoff.l1TargetBlockNumber - 1, hash: handoff.handoff.l1ParentHash)
        let template = L2Header(base: BlockBuilder.template(after: l2.head, config: l2.config, attributes: attributes),
                                kind: .based, l1AnchorNumber: anchor.number, l1AnchorHash: anchor.hash)
        let recorder = RecordingBackend(l2.state)
        let coinbaseBefore = l2.state.account(builder)?.balance ?? .zero
        // One execution makes the block: its reads recorded (for the witness and each transaction's result), its
        // post-state prepared on the fork, its header filled in and sealed as the sequencer's rebuild will (the
        // stateless re-execution checks every root of it against an independent run).
        let execution: L2BlockExecution
        do {
            execution = try L2BlockExecution(l2ChainId: handoff.handoff.l2ChainId, header: template,
                                             execution: BlockExecution(config: l2.config, header: template.base,
                                                                       worldState: l2.state, readingThrough: recorder))
            for deposit in deposits { try execution.deliver(deposit) }
        } catch {
            throw SimulationFailure(layer: "l2", hash: nil, reason: "the deposits cannot be relayed: \(error)")
        }
        try Self.apply(bundle.l2, layer: "l2", to: execution.execution, reverting: bundle.revertingTxHashes,
                       senders: bundle.senders, into: &results)
        // The withdrawals: the deposits' (relaying one may send to L1), then the transactions', in order.
        let withdrawalIds = execution.withdrawalIds
            + L2BlockExecution.withdrawalIds(in: execution.execution.receipts.flatMap(\.logs))
        // The post-state needs the proofs of what changed: those asked for ahead first.
        proofsAhead?.wait()
        let result = try execution.execution.finish()
        let coinbaseAfter = result.pendingState.changes.last { $0.address == builder }?.info?.balance ?? coinbaseBefore
        let witness = try remoteWitness(recorder: recorder, changes: result.pendingState.changes)
        var header = template.base
        try l2.config.validateHeader(header, parent: l2.head.header)
        let fork = l2.config.fork(at: header.timestamp)
        BlockBuilder.fill(&header, transactions: bundle.l2, result: result, fork: fork)
        L2Production.seal(&header, plan: L2BlockPlan(kind: .based, l1AnchorNumber: anchor.number, l1AnchorHash: anchor.hash,
                                                     deposits: deposits, groups: []),
                          depositIds: execution.depositIds, withdrawalIds: withdrawalIds)
        // Before proving: an EXECUTE proof over MAX_PROOF_DATA would make the Rollup revert.
        if executeProof {
            let size = ExecuteCall.executeProof(parent: head, witness: witness).count
            guard size <= RollupProtocol.maxProofData else {
                throw SimulationFailure(layer: "proofs", hash: nil,
                                        reason: "the execute proof would be \(size) bytes, over MAX_PROOF_DATA (\(RollupProtocol.maxProofData))")
            }
        }
        let sealed = Block(header: header, transactions: bundle.l2, ommers: [], withdrawals: fork >= .shanghai ? [] : nil)
        let block = try L2Block(built: sealed, deposits: deposits)
        return (block, witness, coinbaseAfter > coinbaseBefore ? coinbaseAfter &- coinbaseBefore : .zero, withdrawalIds)
    }

    /// The execution witness of a run on the slot-end block's state, from the L2 node's `eth_getProof` answers at
    /// that block: the proofs of every account and slot read or written, the code run, the block hashes read.
    func remoteWitness(recorder: RecordingBackend, changes: [AccountChange]) throws -> ExecutionWitness {
        var slots = recorder.slots
        var accounts = recorder.accounts
        for change in changes {
            accounts.insert(change.address)
            for key in change.storage.keys { slots[change.address, default: []].insert(key) }
        }
        var stateNodes: [[UInt8]] = []
        var storageNodes: [[UInt8]] = []
        let ordered = accounts.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        // Proofs asked for ahead (`fetchProofsAhead`) arrive first: what they cover is not asked for twice.
        proofsAhead?.wait()
        // The fork's proofs at the slot-end block (cached there: the sealing of the block needs the same ones).
        for proof in try l2Fork.base.cachedProofs(ordered.map { ($0, Array(slots[$0] ?? [])) }) {
            stateNodes += proof.accountProof
            storageNodes += proof.storageProof
        }
        var codes: [[UInt8]] = []
        for hash in recorder.codeHashes where hash != AccountInfo.emptyCodeHash {
            if let code = l2.state.code(hash: hash) { codes.append(code) }
        }
        var blockHashes: [UInt64: Hash] = [:]
        for number in recorder.blockNumbers {
            if let hash = l2.state.blockHash(number: number) { blockHashes[number] = hash }
        }
        return ExecutionWitness(stateRoot: l2Fork.header.stateRoot, stateNodes: stateNodes.removingDuplicates(),
                                storageNodes: storageNodes.removingDuplicates(), codes: codes, blockHashes: blockHashes)
    }
}

/// A computation on a thread of its own (not the dispatch pool's: `concurrentPerform` called from a pool thread was
/// seen to wait a second for a worker), whose result is waited for.
final class OwnThread<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<Value, Error>?

    /// Starts `work` on a new thread, or runs it here and now when `inline`.
    init(inline: Bool = false, _ work: @escaping @Sendable () throws -> Value) {
        if inline {
            outcome = Result { try work() }
            done.signal()
            return
        }
        let thread = Thread { [self] in
            outcome = Result { try work() }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the computation; its value, or what it threw.
    func result() throws -> Value {
        done.wait()
        done.signal()
        return try outcome!.get()
    }
}
