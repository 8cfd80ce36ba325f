import Primitives

// The field tower of BN254 (alt_bn128, EIP-196/197):
//   Fp   = integers mod p, in Montgomery form with four 64-bit limbs
//   Fp2  = Fp[i] / (i^2 + 1)
//   Fp6  = Fp2[v] / (v^3 - ξ), ξ = 9 + i
//   Fp12 = Fp6[w] / (w^2 - v)
// Fixed limbs rather than GMP: a heap-backed big integer is 65-90x slower on this machine (STYLE.md).

/// Field operations shared by Fp and Fp2, so the curve code is written once for G1 and G2.
protocol BN254Field: Equatable {
    static var zero: Self { get }
    static var one: Self { get }
    var isZero: Bool { get }
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    var squared: Self { get }
    var doubled: Self { get }
    var negated: Self { get }
    var inverse: Self { get }
}

/// An element of the BN254 base field, stored as `a·R mod p` with R = 2^256 (Montgomery form).
struct Fp: BN254Field {
    var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64

    // p = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47, least significant limb first.
    static let p0: UInt64 = 0x3c20_8c16_d87c_fd47
    static let p1: UInt64 = 0x9781_6a91_6871_ca8d
    static let p2: UInt64 = 0xb850_45b6_8181_585d
    static let p3: UInt64 = 0x3064_4e72_e131_a029
    /// -p^-1 mod 2^64, the Montgomery reduction factor.
    static let inverseP0: UInt64 = 0x87d2_0782_e486_6389
    /// R^2 mod p, to enter Montgomery form.
    static let rSquared = Fp(l0: 0xf32c_fc5b_538a_fa89, l1: 0xb5e7_1911_d445_01fb,
                             l2: 0x47ab_1eff_0a41_7ff6, l3: 0x06d8_9f71_cab8_351f)
    static let modulus = U256(w0: p0, w1: p1, w2: p2, w3: p3)

    static let zero = Fp(l0: 0, l1: 0, l2: 0, l3: 0)
    /// R mod p.
    static let one = Fp(U256.one)

    @inline(__always)
    init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    /// Converts a canonical value (must be below p) into Montgomery form.
    init(_ value: U256) {
        self = Fp(l0: value.w0, l1: value.w1, l2: value.w2, l3: value.w3) * Fp.rSquared
    }

    /// The canonical value (out of Montgomery form).
    var value: U256 {
        let plain = self * Fp(l0: 1, l1: 0, l2: 0, l3: 0)
        return U256(w0: plain.l0, w1: plain.l1, w2: plain.l2, w3: plain.l3)
    }

    var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

    /// `acc + x*y + carry` as (low, high); cannot overflow 128 bits.
    @inline(__always)
    static func mac(_ acc: UInt64, _ x: UInt64, _ y: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        // 128-bit arithmetic lowers to mul + add/adc.
        let t = UInt128(x) &* UInt128(y) &+ UInt128(acc) &+ UInt128(carry)
        return (UInt64(truncatingIfNeeded: t), UInt64(truncatingIfNeeded: t >> 64))
    }

    /// Subtracts p once if the value is at least p (inputs below 2p).
    @inline(__always)
    static func reduceOnce(_ t0: UInt64, _ t1: UInt64, _ t2: UInt64, _ t3: UInt64) -> Fp {
        let (r0, b0) = t0.subtractingReportingOverflow(p0)
        let (r1a, b1a) = t1.subtractingReportingOverflow(p1)
        let (r1, b1b) = r1a.subtractingReportingOverflow(b0 ? 1 : 0)
        let (r2a, b2a) = t2.subtractingReportingOverflow(p2)
        let (r2, b2b) = r2a.subtractingReportingOverflow((b1a || b1b) ? 1 : 0)
        let (r3a, b3a) = t3.subtractingReportingOverflow(p3)
        let (r3, b3b) = r3a.subtractingReportingOverflow((b2a || b2b) ? 1 : 0)
        if b3a || b3b { return Fp(l0: t0, l1: t1, l2: t2, l3: t3) }
        return Fp(l0: r0, l1: r1, l2: r2, l3: r3)
    }

