import Primitives

/// EIP-4844 blob proofs, as a node checks a blob transaction's sidecar before pooling it (`verify_blob_kzg_proof`
/// of the Deneb polynomial-commitments spec): the blob is read as 4096 field elements (the polynomial's values on
/// the roots of unity in bit-reversed order), evaluated at the Fiat-Shamir challenge z = H(blob, commitment), and
/// the KZG opening at z is checked with the same pairing as the point evaluation precompile.
///
/// Verification needs only [τ]₂ of the trusted setup, never its G1 points, so nothing more is embedded.
public enum BlobKZG {
    public static let fieldElementsPerBlob = 4096
    public static let bytesPerBlob = 4096 * 32

    /// Why a blob, commitment or proof was refused.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case blobSize(Int)
        /// The 32-byte field element at this index is not below the BLS modulus.
        case nonCanonicalFieldElement(index: Int)
        case invalidCommitment
        case invalidProof
        /// All encodings are valid, but the proof does not open the commitment at the challenge.
        case proofMismatch
        /// A version-1 sidecar whose proof count is not 128 per blob, or whose commitment count differs.
        case cellCount(blobs: Int, commitments: Int, proofs: Int)
        /// Cell proof `index` (128 per blob, blob by blob) is not a valid compressed G1 point in the subgroup.
        case invalidCellProof(index: Int)
        /// All encodings are valid, but the cell proofs do not verify against the blobs and commitments.
        case cellProofMismatch

        public var description: String {
            switch self {
            case .blobSize(let size): return "blob is \(size) bytes, expected \(BlobKZG.bytesPerBlob)"
            case .nonCanonicalFieldElement(let index): return "blob field element \(index) is not below the BLS modulus"
            case .invalidCommitment: return "commitment is not a valid compressed G1 point in the subgroup"
            case .invalidProof: return "proof is not a valid compressed G1 point in the subgroup"
            case .proofMismatch: return "KZG proof does not verify against the blob and commitment"
            case .cellCount(let blobs, let commitments, let proofs):
                return "\(blobs) blobs need \(blobs) commitments and \(blobs * BlobKZG.cellsPerBlob) cell proofs, " +
                    "got \(commitments) and \(proofs)"
            case .invalidCellProof(let index):
                return "cell proof \(index) (blob \(index / BlobKZG.cellsPerBlob), cell \(index % BlobKZG.cellsPerBlob)) " +
                    "is not a valid compressed G1 point in the subgroup"
            case .cellProofMismatch: return "KZG cell proofs do not verify against the blobs and commitments"
            }
        }
    }

    typealias Fr = BLS12381.Fr

    /// The 4096th roots of unity ω^i (ω = 7^((r-1)/4096)) in bit-reversed order of i, as blobs are laid out.
    static let rootsOfUnity: [Fr] = {
        // (r - 1) / 4096 = (r - 1) >> 12: r - 1 is divisible by 2^32.
        let r = (Fr.r0 - 1, Fr.r1, Fr.r2, Fr.r3)
        let shifted = BLS12381.Scalar(w0: r.0 >> 12 | r.1 << 52, w1: r.1 >> 12 | r.2 << 52,
                                      w2: r.2 >> 12 | r.3 << 52, w3: r.3 >> 12)
        let omega = Fr(small: 7).power(shifted)
        var natural = [Fr](repeating: .one, count: fieldElementsPerBlob)
        for i in 1..<fieldElementsPerBlob { natural[i] = natural[i - 1] * omega }
        var reversed = natural
        for i in 0..<fieldElementsPerBlob {
            var j = 0
            for bit in 0..<12 where i & (1 << bit) != 0 { j |= 1 << (11 - bit) }
            reversed[i] = natural[j]
        }
        return reversed
    }()

    /// Checks one blob against its commitment and proof.
    public static func verify(blob: [UInt8], commitment: [UInt8], proof: [UInt8]) throws(Failure) {
        guard blob.count == bytesPerBlob else { throw .blobSize(blob.count) }
        guard commitment.count == 48,
              let commitmentPoint = commitment.withUnsafeBytes({ PointEvaluation.decompressG1($0, offset: 0) })
        else { throw .invalidCommitment }
        guard proof.count == 48,
              let proofPoint = proof.withUnsafeBytes({ PointEvaluation.decompressG1($0, offset: 0) })
        else { throw .invalidProof }
        let polynomial = try polynomial(blob)
        let z = challenge(blob: blob, commitment: commitment)
        let y = evaluate(polynomial, at: z)
        guard PointEvaluation.verify(commitment: commitmentPoint, z: z.scalar, y: y.scalar, proof: proofPoint) else {
            throw .proofMismatch
        }
    }

    /// The blob's 4096 field elements (`blob_to_polynomial`).
    static func polynomial(_ blob: [UInt8]) throws(Failure) -> [Fr] {
        var values = [Fr]()
        values.reserveCapacity(fieldElementsPerBlob)
        var bad: Int?
        blob.withUnsafeBytes { bytes in
            for i in 0..<fieldElementsPerBlob {
                guard let value = Fr(canonicalBigEndian: bytes, offset: 32 * i) else { bad = i; return }
                values.append(value)
            }
        }
        if let bad { throw .nonCanonicalFieldElement(index: bad) }
        return values
    }

    /// `compute_challenge`: SHA-256 of "FSBLOBVERIFY_V1_" ‖ 4096 as 16 big-endian bytes ‖ blob ‖ commitment,
    /// reduced modulo r.
    static func challenge(blob: [UInt8], commitment: [UInt8]) -> Fr {
        var data = Array("FSBLOBVERIFY_V1_".utf8)
        data.reserveCapacity(32 + blob.count + commitment.count)
        data += [UInt8](repeating: 0, count: 14) + [0x10, 0x00]
        data += blob
        data += commitment
        let digest = SHA256.hash(data)
        return digest.withUnsafeBytes { Fr(reducing: $0, offset: 0) }
    }

    /// 1/4096 in F_r.
    static let inverseWidth = Fr(small: UInt64(fieldElementsPerBlob)).inverse

    /// `evaluate_polynomial_in_evaluation_form`: the barycentric formula
    /// p(z) = (z^n - 1)/n · Σ p_i·ω_i/(z - ω_i), or p_i itself when z is the root ω_i.
    static func evaluate(_ polynomial: [Fr], at z: Fr) -> Fr {
        let roots = rootsOfUnity
        if let index = roots.firstIndex(of: z) { return polynomial[index] }
        let inverses = Fr.batchInverse(roots.map { z - $0 })
        var sum = Fr.zero
        for i in 0..<fieldElementsPerBlob { sum = sum + polynomial[i] * roots[i] * inverses[i] }
        var zToTheN = z
        for _ in 0..<12 { zToTheN = zToTheN.squared }  // n = 2^12
        return sum * (zToTheN - .one) * inverseWidth
    }
}
