import Primitives

/// What every proof system verifies (`Specs/protocol.md` §6).
public struct PublicInputs: Hashable, Sendable {
    /// Which submission the inputs are for.
    public enum Mode: Hashable, Sendable {
        case based
        case settlement

        /// `BASED_TAG` or `SETTLEMENT_TAG`.
        public var tag: Hash { self == .based ? RollupProtocol.basedTag : RollupProtocol.settlementTag }
    }

    public var mode: Mode
    public var l2ChainId: UInt64
    public var parentBlockNumber: UInt64
    public var parentBlockHash: Hash
    public var parentStateRoot: Hash
    /// The last block of the submission.
    public var blockNumber: UInt64
    public var blockHash: Hash
    public var postStateRoot: Hash
    public var inboxHash: Hash
    public var outboxRoot: Hash
    public var l1BlockNumber: UInt64
    public var l1ParentHash: Hash
    public var submitter: Address
    public var blockDataHash: Hash

    public init(mode: Mode, l2ChainId: UInt64, parentBlockNumber: UInt64, parentBlockHash: Hash,
                parentStateRoot: Hash, blockNumber: UInt64, blockHash: Hash, postStateRoot: Hash, inboxHash: Hash,
                outboxRoot: Hash, l1BlockNumber: UInt64, l1ParentHash: Hash, submitter: Address,
                blockDataHash: Hash) {
        self.mode = mode
        self.l2ChainId = l2ChainId
        self.parentBlockNumber = parentBlockNumber
        self.parentBlockHash = parentBlockHash
        self.parentStateRoot = parentStateRoot
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.postStateRoot = postStateRoot
        self.inboxHash = inboxHash
        self.outboxRoot = outboxRoot
        self.l1BlockNumber = l1BlockNumber
        self.l1ParentHash = l1ParentHash
        self.submitter = submitter
        self.blockDataHash = blockDataHash
    }

    /// The 14 ABI words.
    public var encoded: [UInt8] {
        var words = ABIWords(capacity: 14)
        words.append(self.mode.tag)
        words.append(self.l2ChainId)
        words.append(self.parentBlockNumber)
        words.append(self.parentBlockHash)
        words.append(self.parentStateRoot)
        words.append(self.blockNumber)
        words.append(self.blockHash)
        words.append(self.postStateRoot)
        words.append(self.inboxHash)
        words.append(self.outboxRoot)
        words.append(self.l1BlockNumber)
        words.append(self.l1ParentHash)
        words.append(self.submitter)
        words.append(self.blockDataHash)
        return words.bytes
    }

    /// `publicInputsHash`.
    public var hash: Hash { Keccak256.hash(self.encoded) }
}