    /// Montgomery multiplication (CIOS without the final carry word, valid because p < 2^254).
    @inline(__always)
    static func * (a: Fp, b: Fp) -> Fp {
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0
        @inline(__always)
        func step(_ bi: UInt64) {
            var a0: UInt64, c: UInt64, m: UInt64, lo: UInt64
            (t0, a0) = mac(t0, a.l0, bi, 0)
            m = t0 &* inverseP0
            (_, c) = mac(t0, m, p0, 0)
            (lo, a0) = mac(t1, a.l1, bi, a0)
            (t0, c) = mac(lo, m, p1, c)
            (lo, a0) = mac(t2, a.l2, bi, a0)
            (t1, c) = mac(lo, m, p2, c)
            (lo, a0) = mac(t3, a.l3, bi, a0)
            (t2, c) = mac(lo, m, p3, c)
            t3 = c &+ a0
        }
        step(b.l0)
        step(b.l1)
        step(b.l2)
        step(b.l3)
        return reduceOnce(t0, t1, t2, t3)
    }

    @inline(__always)
    static func + (a: Fp, b: Fp) -> Fp {
        // Both below p < 2^254, so the sum fits in 256 bits.
        let (s0, c0) = a.l0.addingReportingOverflow(b.l0)
        let (s1a, c1a) = a.l1.addingReportingOverflow(b.l1)
        let (s1, c1b) = s1a.addingReportingOverflow(c0 ? 1 : 0)
        let (s2a, c2a) = a.l2.addingReportingOverflow(b.l2)
        let (s2, c2b) = s2a.addingReportingOverflow((c1a || c1b) ? 1 : 0)
        let s3 = a.l3 &+ b.l3 &+ ((c2a || c2b) ? 1 : 0)
        return reduceOnce(s0, s1, s2, s3)
    }

    @inline(__always)
    static func - (a: Fp, b: Fp) -> Fp {
        let (d0, b0) = a.l0.subtractingReportingOverflow(b.l0)
        let (d1a, b1a) = a.l1.subtractingReportingOverflow(b.l1)
        let (d1, b1b) = d1a.subtractingReportingOverflow(b0 ? 1 : 0)
        let (d2a, b2a) = a.l2.subtractingReportingOverflow(b.l2)
        let (d2, b2b) = d2a.subtractingReportingOverflow((b1a || b1b) ? 1 : 0)
        let (d3a, b3a) = a.l3.subtractingReportingOverflow(b.l3)
        let (d3, b3b) = d3a.subtractingReportingOverflow((b2a || b2b) ? 1 : 0)
        guard b3a || b3b else { return Fp(l0: d0, l1: d1, l2: d2, l3: d3) }
        // Borrowed: add p back (the wrap-around cancels the borrow).
        let (e0, c0) = d0.addingReportingOverflow(p0)
        let (e1a, c1a) = d1.addingReportingOverflow(p1)
        let (e1, c1b) = e1a.addingReportingOverflow(c0 ? 1 : 0)
        let (e2a, c2a) = d2.addingReportingOverflow(p2)
        let (e2, c2b) = e2a.addingReportingOverflow((c1a || c1b) ? 1 : 0)
        let e3 = d3 &+ p3 &+ ((c2a || c2b) ? 1 : 0)
        return Fp(l0: e0, l1: e1, l2: e2, l3: e3)
    }

    var squared: Fp { self * self }
    var doubled: Fp { self + self }
    var negated: Fp { Fp.zero - self }

    /// a^e for a 256-bit exponent.
    func power(_ exponent: U256) -> Fp {
        var result = Fp.one
        var bit = exponent.bitWidth
        while bit > 0 {
            bit -= 1
            result = result.squared
            if (exponent >> bit).w0 & 1 == 1 { result = result * self }
        }
        return result
    }

    /// a^(p-2) = a^-1 (Fermat); zero maps to zero.
    var inverse: Fp { power(Fp.modulus &- U256(2)) }

    /// A square root if one exists: p ≡ 3 (mod 4), so it is a^((p+1)/4).
    var squareRoot: Fp? {
        let root = power((Fp.modulus &+ U256.one) >> 2)
        return root.squared == self ? root : nil
    }
}

