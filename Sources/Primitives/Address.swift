/// A 20-byte Ethereum account address.
///
/// Stored inline (no allocation); prints with its EIP-55 checksum.
@frozen
public struct Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    @usableFromInline var a: UInt64
    @usableFromInline var b: UInt64
    @usableFromInline var c: UInt32

    /// The zero address.
    public static let zero = Address(a: 0, b: 0, c: 0)

    @inlinable
    init(a: UInt64, b: UInt64, c: UInt32) {
        self.a = a; self.b = b; self.c = c
    }

    /// Loads 20 bytes from memory.
    @inlinable
    public init(loading pointer: UnsafeRawPointer) {
        a = pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        b = pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = pointer.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
    }

    /// Creates an address from exactly 20 bytes, or returns `nil` for any other length.
    @inlinable
    public init?<C: Collection<UInt8>>(bytes: C) {
        guard bytes.count == 20 else { return nil }
        let array = Array(bytes)
        self = array.withUnsafeBytes { Address(loading: $0.baseAddress!) }
    }

    /// The address in the low 20 bytes of a 256-bit word (as CALL, BALANCE and friends take it).
    @inlinable @inline(__always)
    public init(word: U256) {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        self = Swift.withUnsafeMutableBytes(of: &bytes) { raw in
            word.storeBigEndian(to: raw.baseAddress!)
            return Address(loading: raw.baseAddress! + 12)
        }
    }

    /// The address as a 256-bit word (zero-extended).
    @inlinable @inline(__always)
    public var word: U256 {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return Swift.withUnsafeMutableBytes(of: &bytes) { raw in
            store(to: raw.baseAddress! + 12)
            return U256(bigEndian: raw.baseAddress!)
        }
    }

    /// Parses a `0x`-prefixed hex address. Mixed-case input must carry a valid EIP-55 checksum.
    /// - Throws: `HexError` for malformed hex or a wrong length, `AddressError` for a bad checksum.
    public init(hex: String) throws {
        let bytes = try Hex.decode(hex, count: 20)
        let address = Address(bytes: bytes)!
        // Mixed-case hex letters carry an EIP-55 checksum (scanned as bytes: Character's case properties are slow,
        // and every JSON-RPC address goes through here).
        var (hasUpper, hasLower) = (false, false)
        for byte in hex.utf8.dropFirst(2) {
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F") { hasUpper = true }
            if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f") { hasLower = true }
        }
        if hasUpper && hasLower && address.checksummed != "0x" + hex.dropFirst(2) {
            throw AddressError(message: "address \(hex) has an invalid EIP-55 checksum (expected \(address.checksummed))")
        }
        self = address
    }

    /// The 20 bytes.
    public var bytes: [UInt8] {
        Swift.withUnsafeBytes(of: self) { Array($0.prefix(20)) }
    }

    /// Writes the 20 bytes to memory.
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: a, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: c, toByteOffset: 16, as: UInt32.self)
    }

    /// Lower-case `0x` hex.
    public var hexString: String { Hex.encode(bytes) }

    /// The EIP-55 mixed-case checksum form.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes, prefix: false).utf8)
        let digest = Keccak256.digest(lower)
        var out = Array("0x".utf8)
        for (i, ch) in lower.enumerated() {
            let nibble = (i % 2 == 0) ? digest[i / 2] >> 4 : digest[i / 2] & 0x0f
            if ch >= UInt8(ascii: "a") && nibble >= 8 {
                out.append(ch - 32)
            } else {
                out.append(ch)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { checksummed }

    /// Byte-wise order.
    public static func < (lhs: Address, rhs: Address) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The address of a contract created by `CREATE`: `keccak(rlp([sender, nonce]))[12:]`.
    public static func contractAddress(sender: Address, nonce: UInt64) -> Address {
        var encoder = RLPEncoder()
        encoder.appendList { list in
            list.append(sender)
            list.append(nonce)
        }
        let digest = Keccak256.digest(encoder.bytes)
        return Address(bytes: digest[12...])!
    }

    /// The address of a contract created by `CREATE2` (EIP-1014): `keccak(0xff ++ sender ++ salt ++ keccak(initcode))[12:]`.
    public static func create2Address(sender: Address, salt: U256, initcodeHash: Hash) -> Address {
        var buffer = [UInt8](repeating: 0, count: 85)
        buffer[0] = 0xff
        buffer.withUnsafeMutableBytes { raw in
            sender.store(to: raw.baseAddress! + 1)
            salt.storeBigEndian(to: raw.baseAddress! + 21)
            initcodeHash.store(to: raw.baseAddress! + 53)
        }
        let digest = Keccak256.digest(buffer)
        return Address(bytes: digest[12...])!
    }
}

/// An address string that parsed as hex but failed its EIP-55 checksum.
public struct AddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public let message: String
    public var description: String { message }
}
