import Primitives

/// The L1 → L2 inbox's rolling hash (`Specs/protocol.md` §5.2): `h₀ = 0`, `hᵢ = keccak(hᵢ₋₁ ‖ depositIdᵢ)`.
public struct InboxHash: Hashable, Sendable {
    /// The hash so far.
    public private(set) var value: Hash = .zero

    public init() {}

    /// Folds in one deposit id.
    public mutating func append(_ depositId: Hash) {
        self.value = Keccak256.hash(self.value.bytes + depositId.bytes)
    }

    /// The rolling hash of `ids`.
    public static func of(_ ids: [Hash]) -> Hash {
        var hash = InboxHash()
        for id in ids { hash.append(id) }
        return hash.value
    }
}

/// The L2 → L1 outbox's binary Merkle tree over withdrawal ids (`Specs/protocol.md` §5.4).
public enum Outbox {
    /// The root: zero for no leaves; otherwise the leaves padded with zero words to a power of two and hashed
    /// pairwise (`keccak(left ‖ right)`); one leaf is its own root.
    public static func root(_ leaves: [Hash]) -> Hash {
        guard !leaves.isEmpty else { return .zero }
        var level = padded(leaves)
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { Keccak256.hash(level[$0].bytes + level[$0 + 1].bytes) }
        }
        return level[0]
    }

    /// The inclusion proof of leaf `index`: its siblings from the leaf level up.
    public static func proof(_ leaves: [Hash], index: Int) -> [Hash] {
        precondition(leaves.indices.contains(index), "leaf index out of range")
        var level = padded(leaves)
        var position = index
        var siblings: [Hash] = []
        while level.count > 1 {
            siblings.append(level[position ^ 1])
            level = stride(from: 0, to: level.count, by: 2).map { Keccak256.hash(level[$0].bytes + level[$0 + 1].bytes) }
            position >>= 1
        }
        return siblings
    }

    /// Whether `proof` shows `leaf` at `index` under `root`.
    public static func verify(leaf: Hash, index: UInt64, proof: [Hash], root: Hash) -> Bool {
        guard proof.count < 64, index >> proof.count == 0 else { return false }
        var node = leaf
        for (depth, sibling) in proof.enumerated() {
            node = (index >> depth) & 1 == 0
                ? Keccak256.hash(node.bytes + sibling.bytes) : Keccak256.hash(sibling.bytes + node.bytes)
        }
        return node == root
    }

    static func padded(_ leaves: [Hash]) -> [Hash] {
        var size = 1
        while size < leaves.count { size <<= 1 }
        return leaves + [Hash](repeating: .zero, count: size - leaves.count)
    }
}