/// An element c0 + c1·i of Fp2 = Fp[i]/(i^2 + 1).
struct Fp2: BN254Field {
    var c0: Fp, c1: Fp

    static let zero = Fp2(c0: .zero, c1: .zero)
    static let one = Fp2(c0: .one, c1: .zero)
    /// ξ = 9 + i, the non-residue defining Fp6 and the twist.
    static let xi = Fp2(c0: Fp(U256(9)), c1: .one)

    @inline(__always)
    init(c0: Fp, c1: Fp) { self.c0 = c0; self.c1 = c1 }

    var isZero: Bool { c0.isZero && c1.isZero }

    @inline(__always)
    static func + (a: Fp2, b: Fp2) -> Fp2 { Fp2(c0: a.c0 + b.c0, c1: a.c1 + b.c1) }
    @inline(__always)
    static func - (a: Fp2, b: Fp2) -> Fp2 { Fp2(c0: a.c0 - b.c0, c1: a.c1 - b.c1) }

    /// Karatsuba: three Fp multiplications.
    @inline(__always)
    static func * (a: Fp2, b: Fp2) -> Fp2 {
        let v0 = a.c0 * b.c0
        let v1 = a.c1 * b.c1
        return Fp2(c0: v0 - v1, c1: (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1)
    }

    @inline(__always)
    func scaled(by k: Fp) -> Fp2 { Fp2(c0: c0 * k, c1: c1 * k) }

    /// (a + bi)^2 = (a + b)(a - b) + 2ab·i.
    var squared: Fp2 {
        let ab = c0 * c1
        return Fp2(c0: (c0 + c1) * (c0 - c1), c1: ab + ab)
    }
    var doubled: Fp2 { self + self }
    var negated: Fp2 { Fp2(c0: c0.negated, c1: c1.negated) }
    /// The Frobenius map x ↦ x^p, which conjugates because p ≡ 3 (mod 4).
    var conjugate: Fp2 { Fp2(c0: c0, c1: c1.negated) }

    /// Multiplication by ξ = 9 + i: (a + bi)(9 + i) = (9a - b) + (a + 9b)i.
    @inline(__always)
    var timesXi: Fp2 {
        let a8 = c0.doubled.doubled.doubled
        let b8 = c1.doubled.doubled.doubled
        return Fp2(c0: a8 + c0 - c1, c1: c0 + b8 + c1)
    }

    var inverse: Fp2 {
        let normInverse = (c0.squared + c1.squared).inverse
        return Fp2(c0: c0 * normInverse, c1: (c1 * normInverse).negated)
    }

    /// a^e for a 256-bit exponent.
    func power(_ exponent: U256) -> Fp2 {
        var result = Fp2.one
        var bit = exponent.bitWidth
        while bit > 0 {
            bit -= 1
            result = result.squared
            if (exponent >> bit).w0 & 1 == 1 { result = result * self }
        }
        return result
    }
}

/// An element c0 + c1·v + c2·v^2 of Fp6 = Fp2[v]/(v^3 - ξ).
struct Fp6: Equatable {
    var c0: Fp2, c1: Fp2, c2: Fp2

    static let zero = Fp6(c0: .zero, c1: .zero, c2: .zero)
    static let one = Fp6(c0: .one, c1: .zero, c2: .zero)

    var isZero: Bool { c0.isZero && c1.isZero && c2.isZero }

    @inline(__always)
    static func + (a: Fp6, b: Fp6) -> Fp6 { Fp6(c0: a.c0 + b.c0, c1: a.c1 + b.c1, c2: a.c2 + b.c2) }
    @inline(__always)
    static func - (a: Fp6, b: Fp6) -> Fp6 { Fp6(c0: a.c0 - b.c0, c1: a.c1 - b.c1, c2: a.c2 - b.c2) }
    var negated: Fp6 { Fp6(c0: c0.negated, c1: c1.negated, c2: c2.negated) }

