extension BLS12381 {
    /// The optimal ate pairing on BLS12-381, evaluated as a product check: one Miller loop shared by all pairs
    /// (one Fp12 squaring per step whatever the number of pairs), then one final exponentiation.
    package enum Pairing {
        /// Whether ∏ e(P_i, Q_i) = 1, for points already checked to be in G1 and G2 (infinity allowed: such a pair
        /// contributes a factor of one).
        package static func productIsOne(_ pairs: [(G1Affine, G2Affine)]) -> Bool {
            let live = pairs.filter { !$0.0.isInfinity && !$0.1.isInfinity }
            guard !live.isEmpty else { return true }
            return finalExponentiation(millerLoop(live.map { ($0.0, G2Prepared($0.1)) })) == .one
        }

        /// Whether ∏ e(P_i, Q_i) = 1 with each Q_i given by its precomputed lines (so a fixed G2 point, such as
        /// the KZG setup's, pays for its doubling and addition steps once); P_i in G1, infinity allowed.
        static func productIsOne(prepared pairs: [(G1Affine, G2Prepared)]) -> Bool {
            let live = pairs.filter { !$0.0.isInfinity }
            guard !live.isEmpty else { return true }
            return finalExponentiation(millerLoop(live)) == .one
        }

        /// The Miller-loop lines of one G2 point (not infinity): the loop's doubling and addition steps only
        /// depend on Q, so they can run once and leave the lines, each to be evaluated at P and multiplied in.
        package struct G2Prepared: Sendable {
            /// Every step's line in loop order, as (coefficient of y_P, coefficient of x_P, constant).
            package var lines: [(Fp2, Fp2, Fp2)] = []
            /// Whether every line is divided by its y_P coefficient (see `normalized`).
            var hasUnitYCoefficients = false

            /// The same lines, each divided by its y_P coefficient, an Fp2 factor that the final exponentiation
            /// removes (never zero: it is 2YZ or X - x_Q·Z of a multiple T ≠ ±Q of a point of odd prime order).
            /// The Miller loop then divides the evaluated line by y_P too (an Fp factor, removed likewise), so the
            /// line is l₀ + l₁·v + v·w and costs 10 Fp2 multiplications in Fp12 instead of 13. Worth its 68 Fp2
            /// inversions only for a point used many times, such as the fixed G2 points of the KZG check.
            package var normalized: G2Prepared {
                var copy = self
                copy.lines = lines.map { line in
                    let scale = line.0.inverse
                    return (.one, line.1 * scale, line.2 * scale)
                }
                copy.hasUnitYCoefficients = true
                return copy
            }

            package init(_ q: G2Affine) {
                var t = TwistPoint(x: q.x, y: q.y, z: .one)
                lines.reserveCapacity(64 + xAbsolute.nonzeroBitCount)
                var bit = 62  // the top bit of |x| (bit 63) is the starting point T = Q
                while bit >= 0 {
                    lines.append(doublingStep(&t))
                    if (xAbsolute >> UInt64(bit)) & 1 == 1 { lines.append(additionStep(&t, q)) }
                    bit -= 1
                }
            }
        }

        /// A point of the twist in homogeneous projective coordinates (x = X/Z, y = Y/Z), as the line formulas
        /// of Costello-Lange-Naehrig 2010 use.
        struct TwistPoint {
            var x: Fp2, y: Fp2, z: Fp2
        }

        /// 1/2 in Fp, used by the doubling formula.
        static let twoInverse: Fp = Fp(small: 2).inverse

        /// Doubles `t` and returns the tangent line at `t`, scaled by a factor in Fp2 (which the final
        /// exponentiation removes), as (coefficient of y_P, coefficient of x_P, constant).
        ///
        /// On the M-type twist the line through untwisted points, times w³, is
        /// y_P·w³ - λ'·x_P·w² - (y' - λ'x'); for the tangent at (X/Z, Y/Z), times 2YZ and using the curve
        /// equation, that is -[(-2YZ)·y_P·w³ + 3X²·x_P·w² + (3b'Z² - Y²)].
        @inline(__always)
        static func doublingStep(_ t: inout TwistPoint) -> (Fp2, Fp2, Fp2) {
            let a = (t.x * t.y).scaled(by: twoInverse)
            let b = t.y.squared
            let c = t.z.squared
            // 3b'Z² with b' = 4ξ: twelve times ξ·Z², by additions instead of an Fp2 multiplication.
            let e = (c.doubled + c).timesXi.doubled.doubled
            let f = e.doubled + e
            let g = (b + f).scaled(by: twoInverse)
            let h = (t.y + t.z).squared - (b + c)
            let i = e - b
            let j = t.x.squared
            let eSquared = e.squared
            t.x = a * (b - f)
            t.y = g.squared - (eSquared.doubled + eSquared)
            t.z = b * h
            return (h.negated, j.doubled + j, i)
        }

        /// Replaces `t` by t + q (q affine, never ±t in a loop over a prime-order point) and returns the line
        /// through them, as for `doublingStep`: slope θ/λ with θ = Y - y_Q·Z, λ = X - x_Q·Z, times λ.
        @inline(__always)
        static func additionStep(_ t: inout TwistPoint, _ q: G2Affine) -> (Fp2, Fp2, Fp2) {
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

        /// Multiplies `f` by line `index` of `prepared` evaluated at P: the constant goes to w⁰, the x_P term to
        /// w² = v and the y_P term to w³ = v·w (the M-type placement). `point` is (x_P, y_P), or (x_P/y_P, 1/y_P)
        /// for normalized lines, whose y_P coefficient is one.
        @inline(__always)
        static func applyLine(_ f: inout Fp12, _ prepared: G2Prepared, _ index: Int, _ point: (Fp, Fp)) {
            let line = prepared.lines[index]
            if prepared.hasUnitYCoefficients {
                f = f.multiplied(byUnitLine: line.2.scaled(by: point.1), line.1.scaled(by: point.0))
            } else {
                f = f.multiplied(byLine: line.2, line.1.scaled(by: point.0), line.0.scaled(by: point.1))
            }
        }

        /// The Miller loop f_{|x|,Q}(P) for every pair, multiplied together, then conjugated because x < 0.
        package static func millerLoop(_ pairs: [(G1Affine, G2Prepared)]) -> Fp12 {
            // y_P ≠ 0 for P in G1 (not infinity): G1 has no point of order 2.
            let points: [(Fp, Fp)] = pairs.map { pair in
                guard pair.1.hasUnitYCoefficients else { return (pair.0.x, pair.0.y) }
                let yInverse = pair.0.y.inverse
                return (pair.0.x * yInverse, yInverse)
            }
            var f = Fp12.one
            var line = 0
            var bit = 62
            while bit >= 0 {
                if bit != 62 { f = f.squared }
                for k in pairs.indices { applyLine(&f, pairs[k].1, line, points[k]) }
                line += 1
                if (xAbsolute >> UInt64(bit)) & 1 == 1 {
                    for k in pairs.indices { applyLine(&f, pairs[k].1, line, points[k]) }
                    line += 1
                }
                bit -= 1
            }
            return f.conjugate
        }

        /// f^((p¹² - 1)/r): the easy part (p⁶ - 1)(p² + 1), then the hard part by the decomposition of
        /// Hayashida-Hayasaka-Teruya (eprint 2020/875): 3(p⁴ - p² + 1)/r = (x - 1)²(x + p)(x² + p² - 1) + 3.
        /// The result is the pairing cubed, which is one exactly when the pairing is (r is prime, not 3).
        package static func finalExponentiation(_ input: Fp12) -> Fp12 {
            var f = input.conjugate * input.inverse
            f = f.frobenius(2) * f
            // f is now in the cyclotomic subgroup: conjugation inverts it and cyclotomic squaring applies.
            var t0 = powerByX(f) * f.conjugate  // f^(x-1)
            t0 = powerByX(t0) * t0.conjugate  // f^((x-1)²)
            let t1 = powerByX(t0) * t0.frobenius(1)  // ·^(x+p)
            let t2 = powerByX(powerByX(t1)) * t1.frobenius(2) * t1.conjugate  // ·^(x²+p²-1)
            return t2 * f.cyclotomicSquared * f
        }

        /// f^x for f in the cyclotomic subgroup: f^|x| by square and multiply, then conjugated as x < 0. The two
        /// long runs of zero bits of |x| (31 and 16 bits) square in Karabina's compressed form, whose saving
        /// outweighs one inversion to decompress; the short runs use the cyclotomic squaring.
        static func powerByX(_ f: Fp12) -> Fp12 {
            var result = f
            var bit = 62  // the top bit is the initial value
            while bit >= 0 {
                // Square for every bit down to and including the next set bit (or bit 0), then multiply.
                var next = bit
                while next > 0 && (xAbsolute >> UInt64(next)) & 1 == 0 { next -= 1 }
                let squarings = bit - next + 1
                if squarings >= compressedSquaringRun {
                    var compressed = CompressedCyclotomic(result)
                    for _ in 0..<squarings { compressed = compressed.squared }
                    result = compressed.decompressed
                } else {
                    for _ in 0..<squarings { result = result.cyclotomicSquared }
                }
                if (xAbsolute >> UInt64(next)) & 1 == 1 { result = result * f }
                bit = next - 1
            }
            return result.conjugate
        }

        /// From this many squarings in a row on, compressing pays for the decompression's inversion.
        static let compressedSquaringRun = 12
    }
}
