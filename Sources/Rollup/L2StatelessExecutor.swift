import Chain
import EVM
import Primitives
import State

/// What a stateless re-execution of consecutive L2 blocks established (`Specs/protocol.md` §6, §8.3).
public struct L2RangeExecution: Hashable, Sendable {
    public var parentBlockNumber: UInt64
    public var parentBlockHash: Hash
    public var parentStateRoot: Hash
    /// The last block's number, hash and state root.
    public var blockNumber: UInt64
    public var blockHash: Hash
    public var postStateRoot: Hash
    /// Over the whole range: the rolling hash of every consumed deposit id, the root over every withdrawal id.
    public var inboxHash: Hash
    public var outboxRoot: Hash
    /// The last block's anchor.
    public var l1AnchorNumber: UInt64
    public var l1AnchorHash: Hash
    public var blockCount: Int
    /// Bit `k` set when a block of kind `k` occurs.
    public var kinds: UInt64
    public var depositIds: [Hash]
    public var withdrawalIds: [Hash]
    /// Gas used by the blocks' transactions.
    public var gasUsed: UInt64

    /// Whether the range satisfies the kind and anchor rules of `mode` against the public inputs' L1 fields.
    public func satisfies(_ mode: PublicInputs.Mode, l1BlockNumber: UInt64, l1ParentHash: Hash) -> Bool {
        guard l1BlockNumber >= 1, self.l1AnchorNumber == l1BlockNumber - 1, self.l1AnchorHash == l1ParentHash else {
            return false
        }
        switch mode {
        case .based:
            return self.blockCount == 1 && self.kinds == 1 << UInt64(L2BlockKind.based.rawValue)
        case .settlement:
            return self.blockCount >= 1 && self.kinds & (1 << UInt64(L2BlockKind.based.rawValue)) == 0
        }
    }

    /// Whether the range is exactly what `inputs` claim (all but the mode's kind rules, see `satisfies`).
    public func matches(_ inputs: PublicInputs, blockData: [UInt8]) -> Bool {
        inputs.parentBlockNumber == self.parentBlockNumber && inputs.parentBlockHash == self.parentBlockHash
            && inputs.parentStateRoot == self.parentStateRoot && inputs.blockNumber == self.blockNumber
            && inputs.blockHash == self.blockHash && inputs.postStateRoot == self.postStateRoot
            && inputs.inboxHash == self.inboxHash && inputs.outboxRoot == self.outboxRoot
            && inputs.blockDataHash == Keccak256.hash(blockData)
            && self.satisfies(inputs.mode, l1BlockNumber: inputs.l1BlockNumber, l1ParentHash: inputs.l1ParentHash)
    }
}

