import Chain
import Primitives

/// An L2 block header: the 21 Prague header fields followed by the five rollup fields (`Specs/protocol.md` §3.1).
/// The block hash is keccak256 of the RLP list of all 26.
public struct L2Header: Hashable, Sendable {
    /// The Ethereum fields. On the L2 every Prague field is present (`L2Header.checkRollupFieldRules()`).
    public var base: BlockHeader
    public var kind: L2BlockKind
    /// The L1 block this block builds on.
    public var l1AnchorNumber: UInt64
    public var l1AnchorHash: Hash
    /// The rolling hash of the deposits the block consumes (`Inbox`), zero when none.
    public var inboxHash: Hash
    /// The Merkle root of the withdrawals the block emits (`Outbox`), zero when none.
    public var outboxRoot: Hash

    public init(base: BlockHeader, kind: L2BlockKind, l1AnchorNumber: UInt64, l1AnchorHash: Hash,
                inboxHash: Hash = .zero, outboxRoot: Hash = .zero) {
        var base = base
        base.extensionFields = []  // the rollup fields are these properties
        self.base = base
        self.kind = kind
        self.l1AnchorNumber = l1AnchorNumber
        self.l1AnchorHash = l1AnchorHash
        self.inboxHash = inboxHash
        self.outboxRoot = outboxRoot
    }

    public var number: UInt64 { self.base.number }
    public var parentHash: Hash { self.base.parentHash }
    public var stateRoot: Hash { self.base.stateRoot }

    /// The block hash.
    public var hash: Hash { Keccak256.hash(self.rlpEncoded) }

    /// The header's RLP list.
    public var rlpEncoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 720)
        self.encode(into: &encoder)
        return encoder.bytes
    }

    /// Appends the header's RLP list to `encoder`.
    public func encode(into encoder: inout RLPEncoder) {
        self.blockHeader.encode(into: &encoder)
    }

    /// The header as the node core stores it: the Ethereum fields with the five rollup fields as extension fields
    /// (the same RLP, so the same hash).
    public var blockHeader: BlockHeader {
        var header = self.base
        var fields = RLPEncoder(capacity: 112)
        fields.append(UInt64(self.kind.rawValue))
        fields.append(self.l1AnchorNumber)
        fields.append(self.l1AnchorHash)
        fields.append(self.inboxHash)
        fields.append(self.outboxRoot)
        header.extensionFields = fields.bytes
        return header
    }

    /// The L2 header a stored header is (`blockHeader`'s inverse).
    /// - Throws: `L2BlockError` when its extension fields are not the five rollup fields.
    public init(blockHeader: BlockHeader) throws(L2BlockError) {
        self = try Self.decode(rlp: blockHeader.rlpEncoded)
    }

    /// Decodes a header from its RLP.
    /// - Throws: `L2BlockError` naming the field that is malformed.
    public static func decode(rlp bytes: [UInt8]) throws(L2BlockError) -> L2Header {
        var reader = RLPReader(bytes)
        let header = try decode(from: &reader)
        do {
            try reader.finish()
        } catch {
            throw L2BlockError("L2 header: \(error)")
        }
        return header
    }

    /// Reads one header list from `reader`.
    static func decode(from reader: inout RLPReader) throws(L2BlockError) -> L2Header {
        do {
            var list = try reader.readList()
            let base = try BlockHeader.decodeFields(from: &list, optionalFieldCount: 6)
            guard base.requestsHash != nil else {
                throw L2BlockError("L2 header: it ends before the rollup fields (an L2 header has 26 fields)")
            }
            let kindValue = try list.readUInt64("kind")
            guard kindValue <= UInt64(UInt8.max), let kind = L2BlockKind(rawValue: UInt8(kindValue)) else {
                throw L2BlockError("L2 header: kind \(kindValue) is not 0 (sequenced), 1 (slotEnd) or 2 (based)")
            }
            let anchorNumber = try list.readUInt64("L1 anchor number")
            let anchorHash = try list.readHash("L1 anchor hash")
            let inboxHash = try list.readHash("inbox hash")
            let outboxRoot = try list.readHash("outbox root")
            guard !list.hasMore else {
                throw L2BlockError("L2 header: more than 26 fields")
            }
            return L2Header(base: base, kind: kind, l1AnchorNumber: anchorNumber, l1AnchorHash: anchorHash,
                            inboxHash: inboxHash, outboxRoot: outboxRoot)
        } catch let error as L2BlockError {
            throw error
        } catch let error as InvalidBlock {
            throw L2BlockError("L2 header: \(error.message)")
        } catch {
            throw L2BlockError("L2 header: \(error)")
        }
    }

    /// Checks the field rules of `Specs/protocol.md` §3.1 that do not need the parent or an execution.
    /// - Throws: `L2BlockError` naming the field.
    public func checkRollupFieldRules() throws(L2BlockError) {
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(L2BlockError) {
            if !condition { throw L2BlockError("L2 block \(self.number): \(message())") }
        }
        try require(self.base.ommersHash == BlockHeader.emptyOmmersHash, "ommers hash is not keccak(rlp([]))")
        try require(self.base.difficulty.isZero, "difficulty is not 0")
        try require(self.base.nonce == 0, "nonce is not 0")
        try require(self.base.mixHash == .zero, "mix hash is not zero")
        try require(self.base.baseFeePerGas != nil, "base fee is missing")
        try require(self.base.withdrawalsRoot == BlockHeader.emptyTrieRoot, "withdrawals root is not the empty root")
        try require(self.base.blobGasUsed == 0, "blob gas used is not 0")
        try require(self.base.excessBlobGas == 0, "excess blob gas is not 0")
        try require(self.base.parentBeaconBlockRoot == .zero, "parent beacon block root is not zero")
        try require(self.base.requestsHash == RollupProtocol.emptyRequestsHash, "requests hash is not sha256(\"\")")
        try require(self.base.extraData.count <= 32, "extra data is longer than 32 bytes")
    }

    /// A header with the L2's fixed fields set (§3.1) and the rest from the arguments; roots default to empty.
    public static func template(parentHash: Hash, number: UInt64, timestamp: UInt64, gasLimit: UInt64,
                                baseFeePerGas: U256, coinbase: Address, kind: L2BlockKind,
                                l1AnchorNumber: UInt64, l1AnchorHash: Hash) -> L2Header {
        let base = BlockHeader(parentHash: parentHash, coinbase: coinbase, number: number, gasLimit: gasLimit,
                               timestamp: timestamp, baseFeePerGas: baseFeePerGas,
                               withdrawalsRoot: BlockHeader.emptyTrieRoot, blobGasUsed: 0, excessBlobGas: 0,
                               parentBeaconBlockRoot: .zero, requestsHash: RollupProtocol.emptyRequestsHash)
        return L2Header(base: base, kind: kind, l1AnchorNumber: l1AnchorNumber, l1AnchorHash: l1AnchorHash)
    }
}

/// A malformed or invalid L2 block, with what is wrong and where.
public struct L2BlockError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}
