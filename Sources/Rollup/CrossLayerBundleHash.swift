import Primitives

/// The hash of a cross-layer bundle (`Specs/protocol.md` §9.2):
/// `keccak(keccak(H(l1Before)) ‖ keccak(H(l2)) ‖ keccak(H(l1After)))`, where `H` concatenates transaction hashes.
public enum CrossLayerBundleHash {
    /// The Flashbots bundle hash of one leg: keccak of its concatenated transaction hashes.
    public static func legHash(_ transactionHashes: [Hash]) -> Hash {
        Keccak256.hash(transactionHashes.flatMap(\.bytes))
    }

    /// The bundle hash of the three legs.
    public static func of(l1Before: [Hash], l2: [Hash], l1After: [Hash]) -> Hash {
        Keccak256.hash(legHash(l1Before).bytes + legHash(l2).bytes + legHash(l1After).bytes)
    }
}
