// The groups: G1 ⊂ E(Fp), E: y² = x³ + 4, and G2 ⊂ E'(Fp2), E': y² = x³ + 4(1 + u), both of prime order r with
// cofactors h1 = 0x396c8c005555e1568c00aaab0000aaab and h2 (509 bits), so EIP-2537 checks subgroup membership
// where it matters (MSM and pairing inputs).

extension BLS12381 {
    /// A 256-bit scalar as four limbs, least significant first (EIP-2537 scalars are not reduced modulo r).
    struct Scalar: Equatable {
        var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

        static let zero = Scalar(w0: 0, w1: 0, w2: 0, w3: 0)

        init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
            self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
        }

        /// Reads 32 big-endian bytes at `offset` (the caller guarantees they exist).
        init(bigEndian bytes: UnsafeRawBufferPointer, offset: Int) {
            @inline(__always)
            func limb(_ index: Int) -> UInt64 {
                var value: UInt64 = 0
                let start = offset + 24 - 8 * index
                for i in 0..<8 { value = value << 8 | UInt64(bytes[start + i]) }
                return value
            }
            self.init(w0: limb(0), w1: limb(1), w2: limb(2), w3: limb(3))
        }

        /// A 128-bit value.
        init(_ value: UInt128) {
            self.init(w0: UInt64(truncatingIfNeeded: value), w1: UInt64(truncatingIfNeeded: value >> 64), w2: 0, w3: 0)
        }

        var isZero: Bool { (w0 | w1 | w2 | w3) == 0 }

        /// The value modulo r (EIP-2537 scalars may reach 2^256 - 1 < 3r, so at most two subtractions).
        var reducedModGroupOrder: Scalar {
            var value = self
            while !value.isBelowGroupOrder {
                var borrow: UInt64 = 0
                let d0 = Fp.subtractWithBorrow(value.w0, 0xffff_ffff_0000_0001, &borrow)
                let d1 = Fp.subtractWithBorrow(value.w1, 0x53bd_a402_fffe_5bfe, &borrow)
                let d2 = Fp.subtractWithBorrow(value.w2, 0x3339_d808_09a1_d805, &borrow)
                let d3 = Fp.subtractWithBorrow(value.w3, 0x73ed_a753_299d_7d48, &borrow)
                value = Scalar(w0: d0, w1: d1, w2: d2, w3: d3)
            }
            return value
        }

        /// Replaces the value by its quotient by |x| and returns the remainder (long division by 64-bit limbs).
        mutating func dividedByXAbsolute() -> UInt64 {
            var remainder: UInt64 = 0
            (w3, remainder) = xAbsolute.dividingFullWidth((high: remainder, low: w3))
            (w2, remainder) = xAbsolute.dividingFullWidth((high: remainder, low: w2))
            (w1, remainder) = xAbsolute.dividingFullWidth((high: remainder, low: w1))
            (w0, remainder) = xAbsolute.dividingFullWidth((high: remainder, low: w0))
            return remainder
        }

        @inline(__always)
        func limb(_ index: Int) -> UInt64 {
            switch index {
            case 0: return w0
            case 1: return w1
            case 2: return w2
            default: return w3
            }
        }

        /// Bit `index` (0 = least significant).
        @inline(__always)
        func bit(_ index: Int) -> Bool { (limb(index >> 6) >> UInt64(index & 63)) & 1 == 1 }

        /// The `width`-bit window starting at bit `index` (width ≤ 32), reading zeros past bit 255.
        @inline(__always)
        func window(at index: Int, width: Int) -> Int {
            let limbIndex = index >> 6
            let shift = UInt64(index & 63)
            var value = limb(limbIndex) >> shift
            if shift != 0 && limbIndex < 3 && Int(shift) + width > 64 { value |= limb(limbIndex + 1) << (64 - shift) }
            return Int(value & ((1 << UInt64(width)) - 1))
        }

        /// Number of significant bits.
        var bitLength: Int {
            if w3 != 0 { return 256 - w3.leadingZeroBitCount }
            if w2 != 0 { return 192 - w2.leadingZeroBitCount }
            if w1 != 0 { return 128 - w1.leadingZeroBitCount }
            return 64 - w0.leadingZeroBitCount
        }

        /// Whether the value is below r, the group order (EIP-4844 field elements must be).
        var isBelowGroupOrder: Bool {
            var borrow: UInt64 = 0
            _ = Fp.subtractWithBorrow(w0, 0xffff_ffff_0000_0001, &borrow)
            _ = Fp.subtractWithBorrow(w1, 0x53bd_a402_fffe_5bfe, &borrow)
            _ = Fp.subtractWithBorrow(w2, 0x3339_d808_09a1_d805, &borrow)
            _ = Fp.subtractWithBorrow(w3, 0x73ed_a753_299d_7d48, &borrow)
            return borrow != 0
        }

