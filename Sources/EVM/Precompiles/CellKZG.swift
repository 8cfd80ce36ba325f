import Primitives

/// EIP-7594 cell proofs, as a node checks a version-1 blob sidecar (the Osaka network form: 128 cell proofs per
/// blob) before pooling its transaction. The node extends each blob itself (`compute_cells`), then checks all cells
/// of all blobs at once with the universal verification equation of `verify_cell_kzg_proof_batch`:
/// e(Σ r^k·π_k, [τ^64]₂) = e(RLC − RLI + RLP, G2).
extension BlobKZG {
    public static let fieldElementsPerCell = 64
    /// CELLS_PER_EXT_BLOB: the extended blob has 8192 evaluations, 64 per cell.
    public static let cellsPerBlob = 128

    /// The 8192th roots of unity ω^i, ω = 7^((r-1)/8192), in natural order (the extended domain; the blob domain is
    /// its even powers).
    static let extendedRoots: [Fr] = {
        // (r - 1) / 8192 = (r - 1) >> 13: r - 1 is divisible by 2^32.
        let r = (Fr.r0 - 1, Fr.r1, Fr.r2, Fr.r3)
        let exponent = BLS12381.Scalar(w0: r.0 >> 13 | r.1 << 51, w1: r.1 >> 13 | r.2 << 51,
                                       w2: r.2 >> 13 | r.3 << 51, w3: r.3 >> 13)
        let omega = Fr(small: 7).power(exponent)
        var roots = [Fr](repeating: .one, count: 8192)
        for i in 1..<8192 { roots[i] = roots[i - 1] * omega }
        return roots
    }()

    static func reverseBits(_ value: Int, bits: Int) -> Int {
        var result = 0
        for bit in 0..<bits where value & (1 << bit) != 0 { result |= 1 << (bits - 1 - bit) }
        return result
    }

    /// In-place radix-2 FFT of a power-of-two length n ≤ 8192 over the n-th roots of unity (inverse: over their
    /// inverses, scaled by 1/n), natural order in and out.
    static func fft(_ values: inout [Fr], inverse: Bool) {
        let n = values.count
        let bits = n.trailingZeroBitCount
        for i in 0..<n {
            let j = reverseBits(i, bits: bits)
            if i < j { values.swapAt(i, j) }
        }
        let roots = extendedRoots
        var length = 2
        while length <= n {
            let step = 8192 / length  // ω_length^j = ω_8192^(j·step)
            let half = length / 2
            for start in stride(from: 0, to: n, by: length) {
                for j in 0..<half {
                    let index = j * step
                    let twiddle = inverse && index != 0 ? roots[8192 - index] : roots[index]
                    let u = values[start + j]
                    let v = values[start + j + half] * twiddle
                    values[start + j] = u + v
                    values[start + j + half] = u - v
                }
            }
            length *= 2
        }
        if inverse {
            let scale = Fr(small: UInt64(n)).inverse
            for i in 0..<n { values[i] = values[i] * scale }
        }
    }

    /// The setup points the check reads, decompressed once.
    static let setupG1Monomial: [BLS12381.G1Affine] = KZGSetup.g1MonomialCompressed.map { hex in
        let bytes = (try? Hex.decode(hex, requirePrefix: false)) ?? []
        guard let point = bytes.withUnsafeBytes({ PointEvaluation.decompressG1($0, offset: 0) }) else {
            fatalError("KZGSetup holds an invalid G1 point")
        }
        return point
    }
    static let preparedTau64G2: BLS12381.Pairing.G2Prepared = {
        guard let point = decompressG2Hex(KZGSetup.g2Monomial64Compressed) else {
            fatalError("KZGSetup holds an invalid G2 point")
        }
        return BLS12381.Pairing.G2Prepared(point).normalized
    }()

    static func decompressG2Hex(_ hex: String) -> BLS12381.G2Affine? {
        let bytes = (try? Hex.decode(hex, requirePrefix: false)) ?? []
        return decompressG2(bytes)
    }

