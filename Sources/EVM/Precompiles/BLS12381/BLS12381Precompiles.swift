import Primitives

/// The EIP-2537 precompiles (Prague): G1ADD 0x0b, G1MSM 0x0c, G2ADD 0x0d, G2MSM 0x0e, PAIRING_CHECK 0x0f,
/// MAP_FP_TO_G1 0x10, MAP_FP2_TO_G2 0x11.
///
/// Encodings: an Fp element is 64 big-endian bytes whose top 16 are zero and whose value is below p; an Fp2
/// element is c0 ‖ c1; a G1 point is x ‖ y (128 bytes), a G2 point x ‖ y (256 bytes), and all zeros is the point
/// at infinity; a scalar is 32 big-endian bytes, not reduced. Any invalid input (length, field element ≥ p,
/// point off the curve, point outside the subgroup for MSM and pairing) is an exceptional halt that consumes all
/// gas given to the call.
enum BLS12381Precompiles {
    typealias Fp = BLS12381.Fp
    typealias Fp2 = BLS12381.Fp2

    static let g1AddGas: UInt64 = 375
    static let g1MultiplicationGas: UInt64 = 12000
    static let g2AddGas: UInt64 = 600
    static let g2MultiplicationGas: UInt64 = 22500
    static let pairingBaseGas: UInt64 = 37700
    static let pairingPerPairGas: UInt64 = 32600
    static let mapFpToG1Gas: UInt64 = 5500
    static let mapFp2ToG2Gas: UInt64 = 23800

    /// EIP-2537 MSM discounts in thousandths, for k = 1...128 terms; larger k use the last entry.
    static let g1Discount: [UInt16] = [
        1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677, 673, 669, 665, 661, 658, 654,
        651, 648, 645, 642, 640, 637, 635, 632, 630, 627, 625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604,
        603, 601, 599, 598, 596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576, 575, 574,
        573, 572, 570, 569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 551,
        550, 549, 548, 547, 547, 546, 545, 544, 543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532,
        532, 531, 530, 529, 528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519,
    ]
    static let g2Discount: [UInt16] = [
        1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717, 711, 704, 699, 693, 688, 683,
        679, 674, 670, 666, 663, 659, 655, 652, 649, 646, 643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615,
        613, 611, 609, 607, 606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582, 580, 579,
        578, 576, 575, 574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554,
        553, 552, 552, 551, 550, 549, 548, 547, 546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536,
        535, 535, 534, 533, 532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524,
    ]

    /// The gas of an MSM with `k` ≥ 1 terms: k·base·discount(k)/1000.
    static func msmGas(terms k: Int, base: UInt64, discounts: [UInt16]) -> UInt64 {
        let discount = UInt64(discounts[min(k, discounts.count) - 1])
        // k ≤ input length / 160, so the product cannot overflow 64 bits.
        return UInt64(k) * base * discount / 1000
    }

    // MARK: Entry points

    /// G1ADD (0x0b): two G1 points (256 bytes) → their sum. No subgroup check (EIP-2537).
    static func g1Add(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard g1AddGas <= gasLimit, input.count == 256 else { return .failure(gasLimit: gasLimit) }
        let sum: BLS12381.G1Point? = input.withUnsafeBytes { bytes in
            guard let a = decodeG1(bytes, offset: 0), let b = decodeG1(bytes, offset: 128) else { return nil }
            return a.jacobian.adding(b)
        }
        guard let sum else { return .failure(gasLimit: gasLimit) }
        return .ok(encodeG1(sum.affine), gas: g1AddGas)
    }

    /// G2ADD (0x0d): two G2 points (512 bytes) → their sum. No subgroup check (EIP-2537).
    static func g2Add(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard g2AddGas <= gasLimit, input.count == 512 else { return .failure(gasLimit: gasLimit) }
        let sum: BLS12381.G2Point? = input.withUnsafeBytes { bytes in
            guard let a = decodeG2(bytes, offset: 0), let b = decodeG2(bytes, offset: 256) else { return nil }
            return a.jacobian.adding(b)
        }
        guard let sum else { return .failure(gasLimit: gasLimit) }
        return .ok(encodeG2(sum.affine), gas: g2AddGas)
    }

