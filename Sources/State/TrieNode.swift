import Primitives

/// One node of the in-memory trie, stored by index in the trie's node arena.
///
/// A single struct covers the node kinds so the arena is one flat array; the fields a kind does not use stay
/// empty. Children are arena indices, `TrieNode.none` (-1) for an empty slot.
struct TrieNode: Sendable {
    /// The three node kinds of the Merkle-Patricia trie (Yellow Paper, appendix D).
    enum Kind: UInt8, Sendable {
        /// `[hexPrefix(path, leaf), value]`: the rest of one key and its value.
        case leaf
        /// `[hexPrefix(path), child]`: a path shared by every key below, then one branch.
        case `extension`
        /// `[child0 … child15, value]`: one child per next nibble, and the value of the key that ends here.
        case branch
        /// A subtree known only by the 32-byte hash its parent commits to, as in a trie built from proofs (a
        /// stateless witness): `value` holds the hash. Its reference is set when it is created and never changes,
        /// since nothing below it can be read or written.
        case unresolved
    }

    /// The index that marks an empty child slot or an empty trie.
    static let none: Int32 = -1

    /// Which kind of node this is.
    var kind: Kind
    /// Leaf and extension: the nibbles this node consumes.
    var path: [UInt8]
    /// Leaf: the value. Branch: the value of the key ending here, empty when there is none.
    var value: [UInt8]
    /// Branch: the 16 children. Extension: slot 0 holds the child branch.
    var children: BranchChildren

    /// A leaf holding `value` under the remaining key nibbles `path`.
    static func leaf(path: [UInt8], value: [UInt8]) -> TrieNode {
        TrieNode(kind: .leaf, path: path, value: value, children: BranchChildren())
    }

    /// An extension consuming `path` before reaching `child`.
    static func `extension`(path: [UInt8], child: Int32) -> TrieNode {
        var children = BranchChildren()
        children[0] = child
        return TrieNode(kind: .extension, path: path, value: [], children: children)
    }

    /// A branch with no children and no value yet.
    static func branch() -> TrieNode {
        TrieNode(kind: .branch, path: [], value: [], children: BranchChildren())
    }

    /// A subtree the trie knows only by `hash`.
    static func unresolved(hash: Hash) -> TrieNode {
        TrieNode(kind: .unresolved, path: [], value: hash.bytes, children: BranchChildren())
    }

    /// An unresolved node's hash; meaningless for the other kinds.
    var unresolvedHash: Hash {
        Hash(bytes: value) ?? .zero
    }

    /// An extension's child.
    var child: Int32 {
        get { children[0] }
        set { children[0] = newValue }
    }
}

/// The 16 child indices of a branch, inline in the node so that walking a branch touches no other allocation.
struct BranchChildren: Sendable {
    private var slots: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                        Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)

    /// Sixteen empty slots.
    init() {
        let none = TrieNode.none
        slots = (none, none, none, none, none, none, none, none, none, none, none, none, none, none, none, none)
    }

    /// The child under `nibble` (0…15; callers derive nibbles by masking, so the range holds by construction).
    @inline(__always)
    subscript(nibble: Int) -> Int32 {
        get {
            withUnsafeBytes(of: slots) { $0.load(fromByteOffset: (nibble & 0x0f) &* 4, as: Int32.self) }
        }
        set {
            withUnsafeMutableBytes(of: &slots) {
                $0.storeBytes(of: newValue, toByteOffset: (nibble & 0x0f) &* 4, as: Int32.self)
            }
        }
    }
}

/// How a parent refers to a child node: by the Keccak-256 hash of the child's encoding, or, when that encoding is
/// shorter than 32 bytes, by the encoding itself inlined into the parent.
///
/// Both fit in 32 bytes, so the cache is fixed-size: `count` 32 means `storage` is a hash, 1…31 an inline encoding,
/// and 0 that the reference has not been computed (no encoding is empty).
struct NodeReference: Sendable {
    /// The hash, or the inline encoding padded with zeros.
    var storage: Hash
    /// 32 for a hash, the encoding length for an inline node, 0 for "not computed".
    var count: UInt8

    /// The marker of a dirty node.
    static let invalid = NodeReference(storage: .zero, count: 0)

    /// Whether the reference has been computed since the node last changed.
    @inline(__always)
    var isValid: Bool { count != 0 }

    /// Whether the parent stores a hash (rather than the inline encoding).
    @inline(__always)
    var isHash: Bool { count == 32 }

    /// The number of bytes this reference takes inside the parent's RLP: a 32-byte string needs a one-byte header,
    /// an inline node is its own RLP item.
    @inline(__always)
    var encodedLength: Int { count == 32 ? 33 : Int(count) }

    /// The reference for a node whose complete encoding is `encoding`.
    @inline(__always)
    init(encoding: UnsafeRawBufferPointer) {
        if encoding.count >= 32 {
            storage = Keccak256.hash(encoding)
            count = 32
        } else {
            var padded = Hash.zero
            withUnsafeMutableBytes(of: &padded) { $0.copyMemory(from: encoding) }
            storage = padded
            count = UInt8(encoding.count)
        }
    }

    init(storage: Hash, count: UInt8) {
        self.storage = storage
        self.count = count
    }

    /// Appends the reference as the parent's RLP item.
    @inline(__always)
    func append(to output: inout [UInt8]) {
        withUnsafeBytes(of: storage) { raw in
            if count == 32 {
                output.append(0x80 + 32)
                output.append(contentsOf: raw)
            } else {
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<Int(count)]))
            }
        }
    }

    /// The root hash of a trie whose root has this reference: the root is always hashed, even when short.
    var rootHash: Hash {
        if count == 32 { return storage }
        return withUnsafeBytes(of: storage) { Keccak256.hash(UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)])) }
    }
}

/// The few RLP length computations the node encoder needs to size a list before writing it.
enum TrieRLP {
    /// Bytes taken by the header of a string or list whose payload is `length` bytes.
    @inline(__always)
    static func headerLength(payload length: Int) -> Int {
        length < 56 ? 1 : 1 + (64 - UInt64(length).leadingZeroBitCount + 7) / 8
    }

    /// Bytes taken by `bytes` encoded as an RLP string.
    @inline(__always)
    static func stringLength(_ bytes: [UInt8]) -> Int {
        if bytes.count == 1 && bytes[0] < 0x80 { return 1 }
        return headerLength(payload: bytes.count) + bytes.count
    }

    /// Appends a header: `offset` is 0x80 for a string, 0xc0 for a list.
    @inline(__always)
    static func appendHeader(offset: UInt8, length: Int, to output: inout [UInt8]) {
        if length < 56 {
            output.append(offset + UInt8(length))
        } else {
            let lengthBytes = (64 - UInt64(length).leadingZeroBitCount + 7) / 8
            output.append(offset + 55 + UInt8(lengthBytes))
            var shift = (lengthBytes - 1) * 8
            while shift >= 0 {
                output.append(UInt8(truncatingIfNeeded: length >> shift))
                shift -= 8
            }
        }
    }

    /// Appends `bytes` as an RLP string.
    @inline(__always)
    static func appendString(_ bytes: [UInt8], to output: inout [UInt8]) {
        if bytes.count == 1 && bytes[0] < 0x80 {
            output.append(bytes[0])
        } else {
            appendHeader(offset: 0x80, length: bytes.count, to: &output)
            output.append(contentsOf: bytes)
        }
    }
}