    /// A compressed G2 point (ZCash format: flags, then x.c1 ‖ x.c0); nil unless valid and in G2.
    static func decompressG2(_ bytes: [UInt8]) -> BLS12381.G2Affine? {
        guard bytes.count == 96, bytes[0] & 0x80 != 0 else { return nil }
        let infinity = bytes[0] & 0x40 != 0, larger = bytes[0] & 0x20 != 0
        var raw = bytes
        raw[0] &= 0x1f
        if infinity { return raw.allSatisfy({ $0 == 0 }) && !larger ? .infinity : nil }
        guard let c1 = raw.withUnsafeBytes({ BLS12381.Fp(bigEndian: $0, offset: 0) }),
              let c0 = raw.withUnsafeBytes({ BLS12381.Fp(bigEndian: $0, offset: 48) }) else { return nil }
        let x = BLS12381.Fp2(c0: c0, c1: c1)
        guard var y = (x.squared * x + BLS12381.Fp2.curveB).squareRoot else { return nil }
        if y.isLexicographicallyLargest != larger { y = y.negated }
        let point = BLS12381.G2Affine(x: x, y: y)
        return BLS12381.isInG2(point) ? point : nil
    }

    /// A field element as 32 big-endian bytes (`bls_field_to_bytes`).
    static func appendBigEndian(_ value: Fr, to out: inout [UInt8]) {
        let plain = value.scalar
        out += U256(w0: plain.w0, w1: plain.w1, w2: plain.w2, w3: plain.w3).bigEndianBytes
    }

