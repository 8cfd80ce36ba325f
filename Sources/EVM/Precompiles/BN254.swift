import Primitives

/// The BN254 (alt_bn128) precompiles: ECADD (0x06, EIP-196), ECMUL (0x07, EIP-196) and the pairing check
/// (0x08, EIP-197), priced by EIP-1108 from Istanbul on.
enum BN254Precompiles {
    /// Runs ECADD: two G1 points of 64 bytes each (input zero-padded to 128 bytes, extra bytes ignored).
    static func add(input: [UInt8], gasLimit: UInt64, fork: Fork) -> PrecompileResult {
        let gas: UInt64 = fork >= .istanbul ? 150 : 500
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        guard let a = decodeG1(input, offset: 0), let b = decodeG1(input, offset: 64) else {
            return .failure(gasLimit: gasLimit)
        }
        return .ok(encodeG1(a + b), gas: gas)
    }

    /// Runs ECMUL: a G1 point and a 256-bit scalar (input zero-padded to 96 bytes).
    static func multiply(input: [UInt8], gasLimit: UInt64, fork: Fork) -> PrecompileResult {
        let gas: UInt64 = fork >= .istanbul ? 6000 : 40000
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        guard let point = decodeG1(input, offset: 0) else { return .failure(gasLimit: gasLimit) }
        // Any 256-bit scalar is allowed; G1 has prime order r, so multiplying by it as-is equals reducing mod r.
        let scalar = paddedWord(input, offset: 64)
        return .ok(encodeG1(point.multiplied(by: scalar)), gas: gas)
    }

    /// Runs the pairing check: k pairs of (G1, G2) in 192 bytes each; returns the word 1 when the product of
    /// pairings is one (true for k = 0), else 0.
    static func pairing(input: [UInt8], gasLimit: UInt64, fork: Fork) -> PrecompileResult {
        let pairs = UInt64(input.count / 192)
        let gas: UInt64 = fork >= .istanbul ? 45000 + 34000 * pairs : 100_000 + 80000 * pairs
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        guard input.count % 192 == 0 else { return .failure(gasLimit: gasLimit) }
        var g1Points = [(x: Fp, y: Fp)]()
        var g2Points = [(x: Fp2, y: Fp2)]()
        for pair in 0..<Int(pairs) {
            let offset = 192 * pair
            guard let p = decodeG1(input, offset: offset), let q = decodeG2(input, offset: offset + 64) else {
                return .failure(gasLimit: gasLimit)
            }
            // EIP-197: G2 points outside the order-r subgroup are invalid input (G1 has cofactor 1).
            guard BN254Pairing.isInG2(q) else {
                return .failure(gasLimit: gasLimit)
            }
            // A pair with either point at infinity contributes a factor of one.
            guard let pAffine = p.affine, let qAffine = q.affine else { continue }
            g1Points.append(pAffine)
            g2Points.append(qAffine)
        }
        var output = [UInt8](repeating: 0, count: 32)
        if BN254Pairing.productIsOne(g1: g1Points, g2: g2Points) { output[31] = 1 }
        return .ok(output, gas: gas)
    }

    /// A field element from 32 big-endian bytes, nil unless below p.
    static func decodeFp(_ input: [UInt8], offset: Int) -> Fp? {
        let value = paddedWord(input, offset: offset)
        guard value < Fp.modulus else { return nil }
        return Fp(value)
    }

    /// A G1 point from `x ‖ y`; (0, 0) is infinity; nil for coordinates ≥ p or a point off y^2 = x^3 + 3.
    static func decodeG1(_ input: [UInt8], offset: Int) -> JacobianPoint<Fp>? {
        guard let x = decodeFp(input, offset: offset), let y = decodeFp(input, offset: offset + 32) else { return nil }
        if x.isZero && y.isZero { return .infinity }
        guard y.squared == x.squared * x + BN254Constants.curveB else { return nil }
        return JacobianPoint(x: x, y: y, z: .one)
    }

