import Primitives
import State

/// Roots of the ordered tries a header commits to: transactions, receipts and withdrawals, each keyed by
/// RLP(index) in a plain (not secure) Merkle-Patricia trie.
public enum OrderedTrie {
    /// The root of the trie mapping RLP(i) to `values[i]`.
    public static func root(_ values: [[UInt8]]) -> Hash {
        var trie = MerklePatriciaTrie()
        for (index, value) in values.enumerated() {
            var key = RLPEncoder(capacity: 9)
            key.append(UInt64(index))
            trie.update(key: key.bytes, value: value)
        }
        return trie.rootHash
    }

    /// The transactions root of a block body.
    public static func transactionsRoot(_ transactions: [Transaction]) -> Hash {
        root(transactions.map(\.encoded))
    }

    /// The receipts root.
    public static func receiptsRoot(_ receipts: [Receipt]) -> Hash {
        root(receipts.map(\.encoded))
    }

    /// The withdrawals root (EIP-4895).
    public static func withdrawalsRoot(_ withdrawals: [Withdrawal]) -> Hash {
        root(withdrawals.map(\.rlpEncoded))
    }
}
