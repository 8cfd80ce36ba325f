extension BLS12381 {
    /// An element c0 + c1·u of Fp2 = Fp[u]/(u² + 1), the field of G2's coordinates.
    package struct Fp2: Field {
        package var c0: Fp, c1: Fp

        package static let zero = Fp2(c0: .zero, c1: .zero)
        package static let one = Fp2(c0: .one, c1: .zero)
        /// b' = 4(1 + u) of the twist E': y² = x³ + 4(1 + u) (M-type) that hosts G2.
        package static let curveB = Fp2(c0: Fp(small: 4), c1: Fp(small: 4))

        @inline(__always)
        package init(c0: Fp, c1: Fp) { self.c0 = c0; self.c1 = c1 }

        package var isZero: Bool { c0.isZero && c1.isZero }

        @inline(__always)
        package static func + (a: Fp2, b: Fp2) -> Fp2 { Fp2(c0: a.c0 + b.c0, c1: a.c1 + b.c1) }
        @inline(__always)
        package static func - (a: Fp2, b: Fp2) -> Fp2 { Fp2(c0: a.c0 - b.c0, c1: a.c1 - b.c1) }

        /// Karatsuba: three Fp multiplications.
        @inline(__always)
        package static func * (a: Fp2, b: Fp2) -> Fp2 {
            let v0 = a.c0 * b.c0
            let v1 = a.c1 * b.c1
            return Fp2(c0: v0 - v1, c1: (a.c0 + a.c1) * (b.c0 + b.c1) - v0 - v1)
        }

        @inline(__always)
        func scaled(by k: Fp) -> Fp2 { Fp2(c0: c0 * k, c1: c1 * k) }

        /// (a + bu)² = (a + b)(a - b) + 2ab·u: two Fp multiplications.
        package var squared: Fp2 {
            let ab = c0 * c1
            return Fp2(c0: (c0 + c1) * (c0 - c1), c1: ab + ab)
        }
        @inline(__always)
        package var doubled: Fp2 { self + self }
        @inline(__always)
        package var negated: Fp2 { Fp2(c0: c0.negated, c1: c1.negated) }
        /// The Frobenius map x ↦ x^p, which conjugates because p ≡ 3 (mod 4).
        @inline(__always)
        var conjugate: Fp2 { Fp2(c0: c0, c1: c1.negated) }

        /// Multiplication by ξ = 1 + u, the non-residue of the sextic twist: (a + bu)(1 + u) = (a - b) + (a + b)u.
        @inline(__always)
        var timesXi: Fp2 { Fp2(c0: c0 - c1, c1: c0 + c1) }

        package var inverse: Fp2 {
            let normInverse = (c0.squared + c1.squared).inverse
            return Fp2(c0: c0 * normInverse, c1: (c1 * normInverse).negated)
        }

        /// RFC 9380 sgn0 for Fp2: the sign of c0, or of c1 when c0 is zero.
        var sign: Bool { c0.isZero ? c1.sign : c0.sign }

        /// The ZCash "lexicographically largest" flag for Fp2: compares c1 first, then c0 when c1 is zero.
        var isLexicographicallyLargest: Bool {
            c1.isZero ? c0.isLexicographicallyLargest : c1.isLexicographicallyLargest
        }

        /// a^e for an exponent given as 64-bit limbs, least significant first (left-to-right, 4-bit windows).
        func power(_ exponent: [UInt64]) -> Fp2 {
            var table = [Fp2](repeating: .one, count: 16)
            for i in 1..<16 { table[i] = table[i - 1] * self }
            var result = Fp2.one
            var started = false
            for limb in exponent.reversed() {
                var shift = 60
                while shift >= 0 {
                    if started { result = result.squared.squared.squared.squared }
                    let digit = Int((limb >> UInt64(shift)) & 0xf)
                    if digit != 0 {
                        result = started ? result * table[digit] : table[digit]
                        started = true
                    }
                    shift -= 4
                }
            }
            return result
        }

        /// A square root if one exists (Adj and Rodríguez-Henríquez, eprint 2012/685, algorithm 9, for p ≡ 3 mod 4).
        /// A non-square is recognised after the first of the two exponentiations.
        var squareRoot: Fp2? {
            if isZero { return .zero }
            let a1 = power(Fp.pMinus3Over4)
            let alpha = a1 * (a1 * self)  // a^((p-1)/2)
            let minusOne = Fp2.one.negated
            // a^((p²-1)/2) = conj(α)·α is the quadratic character of a in Fp2.
            if alpha.conjugate * alpha == minusOne { return nil }
            let x0 = a1 * self  // a^((p+1)/4)
            let root: Fp2
            if alpha == minusOne {
                root = Fp2(c0: x0.c1.negated, c1: x0.c0)  // u·x0
            } else {
                root = (alpha + .one).power(Fp.pMinus1Over2) * x0
            }
            return root.squared == self ? root : nil
        }
    }
}
