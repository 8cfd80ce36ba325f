/// A 32-byte value: a Keccak-256 digest, a block or transaction hash, a storage key or a state root.
///
/// Stored inline as four machine words holding the bytes in memory order, so comparing and hashing never allocate.
@frozen
public struct Hash: Hashable, Sendable, Comparable, CustomStringConvertible {
    @usableFromInline var a: UInt64
    @usableFromInline var b: UInt64
    @usableFromInline var c: UInt64
    @usableFromInline var d: UInt64

    /// The all-zero hash.
    public static let zero = Hash(a: 0, b: 0, c: 0, d: 0)

    @inlinable
    init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
        self.a = a; self.b = b; self.c = c; self.d = d
    }

    /// Loads 32 bytes from memory.
    @inlinable
    public init(loading pointer: UnsafeRawPointer) {
        a = pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        b = pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        d = pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    /// Creates a hash from exactly 32 bytes, or returns `nil` for any other length.
    @inlinable
    public init?<C: Collection<UInt8>>(bytes: C) {
        guard bytes.count == 32 else { return nil }
        var value = Hash.zero
        withUnsafeMutableBytes(of: &value) { raw in
            raw.copyBytes(from: bytes)
        }
        self = value
    }

    /// Creates a hash from up to 32 bytes, left-padded with zeros (as storage keys and values are).
    public init(leftPadding bytes: some Collection<UInt8>) {
        precondition(bytes.count <= 32, "Hash(leftPadding:) takes at most 32 bytes")
        var value = Hash.zero
        withUnsafeMutableBytes(of: &value) { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[(32 - bytes.count)...]).copyBytes(from: bytes)
        }
        self = value
    }

    /// Parses a `0x`-prefixed hex string of exactly 32 bytes.
    /// - Throws: `HexError` if the string is not 64 hex digits after `0x`.
    public init(hex: String) throws(HexError) {
        let bytes = try Hex.decode(hex, count: 32)
        self = Hash(bytes: bytes)!
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        Swift.withUnsafeBytes(of: self) { Array($0) }
    }

    /// Calls `body` with the 32 bytes.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: self) { try body($0) }
    }

    /// Writes the 32 bytes to memory.
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: a, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: c, toByteOffset: 16, as: UInt64.self)
        pointer.storeBytes(of: d, toByteOffset: 24, as: UInt64.self)
    }

    /// Whether every byte is zero.
    @inlinable
    public var isZero: Bool { (a | b | c | d) == 0 }

    /// `0x`-prefixed lower-case hex of the 32 bytes.
    public var hexString: String { Hex.encode(bytes) }

    public var description: String { hexString }

    /// Byte-wise (big-endian) order.
    public static func < (lhs: Hash, rhs: Hash) -> Bool {
        if lhs.a != rhs.a { return lhs.a.byteSwapped < rhs.a.byteSwapped }
        if lhs.b != rhs.b { return lhs.b.byteSwapped < rhs.b.byteSwapped }
        if lhs.c != rhs.c { return lhs.c.byteSwapped < rhs.c.byteSwapped }
        return lhs.d.byteSwapped < rhs.d.byteSwapped
    }
}

extension Hash {
    /// The 32 bytes as a big-endian 256-bit word.
    @inlinable @inline(__always)
    public var word: U256 {
        withUnsafeBytes { U256(bigEndian: $0.baseAddress!) }
    }

    /// The big-endian 32-byte encoding of a word.
    @inlinable
    public init(word: U256) {
        var value = Hash.zero
        Swift.withUnsafeMutableBytes(of: &value) { word.storeBigEndian(to: $0.baseAddress!) }
        self = value
    }
}