/// Re-executes consecutive L2 blocks from an execution witness alone: the attestation prover's check and the
/// `EXECUTE` precompile's body. Every header field is checked against the execution; anything the witness lacks
/// is an error, never a guess.
public enum L2StatelessExecutor {
    /// Executes `blocks` on top of `parent`.
    /// - Parameters:
    ///   - parent: the header of the block before the first (its hash and state root anchor everything).
    ///   - witness: against `parent.stateRoot`, covering every block.
    /// - Throws: `L2BlockError` saying what is wrong, with the block number.
    ///   - knownSenders: senders already recovered, by transaction hash (a builder checking its own block); the others
    ///     are recovered here, a block's on every core.
    public static func execute(l2ChainId: UInt64, parent: L2Header, blocks: [L2Block], witness: ExecutionWitness,
                               knownSenders: [Hash: Address] = [:]) throws(L2BlockError) -> L2RangeExecution {
        guard !blocks.isEmpty else { throw L2BlockError("no blocks to execute") }
        guard witness.stateRoot == parent.stateRoot else {
            throw L2BlockError("the witness is against state root \(witness.stateRoot), the parent block's is \(parent.stateRoot)")
        }
        let state: StatelessState
        do {
            state = try StatelessState(witness: witness)
        } catch {
            throw L2BlockError(error.description)
        }
        let parentHash = parent.hash
        state.setBlockHash(parentHash, number: parent.number)
        var previous = parent
        var previousHash = parentHash
        var depositIds: [Hash] = []
        var withdrawalIds: [Hash] = []
        var kinds: UInt64 = 0
        var gasUsed: UInt64 = 0
        for block in blocks {
            let header = block.header
            try checkLinkage(header, parent: previous, parentHash: previousHash)
            // A read the witness cannot support returns "absent" and is recorded as the state's failure; report that,
            // not whatever the execution made of the missing value.
            func witnessFailure() -> L2BlockError? {
                state.failure.map { L2BlockError("L2 block \(header.number): the witness cannot support the execution: \($0)") }
            }
            let outcome: L2BlockOutcome
            do throws(L2BlockError) {
                let execution = try L2BlockExecution(l2ChainId: l2ChainId, header: header, backend: state)
                for deposit in block.deposits { try execution.deliver(deposit) }
                // A transaction whose signature does not recover is applied without a sender, which reports why.
                let senders = knownSenders.isEmpty
                    ? Transaction.recoverSenders(block.transactions)
                    : block.transactions.map { knownSenders[$0.hash] ?? (try? $0.recoverSender()) }
                for (index, transaction) in block.transactions.enumerated() {
                    do {
                        try execution.apply(transaction, sender: senders[index])
                    } catch {
                        throw witnessFailure() ?? L2BlockError("L2 block \(header.number): transaction \(index): \(error.message)")
                    }
                }
                outcome = try execution.finish()
            } catch {
                throw witnessFailure() ?? error
            }
            if let failure = witnessFailure() { throw failure }
            try outcome.check(header)
            let root: Hash
            do {
                root = try state.postStateRoot(applying: outcome.changes.changes)
            } catch {
                throw L2BlockError("L2 block \(header.number): \(error.description)")
            }
            guard root == header.stateRoot else {
                throw L2BlockError("L2 block \(header.number): state root is \(header.stateRoot), execution gives \(root)")
            }
            let hash = header.hash
            state.setBlockHash(hash, number: header.number)
            depositIds += outcome.depositIds
            withdrawalIds += outcome.withdrawalIds
            kinds |= 1 << UInt64(header.kind.rawValue)
            gasUsed += outcome.changes.gasUsed
            previous = header
            previousHash = hash
        }
        return L2RangeExecution(
            parentBlockNumber: parent.number, parentBlockHash: parentHash, parentStateRoot: parent.stateRoot,
            blockNumber: previous.number, blockHash: previousHash, postStateRoot: previous.stateRoot,
            inboxHash: InboxHash.of(depositIds), outboxRoot: Outbox.root(withdrawalIds),
            l1AnchorNumber: previous.l1AnchorNumber, l1AnchorHash: previous.l1AnchorHash, blockCount: blocks.count,
            kinds: kinds, depositIds: depositIds, withdrawalIds: withdrawalIds, gasUsed: gasUsed)
    }

    /// The header rules between a block and its parent (§3.1, §4): number, hash, timestamp, gas limit, base fee,
    /// anchor; and the fixed fields.
    public static func checkLinkage(_ header: L2Header, parent: L2Header, parentHash: Hash) throws(L2BlockError) {
        try header.checkRollupFieldRules()
        let number = header.number
        guard header.number == parent.number + 1 else {
            throw L2BlockError("L2 block \(number): number follows \(parent.number)")
        }
        guard header.parentHash == parentHash else {
            throw L2BlockError("L2 block \(number): parent hash is \(header.parentHash), the parent's hash is \(parentHash)")
        }
        guard header.base.timestamp >= parent.base.timestamp else {
            throw L2BlockError("L2 block \(number): timestamp \(header.base.timestamp) is before the parent's \(parent.base.timestamp)")
        }
        guard FeeMarket.isValidGasLimit(header.base.gasLimit, parentGasLimit: parent.base.gasLimit) else {
            throw L2BlockError("L2 block \(number): gas limit \(header.base.gasLimit) is out of bounds for the parent's \(parent.base.gasLimit)")
        }
        let baseFee = FeeMarket.nextBaseFee(parent: parent.base)
        guard header.base.baseFeePerGas == baseFee else {
            throw L2BlockError("L2 block \(number): base fee is \(header.base.baseFeePerGas?.description ?? "missing"), EIP-1559 gives \(baseFee)")
        }
        guard header.l1AnchorNumber >= parent.l1AnchorNumber else {
            throw L2BlockError("L2 block \(number): L1 anchor \(header.l1AnchorNumber) is before the parent's \(parent.l1AnchorNumber)")
        }
    }
}