        /// r - self for 0 < self < r (negation in the scalar field).
        var negatedModGroupOrder: Scalar {
            guard !isZero else { return self }
            var borrow: UInt64 = 0
            let d0 = Fp.subtractWithBorrow(0xffff_ffff_0000_0001, w0, &borrow)
            let d1 = Fp.subtractWithBorrow(0x53bd_a402_fffe_5bfe, w1, &borrow)
            let d2 = Fp.subtractWithBorrow(0x3339_d808_09a1_d805, w2, &borrow)
            let d3 = Fp.subtractWithBorrow(0x73ed_a753_299d_7d48, w3, &borrow)
            return Scalar(w0: d0, w1: d1, w2: d2, w3: d3)
        }
    }

    /// |x| = 0xd201000000010000, the absolute value of the (negative) curve parameter.
    static let xAbsolute: UInt64 = 0xd201_0000_0001_0000
    /// x², the GLV base on G1 (r = x⁴ - x² + 1).
    static let xSquared: UInt128 = UInt128(xAbsolute) * UInt128(xAbsolute)

    /// A point in affine coordinates; `isInfinity` marks the point at infinity (whose coordinates are zero).
    package struct AffinePoint<F: Field>: Equatable, Sendable {
        var x: F, y: F
        var isInfinity: Bool

        static var infinity: AffinePoint { AffinePoint(x: .zero, y: .zero, isInfinity: true) }

        init(x: F, y: F, isInfinity: Bool = false) {
            self.x = x; self.y = y; self.isInfinity = isInfinity
        }

        /// Whether y² = x³ + b (the point at infinity is on the curve).
        var isOnCurve: Bool {
            isInfinity || y.squared == x.squared * x + F.curveB
        }

        package var negated: AffinePoint { isInfinity ? self : AffinePoint(x: x, y: y.negated) }

        var jacobian: JacobianPoint<F> { isInfinity ? .infinity : JacobianPoint(x: x, y: y, z: .one) }

        /// [|x|]P by double-and-add with mixed additions of this affine P (|x| is sparse: five additions).
        var timesXAbsolute: JacobianPoint<F> {
            guard !isInfinity else { return .infinity }
            var result = jacobian
            var bit = 62  // the top bit (63) is the starting value
            while bit >= 0 {
                result = result.doubled
                if (BLS12381.xAbsolute >> UInt64(bit)) & 1 == 1 { result = result.adding(self) }
                bit -= 1
            }
            return result
        }
    }

    /// A point of y² = x³ + b in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity.
    /// Over Fp it holds G1 points; over Fp2, G2 points.
    struct JacobianPoint<F: Field>: Sendable {
        var x: F, y: F, z: F

        static var infinity: JacobianPoint { JacobianPoint(x: .one, y: .one, z: .zero) }

        @inline(__always)
        init(x: F, y: F, z: F) { self.x = x; self.y = y; self.z = z }

        var isInfinity: Bool { z.isZero }

        var negated: JacobianPoint { JacobianPoint(x: x, y: y.negated, z: z) }

        /// Affine coordinates (one inversion).
        var affine: AffinePoint<F> {
            guard !z.isZero else { return .infinity }
            let zInverse = z.inverse
            let zInverse2 = zInverse.squared
            return AffinePoint(x: x * zInverse2, y: y * zInverse2 * zInverse)
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

        static func - (p: JacobianPoint, q: JacobianPoint) -> JacobianPoint { p + q.negated }

        /// P + Q for an affine Q (madd-2007-bl), falling back to doubling for P = Q.
        func adding(_ q: AffinePoint<F>) -> JacobianPoint {
            if q.isInfinity { return self }
            if isInfinity { return q.jacobian }
            let z1z1 = z.squared
            let u2 = q.x * z1z1
            let s2 = q.y * z * z1z1
            let h = u2 - x
            let r = (s2 - y).doubled
            if h.isZero {
                return r.isZero ? doubled : .infinity
            }
            let hh = h.squared
            let i = hh.doubled.doubled
            let j = h * i
            let v = x * i
            let x3 = r.squared - j - v.doubled
            let y3 = r * (v - x3) - (y * j).doubled
            let z3 = (z + h).squared - z1z1 - hh
            return JacobianPoint(x: x3, y: y3, z: z3)
        }

        /// Whether P and Q are the same point (cross-multiplying the Jacobian denominators).
        func isEqual(to q: JacobianPoint) -> Bool {
            if isInfinity || q.isInfinity { return isInfinity && q.isInfinity }
            let z1z1 = z.squared
            let z2z2 = q.z.squared
            return x * z2z2 == q.x * z1z1 && y * z2z2 * q.z == q.y * z1z1 * z
        }

        /// [k]P for a 64-bit k by double-and-add.
        func multiplied(bySmall k: UInt64) -> JacobianPoint {
            guard k != 0 else { return .infinity }
            var result = self
            var bit = 63 - k.leadingZeroBitCount
            while bit > 0 {
                bit -= 1
                result = result.doubled
                if (k >> UInt64(bit)) & 1 == 1 { result = result + self }
            }
            return result
        }

        /// [|x|]P, with |x| = 0xd201000000010000 (sparse: five additions).
        var timesXAbsolute: JacobianPoint { multiplied(bySmall: BLS12381.xAbsolute) }

        /// [k]P for a 256-bit k: fixed 4-bit windows over a table of 0..15 multiples.
        func multiplied(by scalar: Scalar) -> JacobianPoint {
            let bits = scalar.bitLength
            guard bits > 0, !isInfinity else { return .infinity }
            var table = [JacobianPoint](repeating: .infinity, count: 16)
            table[1] = self
            for i in 2..<16 { table[i] = i % 2 == 0 ? table[i / 2].doubled : table[i - 1] + self }
            var result = JacobianPoint.infinity
            var index = (bits + 3) / 4 * 4 - 4
            while index >= 0 {
                if !result.isInfinity { result = result.doubled.doubled.doubled.doubled }
                let digit = scalar.window(at: index, width: 4)
                if digit != 0 { result = result + table[digit] }
                index -= 4
            }
            return result
        }

        /// Normalises many points at once with one inversion (Montgomery's trick).
        static func batchAffine(_ points: [JacobianPoint]) -> [AffinePoint<F>] {
            var prefix = [F](repeating: .one, count: points.count)
            var accumulator = F.one
            for (i, point) in points.enumerated() {
                prefix[i] = accumulator
                if !point.isInfinity { accumulator = accumulator * point.z }
            }
            var inverse = accumulator.inverse
            var result = [AffinePoint<F>](repeating: .infinity, count: points.count)
            for i in stride(from: points.count - 1, through: 0, by: -1) where !points[i].isInfinity {
                let zInverse = inverse * prefix[i]
                inverse = inverse * points[i].z
                let zInverse2 = zInverse.squared
                result[i] = AffinePoint(x: points[i].x * zInverse2, y: points[i].y * zInverse2 * zInverse)
            }
            return result
        }
    }
}

