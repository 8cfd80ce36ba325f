import Chain
import EVM
import Foundation
import Node
import Primitives
import Prover
import Rollup
import State

/// A range of sequenced and slot-end blocks ready to settle (`Specs/protocol.md` §7.4): the blocks after the
/// Rollup's settled head, and the execution witness of the range against the settled head's state.
public struct SettlementRange: Sendable {
    /// The settled head the range continues.
    public var parent: L2Header
    public var blocks: [L2Block]
    public var witness: ExecutionWitness
    public var blockData: [UInt8]

    public var last: L2Block { blocks[blocks.count - 1] }
    /// `l1BlockNumber` of the public inputs: one more than the last block's anchor.
    public var l1BlockNumber: UInt64 { last.header.l1AnchorNumber + 1 }

    /// The public inputs of settling the range from `submitter` (§6, `SETTLEMENT_TAG`).
    public func inputs(l2ChainId: UInt64, submitter: Address, outcome: L2RangeExecution) -> PublicInputs {
        PublicInputs(mode: .settlement, l2ChainId: l2ChainId, parentBlockNumber: parent.number,
                     parentBlockHash: parent.hash, parentStateRoot: parent.stateRoot, blockNumber: last.number,
                     blockHash: last.hash, postStateRoot: last.header.base.stateRoot, inboxHash: outcome.inboxHash,
                     outboxRoot: outcome.outboxRoot, l1BlockNumber: l1BlockNumber,
                     l1ParentHash: last.header.l1AnchorHash, submitter: submitter,
                     blockDataHash: Keccak256.hash(blockData))
    }
}

extension SequencerChain {
    /// The most blocks one settlement carries (besides the size limits of §1).
    public static let maxSettlementBlocks = 64

    /// The next range to settle on top of the Rollup's settled head `settled`: the blocks after it up to the
    /// first slot-end block, or the newest block, whose anchor's successor L1 has produced (`l1Head` is the L1's
    /// newest block number), shortened until the block data and the execute proof fit their limits. Nil when there
    /// is nothing to settle yet.
    /// - Throws: when the settled head is not on this chain, or its state is no longer kept.
    public func nextSettlement(after settled: (number: UInt64, hash: Hash), l1Head: UInt64) throws -> SettlementRange? {
        guard let parentBlock = node.chain.block(number: settled.number), parentBlock.hash == settled.hash else {
            throw NodeError("the Rollup's settled head, L2 block \(settled.number) (\(settled.hash)), is not on this chain")
        }
        var blocks: [L2Block] = []
        var number = settled.number + 1
        while number <= node.head.number, blocks.count < Self.maxSettlementBlocks, let stored = node.chain.block(number: number) {
            let header = try L2Header(blockHeader: stored.header)
            guard header.kind != .based, header.l1AnchorNumber + 1 <= l1Head else { break }
            blocks.append(L2Block(header: header, transactions: stored.block.transactions,
                                  deposits: ledger.deposits(inBlock: number)))
            if header.kind == .slotEnd { break }
            number += 1
        }
        // Within MAX_BLOCK_DATA.
        while !blocks.isEmpty, BlockData.encode(blocks).count > RollupProtocol.maxBlockData { blocks.removeLast() }
        guard !blocks.isEmpty else { return nil }
        guard let state = node.chain.state.state(atBlock: settled.number) else {
            throw NodeError("the state of the settled head, L2 block \(settled.number), is no longer kept (the last " +
                            "\(WorldState.historyDepth) blocks' are): the range after it cannot be proven here")
        }
        let parent = try L2Header(blockHeader: parentBlock.header)
        while true {
            let witness = try Self.witness(of: blocks, on: state, l2ChainId: l2ChainId)
            let proofSize = ExecuteCall.executeProof(parent: parent, witness: witness).count
            if proofSize <= RollupProtocol.maxProofData {
                return SettlementRange(parent: parent, blocks: blocks, witness: witness, blockData: BlockData.encode(blocks))
            }
            guard blocks.count > 1 else {
                throw NodeError("L2 block \(blocks[0].number) alone needs an execute proof of \(proofSize) bytes, above " +
                                "MAX_PROOF_DATA (\(RollupProtocol.maxProofData))")
            }
            blocks.removeLast(blocks.count / 2)
        }
    }

