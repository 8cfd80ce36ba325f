import Primitives

/// Root hashes of whole storage and state tries, built from scratch from plain dictionaries.
///
/// For state that changes block by block, keep a `SecureTrie` and update it instead: its root is incremental.
public enum StateRoot {
    /// The root of an account's storage trie: `keccak256(slot as 32 big-endian bytes)` maps to the RLP of the
    /// value's minimal big-endian bytes; zero values are absent from the trie.
    public static func storageRoot(_ slots: [U256: U256]) -> Hash {
        var trie = SecureTrie()
        for (slot, value) in slots where !value.isZero {
            trie.update(key: slot.bigEndianBytes, value: storageValueEncoding(value))
        }
        return trie.rootHash
    }

    /// The state root: `keccak256(address)` maps to each account's RLP `[nonce, balance, storageRoot, codeHash]`.
    public static func stateRoot(_ accounts: [Address: AccountRecord]) -> Hash {
        var trie = SecureTrie()
        for (address, account) in accounts {
            trie.update(key: address.bytes, value: account.rlpEncoded)
        }
        return trie.rootHash
    }

    /// The storage trie's value for a slot: the RLP string of the value's minimal big-endian bytes.
    public static func storageValueEncoding(_ value: U256) -> [UInt8] {
        var encoder = RLPEncoder(capacity: 33)
        encoder.append(value)
        return encoder.bytes
    }

    /// Decodes a storage trie's value (`storageValueEncoding`'s inverse); nil when it is not an RLP string of at
    /// most 32 bytes.
    public static func storageValue(rlp bytes: [UInt8]) -> U256? {
        var reader = RLPReader(bytes)
        guard let payload = try? reader.readBytes(), payload.count <= 32 else { return nil }
        return U256(bigEndianBytes: payload)
    }
}