    /// A G2 point from `x.imaginary ‖ x.real ‖ y.imaginary ‖ y.real` (EIP-197 order); (0, 0) is infinity; nil for
    /// coordinates ≥ p or a point off the twist y^2 = x^3 + 3/ξ. Subgroup membership is checked by the caller.
    static func decodeG2(_ input: [UInt8], offset: Int) -> JacobianPoint<Fp2>? {
        guard let xImaginary = decodeFp(input, offset: offset), let xReal = decodeFp(input, offset: offset + 32),
              let yImaginary = decodeFp(input, offset: offset + 64), let yReal = decodeFp(input, offset: offset + 96)
        else { return nil }
        let x = Fp2(c0: xReal, c1: xImaginary)
        let y = Fp2(c0: yReal, c1: yImaginary)
        if x.isZero && y.isZero { return .infinity }
        guard y.squared == x.squared * x + BN254Constants.twistB else { return nil }
        return JacobianPoint(x: x, y: y, z: .one)
    }

    /// `x ‖ y` of a G1 point, (0, 0) for infinity.
    static func encodeG1(_ point: JacobianPoint<Fp>) -> [UInt8] {
        guard let affine = point.affine else { return [UInt8](repeating: 0, count: 64) }
        return affine.x.value.bigEndianBytes + affine.y.value.bigEndianBytes
    }
}

/// A point of y^2 = x^3 + b in Jacobian coordinates (x = X/Z^2, y = Y/Z^3); Z = 0 is the point at infinity.
/// Over Fp it is G1; over Fp2 it is the twist hosting G2.
struct JacobianPoint<F: BN254Field> {
    var x: F, y: F, z: F

    static var infinity: JacobianPoint { JacobianPoint(x: .one, y: .one, z: .zero) }

    var isInfinity: Bool { z.isZero }

    /// Affine coordinates, nil for infinity.
    var affine: (x: F, y: F)? {
        guard !z.isZero else { return nil }
        let zInverse = z.inverse
        let zInverse2 = zInverse.squared
        return (x * zInverse2, y * zInverse2 * zInverse)
    }

