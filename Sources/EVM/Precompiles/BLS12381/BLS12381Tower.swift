// The rest of the tower above Fp2 = Fp[u]/(u² + 1):
//   Fp6  = Fp2[v] / (v³ - ξ), ξ = 1 + u
//   Fp12 = Fp6[w] / (w² - v), the pairing's target field (so w⁶ = ξ)

extension BLS12381 {
    /// An element c0 + c1·v + c2·v² of Fp6 = Fp2[v]/(v³ - ξ).
    package struct Fp6: Equatable {
        package var c0: Fp2, c1: Fp2, c2: Fp2

        static let zero = Fp6(c0: .zero, c1: .zero, c2: .zero)
        static let one = Fp6(c0: .one, c1: .zero, c2: .zero)

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

        /// Product with b0 + b1·v (the shape of the Miller-loop lines): five Fp2 multiplications.
        @inline(__always)
        func multiplied(by b0: Fp2, _ b1: Fp2) -> Fp6 {
            let v0 = c0 * b0
            let v1 = c1 * b1
            // (c0 + c1 v + c2 v²)(b0 + b1 v) = c0b0 + ξ c2b1 + (c0b1 + c1b0) v + (c1b1 + c2b0) v²
            return Fp6(c0: v0 + (c2 * b1).timesXi,
                       c1: (c0 + c1) * (b0 + b1) - v0 - v1,
                       c2: v1 + c2 * b0)
        }

        /// Product with b1·v: (c0 + c1 v + c2 v²)·b1 v = ξ c2 b1 + c0 b1 v + c1 b1 v².
        @inline(__always)
        func multiplied(byV b1: Fp2) -> Fp6 {
            Fp6(c0: (c2 * b1).timesXi, c1: c0 * b1, c2: c1 * b1)
        }

        @inline(__always)
        func scaled(by k: Fp2) -> Fp6 { Fp6(c0: c0 * k, c1: c1 * k, c2: c2 * k) }

        /// Chung-Hasan SQR2: two multiplications and three squarings in Fp2.
        var squared: Fp6 {
            let s0 = c0.squared
            let ab = c0 * c1
            let s1 = ab.doubled
            let s2 = (c0 - c1 + c2).squared
            let bc = c1 * c2
            let s3 = bc.doubled
            let s4 = c2.squared
            return Fp6(c0: s0 + s3.timesXi, c1: s1 + s4.timesXi, c2: s1 + s2 + s3 - s0 - s4)
        }

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

    /// An element c0 + c1·w of Fp12 = Fp6[w]/(w² - v).
    package struct Fp12: Equatable {
        package var c0: Fp6, c1: Fp6

        static let one = Fp12(c0: .one, c1: .zero)

        static func * (a: Fp12, b: Fp12) -> Fp12 {
            let v0 = a.c0 * b.c0
            let v1 = a.c1 * b.c1
            return Fp12(c0: v0 + v1.timesV, c1: (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1)
        }

        /// (a + bw)² = a² + b²v + 2ab w, with a² + b²v = (a + b)(a + bv) - ab - ab·v.
        var squared: Fp12 {
            let ab = c0 * c1
            let c0New = (c0 + c1) * (c0 + c1.timesV) - ab - ab.timesV
            return Fp12(c0: c0New, c1: ab + ab)
        }

        /// Product with a Miller-loop line of the M-type twist, l0 + l1·v + l4·v·w (coefficients of w⁰, w², w³):
        /// 13 Fp2 multiplications instead of 18.
        @inline(__always)
        func multiplied(byLine l0: Fp2, _ l1: Fp2, _ l4: Fp2) -> Fp12 {
            let aa = c0.multiplied(by: l0, l1)
            let bb = c1.multiplied(byV: l4)
            let sum = (c0 + c1).multiplied(by: l0, l1 + l4)
            return Fp12(c0: aa + bb.timesV, c1: sum - aa - bb)
        }

        /// Product with a normalized line l0 + l1·v + v·w (its w³ coefficient is one): 10 Fp2 multiplications.
        @inline(__always)
        func multiplied(byUnitLine l0: Fp2, _ l1: Fp2) -> Fp12 {
            let aa = c0.multiplied(by: l0, l1)
            let bb = c1.timesV
            let sum = (c0 + c1).multiplied(by: l0, l1 + .one)
            return Fp12(c0: aa + bb.timesV, c1: sum - aa - bb)
        }

        /// The square of an element of the cyclotomic subgroup (any output of the final exponentiation's easy part),
        /// by Granger-Scott 2010: viewed over Fp4 = Fp2[s]/(s² - ξ), s = w³, as A + B·w + C·w² with
        /// A = (c0.c0, c1.c1), B = (c1.c0, c0.c2), C = (c0.c1, c1.c2), the square is
        /// (3A² - 2·conj(A)) + (3s·C² + 2·conj(B))·w + (3B² - 2·conj(C))·w²: nine Fp2 squarings instead of a full
        /// Fp12 squaring. Wrong for elements outside that subgroup.
        var cyclotomicSquared: Fp12 {
            let (aa0, aa1) = Fp12.fp4Squared(c0.c0, c1.c1)
            let (bb0, bb1) = Fp12.fp4Squared(c1.c0, c0.c2)
            let (cc0, cc1) = Fp12.fp4Squared(c0.c1, c1.c2)
            let g0 = (aa0 - c0.c0).doubled + aa0
            let h1 = (aa1 + c1.c1).doubled + aa1
            let sc = cc1.timesXi
            let h0 = (sc + c1.c0).doubled + sc
            let g2 = (cc0 - c0.c2).doubled + cc0
            let g1 = (bb0 - c0.c1).doubled + bb0
            let h2 = (bb1 + c1.c2).doubled + bb1
            return Fp12(c0: Fp6(c0: g0, c1: g1, c2: g2), c1: Fp6(c0: h0, c1: h1, c2: h2))
        }

        /// (a + b·s)² in Fp4 = Fp2[s]/(s² - ξ), as (coefficient of 1, coefficient of s): three Fp2 squarings.
        @inline(__always)
        static func fp4Squared(_ a: Fp2, _ b: Fp2) -> (Fp2, Fp2) {
            let a2 = a.squared
            let b2 = b.squared
            return (a2 + b2.timesXi, (a + b).squared - a2 - b2)
        }

        /// The p⁶-power Frobenius, w ↦ -w; in the cyclotomic subgroup it is the inverse.
        var conjugate: Fp12 { Fp12(c0: c0, c1: c1.negated) }

        var inverse: Fp12 {
            let k = (c0.squared - c1.squared.timesV).inverse
            return Fp12(c0: c0 * k, c1: (c1 * k).negated)
        }

        /// x ↦ x^(p^k) for k = 1, 2, 3: conjugate each Fp2 coefficient k times and scale the coefficient of w^j by
        /// ξ^(j(p^k - 1)/6).
        func frobenius(_ k: Int) -> Fp12 {
            let gamma = Constants.frobeniusGamma[k - 1]
            @inline(__always)
            func map(_ x: Fp2, _ j: Int) -> Fp2 {
                let y = k % 2 == 1 ? x.conjugate : x
                return j == 0 ? y : y * gamma[j - 1]
            }
            // Coefficients of w^0..w^5: c0.c0, c1.c0, c0.c1, c1.c1, c0.c2, c1.c2 (as v = w²).
            return Fp12(c0: Fp6(c0: map(c0.c0, 0), c1: map(c0.c1, 2), c2: map(c0.c2, 4)),
                        c1: Fp6(c0: map(c1.c0, 1), c1: map(c1.c1, 3), c2: map(c1.c2, 5)))
        }
    }

    /// An element of the cyclotomic subgroup in Karabina's compressed form (eprint 2010/542): four of its six Fp2
    /// coefficients, g2 = c1.c0, g3 = c0.c2, g4 = c0.c1, g5 = c1.c2, which determine the other two. Squaring
    /// stays in this form and costs two Fp4 squarings (the B and C parts of `Fp12.cyclotomicSquared`, which only
    /// involve these four) instead of three; going back costs an inversion, so it pays on long runs of squarings.
    struct CompressedCyclotomic {
        var g2: Fp2, g3: Fp2, g4: Fp2, g5: Fp2

        init(_ f: Fp12) {
            g2 = f.c1.c0; g3 = f.c0.c2; g4 = f.c0.c1; g5 = f.c1.c2
        }

        init(g2: Fp2, g3: Fp2, g4: Fp2, g5: Fp2) {
            self.g2 = g2; self.g3 = g3; self.g4 = g4; self.g5 = g5
        }

        /// The square, by the Granger-Scott formulas of `Fp12.cyclotomicSquared` for these four coefficients.
        var squared: CompressedCyclotomic {
            let (bb0, bb1) = Fp12.fp4Squared(g2, g3)
            let (cc0, cc1) = Fp12.fp4Squared(g4, g5)
            let sc = cc1.timesXi
            return CompressedCyclotomic(g2: (sc + g2).doubled + sc, g3: (cc0 - g3).doubled + cc0,
                                        g4: (bb0 - g4).doubled + bb0, g5: (bb1 + g5).doubled + bb1)
        }

        /// The full element: with g1 = c1.c1 and g0 = c0.c0,
        /// g1 = (ξ·g5² + 3·g4² - 2·g3) / (4·g2) when g2 ≠ 0, else 2·g4·g5 / g3, and
        /// g0 = ξ·(2·g1² + g2·g5 - 3·g3·g4) + 1. (All four zero is the identity: the inverse of zero is zero
        /// here, so g1 = 0 and g0 = 1.)
        var decompressed: Fp12 {
            let g1: Fp2
            if !g2.isZero {
                let g4Squared = g4.squared
                let numerator = g5.squared.timesXi + g4Squared.doubled + g4Squared - g3.doubled
                g1 = numerator * g2.doubled.doubled.inverse
            } else {
                g1 = (g4 * g5).doubled * g3.inverse
            }
            let g3g4 = g3 * g4
            let g0 = ((g1.squared.doubled + g2 * g5) - (g3g4.doubled + g3g4)).timesXi + .one
            return Fp12(c0: Fp6(c0: g0, c1: g4, c2: g3), c1: Fp6(c0: g2, c1: g1, c2: g5))
        }
    }

    /// Constants derived once from p and ξ.
    enum Constants {
        static let xi = Fp2(c0: .one, c1: .one)
        /// (p - 1)/6 as limbs (p ≡ 1 mod 6).
        static let pMinus1Over6: [UInt64] = {
            // Long division of p - 1 by 6, most significant limb first.
            let limbs: [UInt64] = [Fp.p0 - 1, Fp.p1, Fp.p2, Fp.p3, Fp.p4, Fp.p5]
            var quotient = [UInt64](repeating: 0, count: 6)
            var remainder: UInt64 = 0
            for i in (0..<6).reversed() {
                let (q, r) = UInt64(6).dividingFullWidth((high: remainder, low: limbs[i]))
                quotient[i] = q
                remainder = r
            }
            return quotient
        }()

        /// `frobeniusGamma[k-1][j-1]` = ξ^(j(p^k - 1)/6) for k = 1...3, j = 1...5.
        static let frobeniusGamma: [[Fp2]] = {
            let base = xi.power(pMinus1Over6)
            var first = [base]
            for _ in 2...5 { first.append(first[first.count - 1] * base) }
            // ξ^(j(p²-1)/6) = γ^(p+1) = conj(γ)·γ, and ξ^(j(p³-1)/6) = γ^(p²+p+1) = γ·conj(γ)·γ.
            let second = first.map { $0.conjugate * $0 }
            let third = first.map { $0 * $0.conjugate * $0 }
            return [first, second, third]
        }()
    }
}
