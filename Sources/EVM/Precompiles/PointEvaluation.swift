import Primitives

/// The EIP-4844 point evaluation precompile (0x0a, Cancun): verifies a KZG proof that the blob committed to by
/// `commitment` (whose versioned hash is given) evaluates to `y` at `z`.
///
/// Input (192 bytes): versioned_hash ‖ z ‖ y ‖ commitment (48, compressed G1) ‖ proof (48, compressed G1).
/// Output: FIELD_ELEMENTS_PER_BLOB (4096) and BLS_MODULUS (r) as two 32-byte words. Any failure consumes all gas.
enum PointEvaluation {
    typealias Fp = BLS12381.Fp
    typealias Fp2 = BLS12381.Fp2

    static let gas: UInt64 = 50000

    /// [τ]₂ of the mainnet KZG ceremony (the second G2 point of the trusted setup, KZG_SETUP_G2_MONOMIAL_1 in
    /// EELS): compressed 0xb5bfd7dd…c1def2, stored decompressed. A test recompresses it against the published bytes.
    static let tauG2 = BLS12381.G2Affine(
        x: Fp2(c0: Fp(hex: "0x185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1def2"),
               c1: Fp(hex: "0x15bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d2914e5870cb452d2afaaab24f3499f72")),
        y: Fp2(c0: Fp(hex: "0x014353bdb96b626dd7d5ee8599d1fca2131569490e28de18e82451a496a9c9794ce26d105941f383ee689bfbbb832a99"),
               c1: Fp(hex: "0x1666c54b0a32529503432fcae0181b4bef79de09fc63671fda5ed1ba9bfa07899495346f3d7ac9cd23048ef30d0a154f")))

    /// FIELD_ELEMENTS_PER_BLOB ‖ BLS_MODULUS, the success output.
    static let successOutput: [UInt8] = {
        var output = [UInt8](repeating: 0, count: 64)
        output[30] = 0x10  // 4096
        let modulus: [UInt64] = [0x73ed_a753_299d_7d48, 0x3339_d808_09a1_d805, 0x53bd_a402_fffe_5bfe, 0xffff_ffff_0000_0001]
        for (i, limb) in modulus.enumerated() {
            for j in 0..<8 { output[32 + 8 * i + j] = UInt8(truncatingIfNeeded: limb >> UInt64(56 - 8 * j)) }
        }
        return output
    }()

    static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard gas <= gasLimit, input.count == 192 else { return .failure(gasLimit: gasLimit) }
        // The versioned hash is 0x01 ‖ sha256(commitment)[1...].
        var expectedHash = SHA256.hash(input[96..<144])
        expectedHash[0] = 0x01
        guard expectedHash.elementsEqual(input[0..<32]) else { return .failure(gasLimit: gasLimit) }
        let valid = input.withUnsafeBytes { bytes -> Bool in
            let z = BLS12381.Scalar(bigEndian: bytes, offset: 32)
            let y = BLS12381.Scalar(bigEndian: bytes, offset: 64)
            guard z.isBelowGroupOrder, y.isBelowGroupOrder,
                  let commitment = decompressG1(bytes, offset: 96),
                  let proof = decompressG1(bytes, offset: 144) else { return false }
            return verify(commitment: commitment, z: z, y: y, proof: proof)
        }
        guard valid else { return .failure(gasLimit: gasLimit) }
        return .ok(successOutput, gas: gas)
    }

    /// The normalized Miller-loop lines of the two fixed G2 points of the check, computed on first use (a
    /// `static let` is initialised once, thread-safely).
    static let preparedG2Generator = BLS12381.Pairing.G2Prepared(BLS12381.g2Generator).normalized
    static let preparedTauG2 = BLS12381.Pairing.G2Prepared(tauG2).normalized

    /// Whether e(C - [y]G1, -G2) · e(π, [τ]₂ - [z]G2) = 1, the KZG opening check p(z) = y.
    ///
    /// By bilinearity, e(π, [τ]₂ - [z]G2) = e(π, [τ]₂) · e([z]π, -G2), so the check is
    /// e(C - [y]G1 + [z]π, -G2) · e(π, [τ]₂) = 1, or, inverting both sides, e(C - [y]G1 + [z]π, G2) · e(-π, [τ]₂) = 1.
    /// That form moves the scalar multiplication by z from G2 to G1, where it is three times cheaper (and shares
    /// its doublings with [-y]G1), and leaves both G2 points fixed, so their Miller-loop lines are precomputed.
    static func verify(commitment: BLS12381.G1Affine, z: BLS12381.Scalar, y: BLS12381.Scalar,
                       proof: BLS12381.G1Affine) -> Bool {
        let left = BLS12381.MultiScalarMultiplication.sumInG1(points: [BLS12381.g1Generator, proof],
                                                              scalars: [y.negatedModGroupOrder, z])
            .adding(commitment)
        return BLS12381.Pairing.productIsOne(prepared: [(left.affine, preparedG2Generator),
                                                        (proof.negated, preparedTauG2)])
    }

    /// A compressed G1 point (ZCash format: flag bits c = compressed, b = infinity, a = larger y, then x), as
    /// EIP-4844 accepts commitments and proofs: c set; infinity only as 0xc0 followed by zeros; x below p; on the
    /// curve and in G1. Nil otherwise.
    static func decompressG1(_ bytes: UnsafeRawBufferPointer, offset: Int) -> BLS12381.G1Affine? {
        let flags = bytes[offset]
        let compressed = flags & 0x80 != 0
        let infinity = flags & 0x40 != 0
        let larger = flags & 0x20 != 0
        guard compressed else { return nil }
        var xIsZero = flags & 0x1f == 0
        for i in (offset + 1)..<(offset + 48) where bytes[i] != 0 { xIsZero = false }
        // The infinity flag must match x = 0; infinity must have the sign flag clear.
        guard infinity == xIsZero else { return nil }
        if infinity { return larger ? nil : .infinity }
        var xBytes = [UInt8](repeating: 0, count: 48)
        for i in 0..<48 { xBytes[i] = bytes[offset + i] }
        xBytes[0] &= 0x1f
        guard let x = xBytes.withUnsafeBytes({ Fp(bigEndian: $0, offset: 0) }),
              var y = (x.squared * x + Fp.curveB).squareRoot else { return nil }
        if y.isLexicographicallyLargest != larger { y = y.negated }
        let point = BLS12381.G1Affine(x: x, y: y)
        return BLS12381.isInG1(point) ? point : nil
    }
}
