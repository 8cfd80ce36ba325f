import EVM
import Primitives

/// The Rollup contract's `BasedBlock` event (`Specs/protocol.md` §7.3, §7.5): a based block L1 accepted, with the
/// block data it carried. Decoding checks that the data is the one block the event names.
public struct BasedBlockEvent: Sendable {
    /// `BasedBlock(bytes32 indexed blockHash, uint256 blockNumber, bytes32 parentHash, bytes32 postStateRoot,
    /// bytes32 slotEndHash, address submitter, bytes blockData)`.
    public static let topic = Keccak256.hash(Array("BasedBlock(bytes32,uint256,bytes32,bytes32,bytes32,address,bytes)".utf8))

    public var blockHash: Hash
    public var blockNumber: UInt64
    public var parentHash: Hash
    public var postStateRoot: Hash
    /// The slot-end block of the handoff the block was built on.
    public var slotEndHash: Hash
    public var submitter: Address
    /// The block itself, decoded from `blockData`.
    public var block: L2Block

    /// Reads a `BasedBlock` log.
    /// - Throws: `L2BlockError` when the log is not a well-formed `BasedBlock` or its data is not the block it names.
    public init(log: Log) throws(L2BlockError) {
        guard log.topics.count == 2, log.topics[0] == Self.topic else { throw L2BlockError("not a BasedBlock log") }
        let decoded: (words: [U256], dynamic: [[UInt8]])
        do {
            decoded = try ABIWords.decode(log.data, words: 5, dynamic: 1, maxDynamicLength: RollupProtocol.maxBlockData)
        } catch {
            throw L2BlockError("BasedBlock: \(error)")
        }
        let words = decoded.words
        guard let number = words[0].uint64, words[4] >> 160 == .zero else {
            throw L2BlockError("BasedBlock: the block number or the submitter is out of range")
        }
        blockHash = log.topics[1]
        blockNumber = number
        parentHash = Hash(word: words[1])
        postStateRoot = Hash(word: words[2])
        slotEndHash = Hash(word: words[3])
        submitter = Address(word: words[4])
        let blocks = try BlockData.decode(decoded.dynamic[0])
        guard blocks.count == 1, let block = blocks.first else {
            throw L2BlockError("BasedBlock: the block data holds \(blocks.count) blocks, not one")
        }
        guard block.hash == blockHash, block.number == blockNumber, block.header.base.parentHash == parentHash,
              block.header.base.stateRoot == postStateRoot, block.header.kind == .based else {
            throw L2BlockError("BasedBlock: the block data is not the based block \(blockHash) the event names")
        }
        self.block = block
    }
}

/// The Rollup contract's `Settled` event (§7.4): a range of sequenced and slot-end blocks settled, with their data.
public struct SettledEvent: Sendable {
    /// `Settled(bytes32 indexed blockHash, uint256 blockNumber, bytes32 parentHash, bytes32 postStateRoot,
    /// bytes32 outboxRoot, bytes blockData)`.
    public static let topic = Keccak256.hash(Array("Settled(bytes32,uint256,bytes32,bytes32,bytes32,bytes)".utf8))

    /// The range's last block.
    public var blockHash: Hash
    public var blockNumber: UInt64
    /// The parent of the range's first block (the settled head before).
    public var parentHash: Hash
    public var postStateRoot: Hash
    public var outboxRoot: Hash
    /// The range's blocks, decoded from `blockData`.
    public var blocks: [L2Block]

    /// Reads a `Settled` log.
    /// - Throws: `L2BlockError` when the log is not a well-formed `Settled` or its data is not the range it names.
    public init(log: Log) throws(L2BlockError) {
        guard log.topics.count == 2, log.topics[0] == Self.topic else { throw L2BlockError("not a Settled log") }
        let decoded: (words: [U256], dynamic: [[UInt8]])
        do {
            decoded = try ABIWords.decode(log.data, words: 4, dynamic: 1, maxDynamicLength: RollupProtocol.maxBlockData)
        } catch {
            throw L2BlockError("Settled: \(error)")
        }
        guard let number = decoded.words[0].uint64 else { throw L2BlockError("Settled: the block number is out of range") }
        blockHash = log.topics[1]
        blockNumber = number
        parentHash = Hash(word: decoded.words[1])
        postStateRoot = Hash(word: decoded.words[2])
        outboxRoot = Hash(word: decoded.words[3])
        blocks = try BlockData.decode(decoded.dynamic[0])
        guard let first = blocks.first, let last = blocks.last, last.hash == blockHash, last.number == blockNumber,
              first.header.base.parentHash == parentHash else {
            throw L2BlockError("Settled: the block data is not the range ending at \(blockHash) the event names")
        }
        for (previous, next) in zip(blocks, blocks.dropFirst()) where next.header.base.parentHash != previous.hash {
            throw L2BlockError("Settled: block \(next.number) of the data is not linked to block \(previous.number)")
        }
    }
}