    /// G1MSM (0x0c): k ≥ 1 pairs of a G1 point (in the subgroup) and a scalar, 160 bytes each → Σ [s_i]P_i.
    static func g1MSM(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard !input.isEmpty, input.count % 160 == 0 else { return .failure(gasLimit: gasLimit) }
        let k = input.count / 160
        let gas = msmGas(terms: k, base: g1MultiplicationGas, discounts: g1Discount)
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        let sum: BLS12381.G1Point? = input.withUnsafeBytes { bytes in
            var points: [BLS12381.G1Affine] = []
            var scalars: [BLS12381.Scalar] = []
            points.reserveCapacity(k)
            scalars.reserveCapacity(k)
            for i in 0..<k {
                guard let point = decodeG1(bytes, offset: 160 * i), BLS12381.isInG1(point) else { return nil }
                points.append(point)
                scalars.append(BLS12381.Scalar(bigEndian: bytes, offset: 160 * i + 128))
            }
            return BLS12381.MultiScalarMultiplication.sumInG1(points: points, scalars: scalars)
        }
        guard let sum else { return .failure(gasLimit: gasLimit) }
        return .ok(encodeG1(sum.affine), gas: gas)
    }

    /// G2MSM (0x0e): k ≥ 1 pairs of a G2 point (in the subgroup) and a scalar, 288 bytes each → Σ [s_i]Q_i.
    static func g2MSM(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard !input.isEmpty, input.count % 288 == 0 else { return .failure(gasLimit: gasLimit) }
        let k = input.count / 288
        let gas = msmGas(terms: k, base: g2MultiplicationGas, discounts: g2Discount)
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        let sum: BLS12381.G2Point? = input.withUnsafeBytes { bytes in
            var points: [BLS12381.G2Affine] = []
            var scalars: [BLS12381.Scalar] = []
            points.reserveCapacity(k)
            scalars.reserveCapacity(k)
            for i in 0..<k {
                guard let point = decodeG2(bytes, offset: 288 * i), BLS12381.isInG2(point) else { return nil }
                points.append(point)
                scalars.append(BLS12381.Scalar(bigEndian: bytes, offset: 288 * i + 256))
            }
            return BLS12381.MultiScalarMultiplication.sumInG2(points: points, scalars: scalars)
        }
        guard let sum else { return .failure(gasLimit: gasLimit) }
        return .ok(encodeG2(sum.affine), gas: gas)
    }

    /// PAIRING_CHECK (0x0f): k ≥ 1 pairs of a G1 and a G2 point (both in their subgroups), 384 bytes each → the
    /// word 1 if ∏ e(P_i, Q_i) = 1, else 0.
    static func pairingCheck(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard !input.isEmpty, input.count % 384 == 0 else { return .failure(gasLimit: gasLimit) }
        let k = input.count / 384
        let gas = pairingBaseGas + pairingPerPairGas * UInt64(k)
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        let isOne: Bool? = input.withUnsafeBytes { bytes in
            var pairs: [(BLS12381.G1Affine, BLS12381.G2Affine)] = []
            pairs.reserveCapacity(k)
            for i in 0..<k {
                guard let p = decodeG1(bytes, offset: 384 * i), BLS12381.isInG1(p),
                      let q = decodeG2(bytes, offset: 384 * i + 128), BLS12381.isInG2(q) else { return nil }
                pairs.append((p, q))
            }
            return BLS12381.Pairing.productIsOne(pairs)
        }
        guard let isOne else { return .failure(gasLimit: gasLimit) }
        var output = [UInt8](repeating: 0, count: 32)
        if isOne { output[31] = 1 }
        return .ok(output, gas: gas)
    }

