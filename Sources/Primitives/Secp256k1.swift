import CSecp256k1
#if canImport(Glibc)
import Glibc
#endif

/// A signature or key that secp256k1 rejects, with the reason.
public struct SignatureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public let message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}

/// The process-wide libsecp256k1 context.
///
/// `@unchecked Sendable`: after creation and the one-time randomization the context is only read. libsecp256k1
/// documents every function that takes a `const secp256k1_context*` as safe to call concurrently.
final class Secp256k1Context: @unchecked Sendable {
    let pointer: OpaquePointer

    static let shared = Secp256k1Context()

    private init() {
        pointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
        var seed = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in 0..<32 { seed[i] = UInt8.random(in: 0...255, using: &generator) }
        // Randomization only blinds signing against side channels; failure leaves a working context.
        _ = secp256k1_context_randomize(pointer, seed)
    }
}

/// A recoverable ECDSA signature over secp256k1, as Ethereum transactions carry it.
public struct Signature: Hashable, Sendable {
    /// The `r` value.
    public var r: U256
    /// The `s` value.
    public var s: U256
    /// The recovery id (0 or 1): the parity of the y coordinate of the nonce point.
    public var yParity: UInt8

    /// Creates a signature from its parts.
    public init(r: U256, s: U256, yParity: UInt8) {
        self.r = r
        self.s = s
        self.yParity = yParity
    }
}

/// secp256k1 operations through libsecp256k1: signing, recovery, and the ECRECOVER precompile.
public enum Secp256k1 {
    /// The group order n.
    public static let order = try! U256(hex: "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
    /// n / 2: EIP-2 requires transaction signatures to have s at most this.
    public static let halfOrder = try! U256(hex: "0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")

    /// Recovers the 64-byte uncompressed public key (x ‖ y, without the 0x04 prefix) that signed `hash`.
    ///
    /// Accepts any `r`, `s` in [1, n-1] (high `s` included): callers apply the EIP-2 low-s rule where it holds.
    /// - Throws: `SignatureError` if the values are out of range or no key recovers.
    public static func recoverPublicKey(hash: Hash, signature: Signature) throws(SignatureError) -> [UInt8] {
        guard signature.yParity <= 1 else {
            throw SignatureError(message: "recovery id \(signature.yParity) is not 0 or 1")
        }
        guard !signature.r.isZero, signature.r < order else {
            throw SignatureError(message: "signature r is zero or not below the curve order")
        }
        guard !signature.s.isZero, signature.s < order else {
            throw SignatureError(message: "signature s is zero or not below the curve order")
        }
        let context = Secp256k1Context.shared.pointer
        var compact = [UInt8](repeating: 0, count: 64)
        compact.withUnsafeMutableBytes { raw in
            signature.r.storeBigEndian(to: raw.baseAddress!)
            signature.s.storeBigEndian(to: raw.baseAddress! + 32)
        }
        var recoverable = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &recoverable, compact,
                                                                  Int32(signature.yParity)) == 1 else {
            throw SignatureError(message: "signature does not parse")
        }
        var pubkey = secp256k1_pubkey()
        let recovered = hash.withUnsafeBytes { digest in
            secp256k1_ecdsa_recover(context, &pubkey, &recoverable, digest.bindMemory(to: UInt8.self).baseAddress!)
        }
        guard recovered == 1 else {
            throw SignatureError(message: "no public key recovers from this signature (r is not on the curve)")
        }
        var output = [UInt8](repeating: 0, count: 65)
        var outputLength = 65
        _ = secp256k1_ec_pubkey_serialize(context, &output, &outputLength, &pubkey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return Array(output[1..<65])
    }

    /// Recovers the address that signed `hash`.
    /// - Throws: `SignatureError` if the signature is invalid.
    public static func recoverAddress(hash: Hash, signature: Signature) throws(SignatureError) -> Address {
        let publicKey = try recoverPublicKey(hash: hash, signature: signature)
        return address(ofPublicKey: publicKey)
    }

    /// The address of a 64-byte uncompressed public key: the last 20 bytes of its Keccak-256.
    public static func address(ofPublicKey publicKey: [UInt8]) -> Address {
        let digest = Keccak256.digest(publicKey)
        return Address(bytes: digest[12...])!
    }

    /// The ECRECOVER precompile (0x01): 128 bytes `hash ‖ v ‖ r ‖ s` in, a 32-byte left-padded address out,
    /// or empty output for any invalid input (v not 27 or 28, r or s out of range, unrecoverable).
    ///
    /// - Parameter input: the call data; shorter input is right-padded with zeros, longer input is truncated.
    public static func ecrecover(input: some Collection<UInt8>) -> [UInt8] {
        var padded = [UInt8](repeating: 0, count: 128)
        for (i, byte) in input.prefix(128).enumerated() { padded[i] = byte }
        let hash = Hash(bytes: padded[0..<32])!
        let v = U256(bigEndianBytes: padded[32..<64])!
        guard v == U256(27) || v == U256(28) else { return [] }
        let signature = Signature(r: U256(bigEndianBytes: padded[64..<96])!,
                                  s: U256(bigEndianBytes: padded[96..<128])!,
                                  yParity: v == U256(27) ? 0 : 1)
        guard let address = try? recoverAddress(hash: hash, signature: signature) else { return [] }
        return [UInt8](repeating: 0, count: 12) + address.bytes
    }
}

/// A secp256k1 private key.
public struct PrivateKey: Hashable, Sendable {
    /// The 32 secret bytes.
    public let bytes: [UInt8]