    /// Karatsuba-style product: six Fp2 multiplications.
    static func * (a: Fp6, b: Fp6) -> Fp6 {
        let v0 = a.c0 * b.c0
        let v1 = a.c1 * b.c1
        let v2 = a.c2 * b.c2
        let c0 = v0 + ((a.c1 + a.c2) * (b.c1 + b.c2) - v1 - v2).timesXi
        let c1 = (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1 + v2.timesXi
        let c2 = (a.c0 + a.c2) * (b.c0 + b.c2) - v0 - v2 + v1
        return Fp6(c0: c0, c1: c1, c2: c2)
    }

    /// Product with b0 + b1·v (the shape of Miller-loop line coefficients): five Fp2 multiplications.
    @inline(__always)
    func multiplied(by b0: Fp2, _ b1: Fp2) -> Fp6 {
        let v0 = c0 * b0
        let v1 = c1 * b1
        // (c0 + c1 v + c2 v^2)(b0 + b1 v) = c0b0 + ξ c2b1 + (c0b1 + c1b0) v + (c1b1 + c2b0) v^2
        return Fp6(c0: v0 + (c2 * b1).timesXi,
                   c1: (c0 + c1) * (b0 + b1) - v0 - v1,
                   c2: v1 + c2 * b0)
    }

    @inline(__always)
    func scaled(by k: Fp2) -> Fp6 { Fp6(c0: c0 * k, c1: c1 * k, c2: c2 * k) }

    var squared: Fp6 { self * self }

    /// Multiplication by v: (c0, c1, c2) ↦ (ξ c2, c0, c1).
    @inline(__always)
    var timesV: Fp6 { Fp6(c0: c2.timesXi, c1: c0, c2: c1) }

    var inverse: Fp6 {
        let t0 = c0.squared - (c1 * c2).timesXi
        let t1 = c2.squared.timesXi - c0 * c1
        let t2 = c1.squared - c0 * c2
        let determinant = c0 * t0 + (c2 * t1 + c1 * t2).timesXi
        let k = determinant.inverse
        return Fp6(c0: t0 * k, c1: t1 * k, c2: t2 * k)
    }
}

/// An element c0 + c1·w of Fp12 = Fp6[w]/(w^2 - v), the pairing's target field.
struct Fp12: Equatable {
    var c0: Fp6, c1: Fp6

    static let one = Fp12(c0: .one, c1: .zero)

