import Primitives

/// An account as the state trie stores it: the RLP list `[nonce, balance, storageRoot, codeHash]`
/// (Yellow Paper, section 4.1).
public struct AccountRecord: Hashable, Sendable {
    /// keccak256 of empty code: 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470.
    public static let emptyCodeHash: Hash = Keccak256.hash([UInt8]())

    /// The number of transactions sent (or, for a contract, contracts created).
    public var nonce: UInt64
    /// The balance in wei.
    public var balance: U256
    /// The root of the account's storage trie.
    public var storageRoot: Hash
    /// keccak256 of the account's code.
    public var codeHash: Hash

    /// An account; the defaults describe an empty account (no storage, no code).
    public init(nonce: UInt64 = 0, balance: U256 = .zero,
                storageRoot: Hash = MerklePatriciaTrie.emptyRootHash, codeHash: Hash = AccountRecord.emptyCodeHash) {
        self.nonce = nonce
        self.balance = balance
        self.storageRoot = storageRoot
        self.codeHash = codeHash
    }

    /// Decodes the state trie's RLP form.
    /// - Throws: `RLPError` when the bytes are not exactly a canonical `[nonce, balance, storageRoot, codeHash]`.
    public init(rlp bytes: [UInt8]) throws(RLPError) {
        var reader = RLPReader(bytes)
        var list = try reader.readList()
        nonce = try list.readUInt64("account nonce")
        balance = try list.readU256("account balance")
        storageRoot = try list.readHash("account storage root")
        codeHash = try list.readHash("account code hash")
        try list.finish()
        try reader.finish()
    }

    /// The RLP list `[nonce, balance, storageRoot, codeHash]` stored as the account's value in the state trie.
    public var rlpEncoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 110)
        encoder.appendList { list in
            list.append(nonce)
            list.append(balance)
            list.append(storageRoot)
            list.append(codeHash)
        }
        return encoder.bytes
    }
}