    /// Creates a key from 32 bytes.
    /// - Throws: `SignatureError` if the value is zero or not below the curve order.
    public init(bytes: [UInt8]) throws(SignatureError) {
        guard bytes.count == 32 else {
            throw SignatureError(message: "a private key is 32 bytes, got \(bytes.count)")
        }
        guard secp256k1_ec_seckey_verify(Secp256k1Context.shared.pointer, bytes) == 1 else {
            throw SignatureError(message: "private key is zero or not below the curve order")
        }
        self.bytes = bytes
    }

    /// Parses a hex private key (with or without `0x`).
    /// - Throws: `HexError` or `SignatureError`.
    public init(hex: String) throws {
        try self.init(bytes: try Hex.decode(hex, count: 32, requirePrefix: false))
    }

    /// Generates a random key from the system's secure random source.
    public static func random() -> PrivateKey {
        var generator = SystemRandomNumberGenerator()
        while true {
            let candidate = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let key = try? PrivateKey(bytes: candidate) { return key }
        }
    }

    /// The 64-byte uncompressed public key (x ‖ y).
    public var publicKey: [UInt8] {
        let context = Secp256k1Context.shared.pointer
        var pubkey = secp256k1_pubkey()
        precondition(secp256k1_ec_pubkey_create(context, &pubkey, bytes) == 1, "validated key failed to derive")
        var output = [UInt8](repeating: 0, count: 65)
        var outputLength = 65
        _ = secp256k1_ec_pubkey_serialize(context, &output, &outputLength, &pubkey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return Array(output[1..<65])
    }

    /// The account address of this key.
    public var address: Address { Secp256k1.address(ofPublicKey: publicKey) }

    /// Signs a 32-byte digest with a deterministic RFC 6979 nonce; `s` is always low (EIP-2).
    public func sign(hash: Hash) -> Signature {
        let context = Secp256k1Context.shared.pointer
        var signature = secp256k1_ecdsa_recoverable_signature()
        let ok = hash.withUnsafeBytes { digest in
            secp256k1_ecdsa_sign_recoverable(context, &signature, digest.bindMemory(to: UInt8.self).baseAddress!,
                                             bytes, nil, nil)
        }
        precondition(ok == 1, "signing with a validated key cannot fail")
        var compact = [UInt8](repeating: 0, count: 64)
        var recoveryID: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(context, &compact, &recoveryID, &signature)
        return Signature(r: U256(bigEndianBytes: compact[0..<32])!, s: U256(bigEndianBytes: compact[32..<64])!,
                         yParity: UInt8(recoveryID))
    }
}
