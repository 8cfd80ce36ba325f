import Foundation
import Primitives
import Testing
@testable import EVM

/// Hex without prefix to bytes (test literals only).
private func bytes(_ hex: String) -> [UInt8] {
    (try? Hex.decode(hex, requirePrefix: false)) ?? []
}

/// 32 big-endian bytes of a value below 2^64.
private func word(_ value: UInt64) -> [UInt8] {
    [UInt8](repeating: 0, count: 24) + withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

@Suite("EIP-4844 blob proofs")
struct BlobKZGTests {
    /// The blob whose i-th field element is i² + 7; its commitment and blob proof were computed by c-kzg-4844 2.1.8
    /// (blst) with the mainnet trusted setup, as were the evaluation and the challenge below.
    static let blob: [UInt8] = (0..<UInt64(4096)).flatMap { word($0 * $0 + 7) }
    static let commitment = bytes("9557ada58d1ea7f48806d66720bb05d148ce52dfab866d26b638e3c838db4d390a37ff3ea7fedf29e9c9181b3ea9e589")
    static let proof = bytes("8fead259f64e49547c34dd870f035051d38ed123f33c2fba24ec404a5a45563ff7df314c83fa96c64cdef9bc84909697")
    static let infinity = [0xc0] + [UInt8](repeating: 0, count: 47)

    @Test("F_r: inverses, batch inverses, the roots of unity")
    func scalarField() {
        let a = BLS12381.Fr(small: 123_456_789), b = BLS12381.Fr(small: 987_654_321)
        #expect(a * a.inverse == .one)
        #expect((a - b) + b == a)
        #expect(BLS12381.Fr.batchInverse([a, b]) == [a.inverse, b.inverse])
        let roots = BlobKZG.rootsOfUnity
        #expect(roots[0] == .one && roots[1] == BLS12381.Fr.zero - .one)  // bit-reversed: ω^0, then ω^2048 = -1
        var omegaToTheN = roots[2048]  // ω^1
        for _ in 0..<12 { omegaToTheN = omegaToTheN.squared }
        #expect(omegaToTheN == .one && roots[2048] != .one)
        #expect(Set(roots.map { "\($0.l0),\($0.l1),\($0.l2),\($0.l3)" }).count == 4096)
    }

    @Test("Challenge and evaluation agree with c-kzg-4844")
    func challengeAndEvaluation() throws {
        let challenge = BlobKZG.challenge(blob: Self.blob, commitment: Self.commitment)
        let expected = bytes("3fc0bf10ee2347f21bc11cb69d70b4c56ef11505b5464acfd294866e3c9748fb")
        #expect(expected.withUnsafeBytes { BLS12381.Fr(canonicalBigEndian: $0, offset: 0) } == challenge)
        let polynomial = try BlobKZG.polynomial(Self.blob)
        let z = BLS12381.Fr(small: 12_345_678_901_234_567_890)
        let y = bytes("3f12f8b0f93f15e1b16a319a6e004685d7b96022f55f65b34a52c922cfc551a8")
        #expect(y.withUnsafeBytes { BLS12381.Fr(canonicalBigEndian: $0, offset: 0) } == BlobKZG.evaluate(polynomial, at: z))
        // On a root of unity the value is read off: -1 is the second root in bit-reversed order, so p(-1) = 1² + 7.
        #expect(BlobKZG.evaluate(polynomial, at: .zero - .one) == BLS12381.Fr(small: 8))
    }

    @Test("A valid blob proof verifies; the empty blob opens with the point at infinity")
    func valid() throws {
        try BlobKZG.verify(blob: Self.blob, commitment: Self.commitment, proof: Self.proof)
        try BlobKZG.verify(blob: [UInt8](repeating: 0, count: BlobKZG.bytesPerBlob), commitment: Self.infinity,
                           proof: Self.infinity)
    }

    @Test("Each way to break a blob proof is refused with its reason")
    func invalid() {
        func failure(_ blob: [UInt8], _ commitment: [UInt8], _ proof: [UInt8]) -> BlobKZG.Failure? {
            do { try BlobKZG.verify(blob: blob, commitment: commitment, proof: proof); return nil } catch { return error }
        }
        var changed = Self.blob
        changed[32 * 100 + 31] ^= 1
        #expect(failure(changed, Self.commitment, Self.proof) == .proofMismatch)
        #expect(failure(Self.blob, Self.commitment, Self.commitment) == .proofMismatch)
        #expect(failure(Self.blob, Self.proof, Self.proof) == .proofMismatch)
        var nonCanonical = Self.blob
        for i in 0..<32 { nonCanonical[32 * 7 + i] = 0xff }
        #expect(failure(nonCanonical, Self.commitment, Self.proof) == .nonCanonicalFieldElement(index: 7))
        #expect(failure(Array(Self.blob.dropLast()), Self.commitment, Self.proof) == .blobSize(131_071))
        var offCurve = Self.commitment
        offCurve[47] ^= 1
        #expect(failure(Self.blob, offCurve, Self.proof) == .invalidCommitment)
        #expect(failure(Self.blob, Self.commitment, Array(Self.proof.prefix(47))) == .invalidProof)
        #expect(failure(Self.blob, Self.commitment, [0x00] + Self.proof.dropFirst()) == .invalidProof)  // uncompressed flag
    }
}