    /// 2P (dbl-2009-l, a = 0).
    var doubled: JacobianPoint {
        guard !z.isZero else { return self }
        let a = x.squared
        let b = y.squared
        let c = b.squared
        let d = ((x + b).squared - a - c).doubled
        let e = a.doubled + a
        let f = e.squared
        let x3 = f - d.doubled
        let y3 = e * (d - x3) - c.doubled.doubled.doubled
        let z3 = (y * z).doubled
        return JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// P + Q (add-2007-bl), falling back to doubling for P = Q.
    static func + (p: JacobianPoint, q: JacobianPoint) -> JacobianPoint {
        if p.isInfinity { return q }
        if q.isInfinity { return p }
        let z1z1 = p.z.squared
        let z2z2 = q.z.squared
        let u1 = p.x * z2z2
        let u2 = q.x * z1z1
        let s1 = p.y * q.z * z2z2
        let s2 = q.y * p.z * z1z1
        let h = u2 - u1
        let r = (s2 - s1).doubled
        if h.isZero {
            return r.isZero ? p.doubled : .infinity
        }
        let i = h.doubled.squared
        let j = h * i
        let v = u1 * i
        let x3 = r.squared - j - v.doubled
        let y3 = r * (v - x3) - (s1 * j).doubled
        let z3 = ((p.z + q.z).squared - z1z1 - z2z2) * h
        return JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// Whether P and Q are the same point (cross-multiplying the Jacobian denominators).
    func isEqual(to q: JacobianPoint) -> Bool {
        if isInfinity || q.isInfinity { return isInfinity && q.isInfinity }
        let z1z1 = z.squared
        let z2z2 = q.z.squared
        return x * z2z2 == q.x * z1z1 && y * z2z2 * q.z == q.y * z1z1 * z
    }

    /// k·P by double-and-add over the bits of a 256-bit scalar.
    func multiplied(by scalar: U256) -> JacobianPoint {
        var result = JacobianPoint.infinity
        var bit = scalar.bitWidth
        let limbs = [scalar.w0, scalar.w1, scalar.w2, scalar.w3]
        while bit > 0 {
            bit -= 1
            result = result.doubled
            if (limbs[bit / 64] >> UInt64(bit % 64)) & 1 == 1 { result = result + self }
        }
        return result
    }
}

/// The optimal ate pairing on BN254 (Vercauteren 2010), evaluated as a product check: a shared Miller loop over
/// all pairs, then one final exponentiation.
enum BN254Pairing {
    /// r, the order of G1 and G2.
    static let groupOrder = U256(w0: 0x43e1_f593_f000_0001, w1: 0x2833_e848_79b9_7091,
                                 w2: 0xb850_45b6_8181_585d, w3: 0x3064_4e72_e131_a029)
    /// The BN parameter u (p and r are polynomials in it).
    static let u: UInt64 = 0x44e9_92b4_4a69_09f1
    /// 6u + 2 in non-adjacent form, most significant digit first (fewer additions than binary).
    static let loopNAF: [Int8] = [
        1, 0, -1, 0, 1, 0, 0, 0, -1, 0, -1, 0, 0, 0, -1, 0, 1, 0, -1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0,
        1, 0, 0, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, -1, 0, -1, 0, 0, 1, 0, 0, 0, -1, 0, 0, -1, 0, 1, 0, 1, 0, 0, 0,
    ]

    /// Whether a point of the twist lies in G2, the order-r subgroup (EIP-197 requires it).
    ///
    /// Instead of checking [r]Q = O (a 254-bit multiplication), uses the equivalent test of Dai-Lin-Zhao-Zhou
    /// (eprint 2022/348, §5.1, as in gnark-crypto): [u+1]Q + ψ([u]Q) + ψ²([u]Q) = ψ³([2u]Q), with ψ the
    /// untwist-Frobenius-twist endomorphism; one 63-bit multiplication.
    static func isInG2(_ q: JacobianPoint<Fp2>) -> Bool {
        if q.isInfinity { return true }
        let uQ = q.multiplied(by: U256(u))
        let psiUQ = psi(uQ)
        let psi2UQ = psi(psiUQ)
        let lhs = uQ + q + psiUQ + psi2UQ
        let rhs = psi(psi2UQ).doubled
        return lhs.isEqual(to: rhs)
    }

    /// ψ(x, y) = (x^p·ξ^((p-1)/3), y^p·ξ^((p-1)/2)) on the twist, in Jacobian coordinates (conjugating Z keeps
    /// x = X/Z^2 and y = Y/Z^3 consistent).
    static func psi(_ q: JacobianPoint<Fp2>) -> JacobianPoint<Fp2> {
        let gamma = BN254Constants.frobeniusGamma[0]
        return JacobianPoint(x: q.x.conjugate * gamma[1], y: q.y.conjugate * gamma[2], z: q.z.conjugate)
    }

    /// Whether ∏ e(P_i, Q_i) = 1 for affine, non-infinity points (Q_i in G2).
    static func productIsOne(g1: [(x: Fp, y: Fp)], g2: [(x: Fp2, y: Fp2)]) -> Bool {
        guard !g1.isEmpty else { return true }
        return finalExponentiation(millerLoop(g1: g1, g2: g2)) == .one
    }

    /// A point of the twist in homogeneous projective coordinates (x = X/Z, y = Y/Z), as the line formulas
    /// of Costello-Lange-Naehrig 2010 use.
    struct TwistPoint {
        var x: Fp2, y: Fp2, z: Fp2
    }

    /// Doubles `t` and returns the tangent line at `t` as the coefficients of 1, w and w^3, scaled by a factor
    /// in Fp2 (which the final exponentiation removes); the 1 and w coefficients still need y_P and x_P.
    @inline(__always)
    static func doublingStep(_ t: inout TwistPoint) -> (Fp2, Fp2, Fp2) {
        let a = (t.x * t.y).scaled(by: BN254Constants.twoInverse)
        let b = t.y.squared
        let c = t.z.squared
        let e = BN254Constants.twistB * (c.doubled + c)
        let f = e.doubled + e
        let g = (b + f).scaled(by: BN254Constants.twoInverse)
        let h = (t.y + t.z).squared - (b + c)
        let i = e - b
        let j = t.x.squared
        let eSquared = e.squared
        t.x = a * (b - f)
        t.y = g.squared - (eSquared.doubled + eSquared)
        t.z = b * h
        return (h.negated, j.doubled + j, i)
    }

    /// Replaces `t` by t + q (q affine) and returns the line through them, as for `doublingStep`.
    @inline(__always)
    static func additionStep(_ t: inout TwistPoint, _ q: (x: Fp2, y: Fp2)) -> (Fp2, Fp2, Fp2) {
        let theta = t.y - q.y * t.z
        let lambda = t.x - q.x * t.z
        let c = theta.squared
        let d = lambda.squared
        let e = lambda * d
        let f = t.z * c
        let g = t.x * d
        let h = e + f - g.doubled
        let newY = theta * (g - h) - e * t.y
        t.x = lambda * h
        t.y = newY
        t.z = t.z * e
        let j = theta * q.x - lambda * q.y
        return (lambda, theta.negated, j)
    }

    /// Multiplies `f` by a line evaluated at P: (c0·y_P) + (c1·x_P)·w + c2·w^3.
    @inline(__always)
    static func applyLine(_ f: inout Fp12, _ line: (Fp2, Fp2, Fp2), _ p: (x: Fp, y: Fp)) {
        f = f.multiplied(byLine: line.0.scaled(by: p.y), line.1.scaled(by: p.x), line.2)
    }

    /// The Miller loop of the optimal ate pairing, f_{6u+2,Q}(P) · l_{T,π(Q)}(P) · l_{T',-π²(Q)}(P), for all pairs.
    static func millerLoop(g1: [(x: Fp, y: Fp)], g2: [(x: Fp2, y: Fp2)]) -> Fp12 {
        var t = g2.map { TwistPoint(x: $0.x, y: $0.y, z: .one) }
        let negatedQ = g2.map { (x: $0.x, y: $0.y.negated) }
        var f = Fp12.one
        for index in 1..<loopNAF.count {
            if index > 1 { f = f.squared }
            for k in 0..<g1.count {
                applyLine(&f, doublingStep(&t[k]), g1[k])
                switch loopNAF[index] {
                case 1: applyLine(&f, additionStep(&t[k], g2[k]), g1[k])
                case -1: applyLine(&f, additionStep(&t[k], negatedQ[k]), g1[k])
                default: break
                }
            }
        }
        // The two extra lines of the optimal ate pairing, with the twisted Frobenius π(x, y) = (x^p γ2, y^p γ3).
        let gamma = BN254Constants.frobeniusGamma
        for k in 0..<g1.count {
            let q1 = (x: g2[k].x.conjugate * gamma[0][1], y: g2[k].y.conjugate * gamma[0][2])
            // -π²(Q): π² scales x by ξ^((p²-1)/3) and y by ξ^((p²-1)/2) = -1, so negating leaves y unchanged.
            let q2 = (x: g2[k].x * gamma[1][1], y: g2[k].y)
            applyLine(&f, additionStep(&t[k], q1), g1[k])
            applyLine(&f, additionStep(&t[k], q2), g1[k])
        }
        return f
    }

    /// f^((p^12 - 1)/r): the easy part (p^6 - 1)(p^2 + 1), then the hard part (p^4 - p^2 + 1)/r by the
    /// u-based addition chain of Devegili-Scott-Dahab 2007 (as in go-ethereum's bn256).
    static func finalExponentiation(_ input: Fp12) -> Fp12 {
        // Easy part: f^(p^6 - 1) = conj(f)/f, then ·^(p^2 + 1).
        var t1 = input.conjugate * input.inverse
        t1 = t1.frobenius(2) * t1

        let fp = t1.frobenius(1)
        let fp2 = t1.frobenius(2)
        let fp3 = fp2.frobenius(1)

        let fu = powerByU(t1)
        let fu2 = powerByU(fu)
        let fu3 = powerByU(fu2)

        var y3 = fu.frobenius(1)
        let fu2p = fu2.frobenius(1)
        let fu3p = fu3.frobenius(1)
        let y2 = fu2.frobenius(2)

        let y0 = fp * fp2 * fp3
        // Conjugation is inversion in the cyclotomic subgroup.
        let y1 = t1.conjugate
        let y5 = fu2.conjugate
        y3 = y3.conjugate
        let y4 = (fu * fu2p).conjugate
        let y6 = (fu3 * fu3p).conjugate

        var t0 = y6.cyclotomicSquared * y4 * y5
        var t = y3 * y5 * t0
        t0 = t0 * y2
        t = (t.cyclotomicSquared * t0).cyclotomicSquared
        t0 = t * y1
        t = t * y0
        t0 = t0.cyclotomicSquared * t
        return t0
    }

    /// f^u by square and multiply over the 63 bits of u (f in the cyclotomic subgroup).
    static func powerByU(_ f: Fp12) -> Fp12 {
        var result = f
        var bit = 62  // u has 63 bits; the top one is the initial value.
        while bit > 0 {
            bit -= 1
            result = result.cyclotomicSquared
            if (u >> UInt64(bit)) & 1 == 1 { result = result * f }
        }
        return result
    }
}