    /// MAP_FP_TO_G1 (0x10): one Fp element (64 bytes) → a G1 point (RFC 9380 map_to_curve and clear_cofactor).
    static func mapFpToG1(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard mapFpToG1Gas <= gasLimit, input.count == 64 else { return .failure(gasLimit: gasLimit) }
        guard let u = input.withUnsafeBytes({ decodeFp($0, offset: 0) }) else { return .failure(gasLimit: gasLimit) }
        return .ok(encodeG1(BLS12381.MapToCurve.mapToG1(u).affine), gas: mapFpToG1Gas)
    }

    /// MAP_FP2_TO_G2 (0x11): one Fp2 element (128 bytes) → a G2 point.
    static func mapFp2ToG2(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard mapFp2ToG2Gas <= gasLimit, input.count == 128 else { return .failure(gasLimit: gasLimit) }
        guard let u = input.withUnsafeBytes({ decodeFp2($0, offset: 0) }) else { return .failure(gasLimit: gasLimit) }
        return .ok(encodeG2(BLS12381.MapToCurve.mapToG2(u).affine), gas: mapFp2ToG2Gas)
    }

    // MARK: Encodings

    /// An Fp element from 64 bytes at `offset`: nil unless the top 16 bytes are zero and the value is below p.
    static func decodeFp(_ bytes: UnsafeRawBufferPointer, offset: Int) -> Fp? {
        for i in offset..<(offset + 16) where bytes[i] != 0 { return nil }
        return Fp(bigEndian: bytes, offset: offset + 16)
    }

    /// An Fp2 element c0 ‖ c1 from 128 bytes at `offset`.
    static func decodeFp2(_ bytes: UnsafeRawBufferPointer, offset: Int) -> Fp2? {
        guard let c0 = decodeFp(bytes, offset: offset), let c1 = decodeFp(bytes, offset: offset + 64) else { return nil }
        return Fp2(c0: c0, c1: c1)
    }

    /// A G1 point x ‖ y from 128 bytes; all zeros is infinity; nil for a coordinate ≥ p or a point off the curve.
    static func decodeG1(_ bytes: UnsafeRawBufferPointer, offset: Int) -> BLS12381.G1Affine? {
        guard let x = decodeFp(bytes, offset: offset), let y = decodeFp(bytes, offset: offset + 64) else { return nil }
        if x.isZero && y.isZero { return .infinity }
        let point = BLS12381.G1Affine(x: x, y: y)
        return point.isOnCurve ? point : nil
    }

    /// A G2 point x ‖ y from 256 bytes; all zeros is infinity; nil for a coordinate ≥ p or a point off the twist.
    static func decodeG2(_ bytes: UnsafeRawBufferPointer, offset: Int) -> BLS12381.G2Affine? {
        guard let x = decodeFp2(bytes, offset: offset), let y = decodeFp2(bytes, offset: offset + 128) else {
            return nil
        }
        if x.isZero && y.isZero { return .infinity }
        let point = BLS12381.G2Affine(x: x, y: y)
        return point.isOnCurve ? point : nil
    }

    /// Appends an Fp element as 64 bytes (16 zero bytes, then the 48-byte value).
    static func appendFp(_ value: Fp, to output: inout [UInt8]) {
        output.append(contentsOf: repeatElement(0, count: 16))
        value.appendBigEndian(to: &output)
    }

    static func encodeG1(_ point: BLS12381.G1Affine) -> [UInt8] {
        guard !point.isInfinity else { return [UInt8](repeating: 0, count: 128) }
        var output: [UInt8] = []
        output.reserveCapacity(128)
        appendFp(point.x, to: &output)
        appendFp(point.y, to: &output)
        return output
    }

    static func encodeG2(_ point: BLS12381.G2Affine) -> [UInt8] {
        guard !point.isInfinity else { return [UInt8](repeating: 0, count: 256) }
        var output: [UInt8] = []
        output.reserveCapacity(256)
        appendFp(point.x.c0, to: &output)
        appendFp(point.x.c1, to: &output)
        appendFp(point.y.c0, to: &output)
        appendFp(point.y.c1, to: &output)
        return output
    }
}