    static func * (a: Fp12, b: Fp12) -> Fp12 {
        let v0 = a.c0 * b.c0
        let v1 = a.c1 * b.c1
        return Fp12(c0: v0 + v1.timesV, c1: (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1)
    }

    /// (a + bw)^2 = a^2 + b^2 v + 2ab w, with a^2 + b^2 v = (a + b)(a + bv) - ab - ab·v.
    var squared: Fp12 {
        let ab = c0 * c1
        let c0New = (c0 + c1) * (c0 + c1.timesV) - ab - ab.timesV
        return Fp12(c0: c0New, c1: ab + ab)
    }

    /// Product with a line l0 + l1·w + l3·w^3 (Fp2 coefficients), the sparse shape of every Miller-loop line
    /// on BN254's D-type twist.
    func multiplied(byLine l0: Fp2, _ l1: Fp2, _ l3: Fp2) -> Fp12 {
        // The line is (l0, 0, 0) + (l1, l3, 0)·w.
        let v0 = c0.scaled(by: l0)
        let v1 = c1.multiplied(by: l1, l3)
        let sum = (c0 + c1).multiplied(by: l0 + l1, l3)
        return Fp12(c0: v0 + v1.timesV, c1: sum - v0 - v1)
    }

    /// The square of an element of the cyclotomic subgroup (any output of the final exponentiation's easy part),
    /// by Granger-Scott 2010: viewed over Fp4 = Fp2[s]/(s^2 - ξ), s = w^3, as A + B·w + C·w^2 with
    /// A = (c0.c0, c1.c1), B = (c1.c0, c0.c2), C = (c0.c1, c1.c2), the square is
    /// (3A^2 - 2·conj(A)) + (3s·C^2 + 2·conj(B))·w + (3B^2 - 2·conj(C))·w^2: nine Fp2 squarings instead of a full
    /// Fp12 squaring. Wrong for elements outside that subgroup.
    var cyclotomicSquared: Fp12 {
        @inline(__always)
        func fp4Squared(_ a: Fp2, _ b: Fp2) -> (Fp2, Fp2) {
            let a2 = a.squared
            let b2 = b.squared
            return (a2 + b2.timesXi, (a + b).squared - a2 - b2)
        }
        let (aa0, aa1) = fp4Squared(c0.c0, c1.c1)
        let (bb0, bb1) = fp4Squared(c1.c0, c0.c2)
        let (cc0, cc1) = fp4Squared(c0.c1, c1.c2)
        let g0 = (aa0 - c0.c0).doubled + aa0
        let h1 = (aa1 + c1.c1).doubled + aa1
        let sc = cc1.timesXi
        let h0 = (sc + c1.c0).doubled + sc
        let g2 = (cc0 - c0.c2).doubled + cc0
        let g1 = (bb0 - c0.c1).doubled + bb0
        let h2 = (bb1 + c1.c2).doubled + bb1
        return Fp12(c0: Fp6(c0: g0, c1: g1, c2: g2), c1: Fp6(c0: h0, c1: h1, c2: h2))
    }

    /// The p^6-power Frobenius, w ↦ -w; in the cyclotomic subgroup it is the inverse.
    var conjugate: Fp12 { Fp12(c0: c0, c1: c1.negated) }

    var inverse: Fp12 {
        let k = (c0.squared - c1.squared.timesV).inverse
        return Fp12(c0: c0 * k, c1: (c1 * k).negated)
    }

    /// x ↦ x^(p^k) for k = 1, 2, 3: conjugate each Fp2 coefficient k times and scale the coefficient of w^j by
    /// ξ^(j(p^k - 1)/6).
    func frobenius(_ k: Int) -> Fp12 {
        let gamma = BN254Constants.frobeniusGamma[k - 1]
        @inline(__always)
        func map(_ x: Fp2, _ j: Int) -> Fp2 {
            let y = k % 2 == 1 ? x.conjugate : x
            return j == 0 ? y : y * gamma[j - 1]
        }
        // Coefficients of w^0..w^5: c0.c0, c1.c0, c0.c1, c1.c1, c0.c2, c1.c2 (as v = w^2).
        return Fp12(c0: Fp6(c0: map(c0.c0, 0), c1: map(c0.c1, 2), c2: map(c0.c2, 4)),
                    c1: Fp6(c0: map(c1.c0, 1), c1: map(c1.c1, 3), c2: map(c1.c2, 5)))
    }

    /// x^e for an exponent given as 64-bit limbs, least significant first (square and multiply).
    func power(limbs: [UInt64]) -> Fp12 {
        var result = Fp12.one
        for limb in limbs.reversed() {
            var bit = 64
            while bit > 0 {
                bit -= 1
                result = result.squared
                if (limb >> UInt64(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }
}

/// Constants derived once from p and ξ.
enum BN254Constants {
    /// `frobeniusGamma[k-1][j-1]` = ξ^(j(p^k - 1)/6) for k = 1...3, j = 1...5.
    static let frobeniusGamma: [[Fp2]] = {
        // ξ^((p-1)/6); p ≡ 1 (mod 6).
        let base = Fp2.xi.power((Fp.modulus &- U256.one) / U256(6))
        var first = [base]
        for _ in 2...5 { first.append(first[first.count - 1] * base) }
        // ξ^(j(p^2-1)/6) = γ^(p+1) = conj(γ)·γ, and ξ^(j(p^3-1)/6) = γ^(p^2+p+1) = γ·conj(γ)·γ.
        let second = first.map { $0.conjugate * $0 }
        let third = first.map { $0 * $0.conjugate * $0 }
        return [first, second, third]
    }()

    /// b' = 3/ξ, the coefficient of the twist E': y^2 = x^3 + 3/ξ that hosts G2.
    static let twistB: Fp2 = Fp2(c0: Fp(U256(3)), c1: .zero) * Fp2.xi.inverse
    /// 3 in Montgomery form (G1: y^2 = x^3 + 3).
    static let curveB: Fp = Fp(U256(3))
    /// 1/2, used by the doubling formula.
    static let twoInverse: Fp = Fp(U256(2)).inverse
}
