import Foundation
import FixtureSupport
import Testing
@testable import Primitives

/// secp256k1 through libsecp256k1: recovery vectors, ECRECOVER semantics, key/address derivation, signing.
@Suite("secp256k1")
struct Secp256k1Tests {
    @Test("crypto_vectors/secp256k1_recover.json: recovery and ECRECOVER semantics", .enabled(if: Fixtures.available))
    func recoveryVectors() throws {
        let file = try Fixtures.json("crypto_vectors/secp256k1_recover.json") as! [String: Any]
        let vectors = file["vectors"] as! [[String: Any]]
        var counts = SuiteCounts(name: "crypto_vectors/secp256k1_recover")
        for (index, vector) in vectors.enumerated() {
            let hash = try Hash(hex: vector["msghash"] as! String)
            let r = try U256(hex: vector["r"] as! String)
            let s = try U256(hex: vector["s"] as! String)
            let v = (vector["v_ecrecover"] as! NSNumber).uint64Value
            let valid = vector["valid"] as! Bool
            let note = vector["note"] as? String ?? ""
            // The precompile input: hash ‖ v ‖ r ‖ s.
            var input = hash.bytes
            input += U256(v).bigEndianBytes + r.bigEndianBytes + s.bigEndianBytes
            let output = Secp256k1.ecrecover(input: input)
            var ok: Bool
            if valid {
                let address = try Address(hex: vector["address"] as! String)
                ok = output == [UInt8](repeating: 0, count: 12) + address.bytes
                // Public key recovery, and EIP-2: transactions refuse the high-s twin.
                let publicKey = try Secp256k1.recoverPublicKey(
                    hash: hash, signature: Signature(r: r, s: s, yParity: UInt8(v - 27)))
                ok = ok && Hex.encode(publicKey) == (vector["pubkey"] as! String).lowercased()
                if let priv = vector["priv"] as? String {
                    let key = try PrivateKey(hex: priv)
                    ok = ok && key.address == address
                    if note.hasPrefix("low-s") {
                        // RFC 6979 is deterministic: signing again reproduces the vector exactly.
                        ok = ok && key.sign(hash: hash) == Signature(r: r, s: s, yParity: UInt8(v - 27))
                    }
                }
                ok = ok && (s <= Secp256k1.halfOrder) == note.hasPrefix("low-s")
            } else {
                ok = output.isEmpty
            }
            counts.record(ok, "vector \(index) (\(note))")
        }
        counts.report()
        #expect(counts.failed == 0, "failures: \(counts.failures)")
        #expect(counts.passed == vectors.count)
    }

    /// keyaddrtest pairs keys with addresses, and also carries a legacy "signature of the empty string" from
    /// pyethereum. That signature does not recover to the key's address under keccak(""), sha256(""), sha3-256("")
    /// or a zero digest (checked with eth-keys as well), so the message it signed is unknown: those parts are
    /// reported as skipped, not passed.
    @Test("BasicTests/keyaddrtest.json: keys derive their addresses", .enabled(if: Fixtures.available))
    func keyAddressVectors() throws {
        let vectors = try Fixtures.json("ethtests/BasicTests/keyaddrtest.json") as! [[String: Any]]
        var counts = SuiteCounts(name: "BasicTests/keyaddrtest")
        for vector in vectors {
            let key = try PrivateKey(hex: vector["key"] as! String)
            let address = try Address(hex: "0x" + (vector["addr"] as! String))
            counts.record(key.address == address, "\(vector["seed"] as! String): address")
            if vector["sig_of_emptystring"] != nil { counts.skipped += 1 }
        }
        counts.report()
        print("BasicTests/keyaddrtest: skipped the \(counts.skipped) legacy sig_of_emptystring values (unknown message)")
        #expect(counts.failed == 0, "failures: \(counts.failures)")
        #expect(counts.passed == vectors.count)
    }

    @Test("Out-of-range signatures are rejected with a reason")
    func rejections() throws {
        let hash = Keccak256.hash(Array("lockstep".utf8))
        #expect(throws: SignatureError.self) {
            try Secp256k1.recoverAddress(hash: hash, signature: Signature(r: .zero, s: .one, yParity: 0))
        }
        #expect(throws: SignatureError.self) {
            try Secp256k1.recoverAddress(hash: hash, signature: Signature(r: .one, s: Secp256k1.order, yParity: 0))
        }
        #expect(throws: SignatureError.self) {
            try Secp256k1.recoverAddress(hash: hash, signature: Signature(r: .one, s: .one, yParity: 2))
        }
        #expect(throws: SignatureError.self) { try PrivateKey(bytes: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: SignatureError.self) { try PrivateKey(bytes: [1, 2, 3]) }
        // ECRECOVER: short input is zero-padded, so this is v = 0 and yields empty output rather than an error.
        #expect(Secp256k1.ecrecover(input: [1, 2, 3]).isEmpty)
    }

    @Test("Sign then recover round-trips for random keys")
    func roundTrip() throws {
        for i in 0..<50 {
            let key = PrivateKey.random()
            let hash = Keccak256.hash(Array("message \(i)".utf8))
            let signature = key.sign(hash: hash)
            #expect(signature.s <= Secp256k1.halfOrder)
            #expect(try Secp256k1.recoverAddress(hash: hash, signature: signature) == key.address)
        }
    }

    @Test("The first development account derives its well-known address")
    func developmentAccount() throws {
        let key = try PrivateKey(hex: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        #expect(key.address.checksummed == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    }
}