    /// Checks the 128 cell proofs of every blob: `proofs[128·b + k]` is the proof of cell k of blob b, committed to
    /// by `commitments[b]`.
    public static func verifyCellProofs(blobs: [[UInt8]], commitments: [[UInt8]], proofs: [[UInt8]]) throws(Failure) {
        guard commitments.count == blobs.count, proofs.count == blobs.count * cellsPerBlob else {
            throw .cellCount(blobs: blobs.count, commitments: commitments.count, proofs: proofs.count)
        }
        guard !blobs.isEmpty else { return }
        for blob in blobs where blob.count != bytesPerBlob { throw .blobSize(blob.count) }

        // Commitments, deduplicated in order of first appearance.
        var unique = [[UInt8]](), uniquePoints = [BLS12381.G1Affine](), commitmentIndex = [Int]()
        for bytes in commitments {
            if let index = unique.firstIndex(of: bytes) { commitmentIndex.append(index); continue }
            guard bytes.count == 48,
                  let point = bytes.withUnsafeBytes({ PointEvaluation.decompressG1($0, offset: 0) })
            else { throw .invalidCommitment }
            commitmentIndex.append(unique.count)
            unique.append(bytes)
            uniquePoints.append(point)
        }
        var proofPoints = [BLS12381.G1Affine]()
        proofPoints.reserveCapacity(proofs.count)
        for (index, bytes) in proofs.enumerated() {
            guard bytes.count == 48,
                  let point = bytes.withUnsafeBytes({ PointEvaluation.decompressG1($0, offset: 0) })
            else { throw .invalidCellProof(index: index) }
            proofPoints.append(point)
        }

        // Each blob in coefficient form, and its extension to the 8192 points (compute_cells).
        var coefficients = [[Fr]]()
        var extended = [[Fr]]()
        for blob in blobs {
            let evaluations = try polynomial(blob)  // bit-reversed order
            var natural = [Fr](repeating: .zero, count: fieldElementsPerBlob)
            for i in 0..<fieldElementsPerBlob { natural[reverseBits(i, bits: 12)] = evaluations[i] }
            fft(&natural, inverse: true)
            coefficients.append(natural)
            var values = natural + [Fr](repeating: .zero, count: fieldElementsPerBlob)
            fft(&values, inverse: false)
            extended.append(values)
        }

        // The challenge r (compute_verify_cell_kzg_proof_batch_challenge).
        let cellCount = proofs.count
        var data = Array("RCKZGCBATCH__V1_".utf8)
        data.reserveCapacity(48 + 48 * unique.count + cellCount * (16 + 32 * fieldElementsPerCell + 48))
        func appendUInt64(_ value: Int) {
            for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: UInt64(value) >> UInt64(shift))) }
        }
        appendUInt64(fieldElementsPerBlob)
        appendUInt64(fieldElementsPerCell)
        appendUInt64(unique.count)
        appendUInt64(cellCount)
        for bytes in unique { data += bytes }
        for k in 0..<cellCount {
            let blob = k / cellsPerBlob, cell = k % cellsPerBlob
            appendUInt64(commitmentIndex[blob])
            appendUInt64(cell)
            for j in 0..<fieldElementsPerCell {
                appendBigEndian(extended[blob][reverseBits(fieldElementsPerCell * cell + j, bits: 13)], to: &data)
            }
            data += proofs[k]
        }
        let r = SHA256.hash(data).withUnsafeBytes { Fr(reducing: $0, offset: 0) }
        var rPowers = [Fr](repeating: .one, count: cellCount)
        for k in 1..<max(cellCount, 1) { rPowers[k] = rPowers[k - 1] * r }

        // h_k^64 for each cell index: h_k = ω_8192^brp13(64k), so h_k^64 = ω_8192^(64·brp13(64k) mod 8192).
        let shiftPowers = (0..<cellsPerBlob).map { cell in
            extendedRoots[(fieldElementsPerCell * reverseBits(fieldElementsPerCell * cell, bits: 13)) % 8192]
        }

        // RLC: each unique commitment weighted by the r^k of its cells.
        var weights = [Fr](repeating: .zero, count: unique.count)
        for k in 0..<cellCount { weights[commitmentIndex[k / cellsPerBlob]] = weights[commitmentIndex[k / cellsPerBlob]] + rPowers[k] }
        // RLI: Σ_k r^k·I_k(X), where I_k = p_b mod (X^64 − h_k^64) interpolates cell k (the coset of cell k is the set
        // of roots of X^64 − h_k^64). With p_b = Σ_m X^{64m}·P_m(X), I_k = Σ_m (h_k^64)^m·P_m, so the sum is
        // Σ_b Σ_m W_{b,m}·P_{b,m} with W_{b,m} = Σ_{k of b} r^k·(h_k^64)^m.
        var interpolation = [Fr](repeating: .zero, count: fieldElementsPerCell)
        let chunks = fieldElementsPerBlob / fieldElementsPerCell
        for blob in blobs.indices {
            var w = [Fr](repeating: .zero, count: chunks)
            for cell in 0..<cellsPerBlob {
                var power = rPowers[blob * cellsPerBlob + cell]
                let shift = shiftPowers[cell]
                for m in 0..<chunks {
                    w[m] = w[m] + power
                    power = power * shift
                }
            }
            let c = coefficients[blob]
            for m in 0..<chunks {
                for i in 0..<fieldElementsPerCell {
                    interpolation[i] = interpolation[i] + c[fieldElementsPerCell * m + i] * w[m]
                }
            }
        }
        // RLP: the proofs weighted by r^k·h_k^64.
        let weightedPowers = (0..<cellCount).map { rPowers[$0] * shiftPowers[$0 % cellsPerBlob] }

        typealias MSM = BLS12381.MultiScalarMultiplication
        let left = MSM.sumInG1(points: proofPoints, scalars: rPowers.map(\.scalar))
        let rlc = MSM.sumInG1(points: uniquePoints, scalars: weights.map(\.scalar))
        let rli = MSM.sumInG1(points: setupG1Monomial, scalars: interpolation.map(\.scalar))
        let rlp = MSM.sumInG1(points: proofPoints, scalars: weightedPowers.map(\.scalar))
        let right = rlc - rli + rlp
        guard BLS12381.Pairing.productIsOne(prepared: [(left.affine, preparedTau64G2),
                                                       (right.negated.affine, PointEvaluation.preparedG2Generator)])
        else { throw .cellProofMismatch }
    }
}
