import Primitives

/// A block as the chain store keeps it: the identifying hashes plus the encoded header and body.
///
/// The store does not decode `header` or `body`; their encoding belongs to the block layer.
public struct StoredBlock: Hashable, Sendable {
    /// The block number.
    public var number: UInt64
    /// The block hash.
    public var hash: Hash
    /// The parent block's hash.
    public var parentHash: Hash
    /// The state root after this block, as its producer computed it.
    public var stateRoot: Hash
    /// The encoded header.
    public var header: [UInt8]
    /// The encoded body (transactions and the rest).
    public var body: [UInt8]

    /// Creates a stored block.
    public init(number: UInt64, hash: Hash, parentHash: Hash, stateRoot: Hash, header: [UInt8], body: [UInt8]) {
        self.number = number
        self.hash = hash
        self.parentHash = parentHash
        self.stateRoot = stateRoot
        self.header = header
        self.body = body
    }
}