    /// The execution witness of `blocks` run on `state` (their parent's post-state): the blocks re-executed under
    /// the L2 rules with every read recorded.
    static func witness(of blocks: [L2Block], on state: HistoricalState, l2ChainId: UInt64) throws -> ExecutionWitness {
        let recorder = RecordingBackend(state)
        let overlay = StateOverlay(parent: recorder)
        var changes: [AccountChange] = []
        for block in blocks {
            let execution = try L2BlockExecution(l2ChainId: l2ChainId, header: block.header, backend: overlay)
            for deposit in block.deposits { try execution.deliver(deposit) }
            for transaction in block.transactions { try execution.apply(transaction) }
            let outcome = try execution.finish()
            overlay.apply(outcome.changes.changes)
            changes += outcome.changes.changes
        }
        return state.witness(recorder: recorder, changes: changes)
    }
}

/// The proofs for one submission under the harness policy (§8): attestations by the given prover keys, made only
/// after re-executing the blocks statelessly from the witness and checking every public input (§8.2), and the
/// `EXECUTE` proof (§8.3). Until `lockstep prove` serves attestations over HTTP, the sequencer attests with the
/// prover keys it is given.
public struct RangeProver: Sendable {
    public var l2ChainId: UInt64
    public var domain: RollupDomain
    /// The attestation provers' keys; empty: no attestation.
    public var attesters: [PrivateKey]
    /// Whether to include the execute proof.
    public var execute: Bool
    /// Attestation provers over HTTP (`lockstep prove`); used instead of `attesters` when set.
    public var provers: ProverClients?
    /// The external prover (proof system 2, §8.4), asked when the Rollup has that slot configured.
    public var externalProver: ExternalProverClient?

    public init(l2ChainId: UInt64, domain: RollupDomain, attesters: [PrivateKey], execute: Bool = true,
                provers: ProverClients? = nil, externalProver: ExternalProverClient? = nil) {
        self.externalProver = externalProver
        self.l2ChainId = l2ChainId
        self.domain = domain
        self.attesters = attesters
        self.execute = execute
        self.provers = provers
    }

    /// Re-executes `range` from its witness alone, checks it against the public inputs it implies for
    /// `submitter`, and returns those inputs with the proofs.
    /// - Throws: `L2BlockError` when the stateless re-execution fails or disagrees.
    public func prove(_ range: SettlementRange, submitter: Address) throws -> (inputs: PublicInputs, outcome: L2RangeExecution, proofs: [RollupCalls.Proof]) {
        let outcome = try L2StatelessExecutor.execute(l2ChainId: l2ChainId, parent: range.parent, blocks: range.blocks,
                                                      witness: range.witness)
        let inputs = range.inputs(l2ChainId: l2ChainId, submitter: submitter, outcome: outcome)
        guard outcome.matches(inputs, blockData: range.blockData) else {
            throw L2BlockError("the stateless re-execution of L2 blocks \(range.blocks[0].number)…\(range.last.number) " +
                               "does not match the settlement's public inputs")
        }
        var proofs: [RollupCalls.Proof] = []
        let executeProof = ExecuteCall.executeProof(parent: range.parent, witness: range.witness)
        if let provers {
            let request = AttestationRequest(mode: .settlement, blockData: range.blockData, executeProof: executeProof,
                                             l1BlockNumber: inputs.l1BlockNumber, l1ParentHash: inputs.l1ParentHash,
                                             submitter: submitter)
            let (proof, signers, failures) = provers.attest(request, expected: inputs.hash, domain: domain)
            guard signers > 0 else {
                throw L2BlockError("no attestation prover signed: \(failures.joined(separator: "; "))")
            }
            proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.attestationSystem, data: proof))
        } else if !attesters.isEmpty {
            proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.attestationSystem,
                                            data: RollupCalls.attestationProof(publicInputsHash: inputs.hash, domain: domain,
                                                                               keys: attesters)))
        }
        if let externalProver {
            let request = AttestationRequest(mode: .settlement, blockData: range.blockData, executeProof: executeProof,
                                             l1BlockNumber: inputs.l1BlockNumber, l1ParentHash: inputs.l1ParentHash,
                                             submitter: submitter)
            do {
                proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.externalSystem,
                                                data: try externalProver.prove(request, expected: inputs.hash)))
            } catch {
                throw L2BlockError("the external prover did not prove: \(error)")
            }
        }
        if execute {
            // Last: a failing EXECUTE consumes the gas forwarded to it (§8.1).
            proofs.append(RollupCalls.Proof(system: RollupCalls.Proof.executeSystem, data: executeProof))
        }
        return (inputs, outcome, proofs)
    }
}