// MARK: - G1 and G2 specifics

extension BLS12381 {
    package typealias G1Affine = AffinePoint<Fp>
    typealias G1Point = JacobianPoint<Fp>
    package typealias G2Affine = AffinePoint<Fp2>
    typealias G2Point = JacobianPoint<Fp2>

    /// The standard generators (EIP-2537, RFC 9380).
    package static let g1Generator = G1Affine(
        x: Fp(hex: "0x17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"),
        y: Fp(hex: "0x08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"))
    package static let g2Generator = G2Affine(
        x: Fp2(c0: Fp(hex: "0x024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"),
               c1: Fp(hex: "0x13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e")),
        y: Fp2(c0: Fp(hex: "0x0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"),
               c1: Fp(hex: "0x0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be")))

    /// β, the primitive cube root of unity in Fp with φ(x, y) = (βx, y) acting on G1 as [-x²]
    /// (the other cube root acts as [x² - 1]).
    static let beta = Fp(hex: "0x5f19672fdf76ce51ba69c6076a0f77eaddb3a93be6f89688de17d813620a00022e01fffffffefffe")

    /// Whether a G1 point (on the curve) is in the order-r subgroup: φ(P) = [-x²]P (Scott, eprint 2021/1130 §6;
    /// proof in eprint 2022/352), two 64-bit multiplications instead of one by the 255-bit r.
    static func isInG1(_ point: G1Affine) -> Bool {
        if point.isInfinity { return true }
        // [x²]P = [|x|]([|x|]P) since x² = |x|²; φ(P) must equal its negation.
        let xSquaredP = point.timesXAbsolute.timesXAbsolute
        let phi = G1Point(x: point.x * beta, y: point.y, z: .one)
        return phi.isEqual(to: xSquaredP.negated)
    }

    /// ψ(x, y) = (conj(x)·c1, conj(y)·c2), the untwist-Frobenius-twist endomorphism of E' (RFC 9380 §G.3), in
    /// Jacobian coordinates (conjugating Z keeps x = X/Z² and y = Y/Z³ consistent).
    static func psi(_ point: G2Point) -> G2Point {
        G2Point(x: point.x.conjugate * Constants.psiX, y: point.y.conjugate * Constants.psiY, z: point.z.conjugate)
    }

    /// ψ on an affine point.
    static func psi(_ point: G2Affine) -> G2Affine {
        point.isInfinity ? point : G2Affine(x: point.x.conjugate * Constants.psiX, y: point.y.conjugate * Constants.psiY)
    }

    /// Whether a G2 point (on the twist) is in the order-r subgroup: ψ(Q) = [x]Q (Scott, eprint 2021/1130 §4;
    /// proof in eprint 2022/352), one 64-bit multiplication.
    static func isInG2(_ point: G2Affine) -> Bool {
        if point.isInfinity { return true }
        // x is negative: [x]Q = -[|x|]Q.
        return psi(point.jacobian).isEqual(to: point.timesXAbsolute.negated)
    }
}

extension BLS12381.Constants {
    /// 1/ξ^((p-1)/3) and 1/ξ^((p-1)/2), the coefficients of ψ.
    static let psiX: BLS12381.Fp2 = frobeniusGamma[0][1].inverse
    static let psiY: BLS12381.Fp2 = frobeniusGamma[0][2].inverse
}
