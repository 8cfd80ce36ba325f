extension BLS12381 {
    /// Multi-scalar multiplication Σ [s_i]P_i, the work behind G1MSM and G2MSM (EIP-2537).
    enum MultiScalarMultiplication {
        /// Σ [scalars[i]]points[i] (the arrays have equal length), for any points on the curve: by Straus's
        /// interleaved fixed windows (one table of multiples per point, shared doublings) or by Pippenger's
        /// buckets, whichever needs fewer additions for this many terms of this many bits.
        static func sum<F: Field>(points: [AffinePoint<F>], scalars: [Scalar]) -> JacobianPoint<F> {
            let bits = scalars.reduce(0) { max($0, $1.bitLength) }
            return prefersStraus(terms: points.count, bits: bits)
                ? straus(points: points, scalars: scalars)
                : pippenger(points: points, scalars: scalars)
        }

        /// Whether Straus costs fewer additions than Pippenger: per term, 7 additions for its table, about 2
        /// more for the table's normalisation to affine and one per 4-bit window, against
        /// (bits/c)·(terms + 2^(c+1)) for Pippenger (the doublings are the same, `bits`, for both).
        static func prefersStraus(terms: Int, bits: Int) -> Bool {
            let c = windowWidth(terms: terms, bits: bits)
            let pippengerCost = (bits + c - 1) / c * (terms + (1 << (c + 1)))
            return terms * (10 + (bits + 3) / 4) <= pippengerCost
        }

        /// Σ [scalars[i]]points[i] for points in G1, by the GLV endomorphism: with μ = x² (128 bits) and
        /// k mod r = k₁ + k₂·μ, [k]P = [k₁]P + [k₂]([x²]P), and [x²]P = -φ(P) = (βx, -y) costs one Fp
        /// multiplication. Twice the terms with half the bits: half the doublings. Wrong outside G1.
        static func sumInG1(points: [G1Affine], scalars: [Scalar]) -> G1Point {
            var splitPoints: [G1Affine] = []
            var splitScalars: [Scalar] = []
            splitPoints.reserveCapacity(2 * points.count)
            splitScalars.reserveCapacity(2 * points.count)
            for (point, scalar) in zip(points, scalars) where !point.isInfinity && !scalar.isZero {
                let k = scalar.reducedModGroupOrder
                let (high, low) = (UInt128(k.w3) << 64 | UInt128(k.w2), UInt128(k.w1) << 64 | UInt128(k.w0))
                // k < r < μ², so the high half is below μ and the quotient fits in 128 bits.
                let (k2, k1) = xSquared.dividingFullWidth((high: high, low: low))
                splitPoints.append(point)
                splitScalars.append(Scalar(k1))
                splitPoints.append(G1Affine(x: point.x * beta, y: point.y.negated))
                splitScalars.append(Scalar(k2))
            }
            return sum(points: splitPoints, scalars: splitScalars)
        }

        /// Σ [scalars[i]]points[i] for points in G2, by the ψ endomorphism (GLS): ψ acts on G2 as [x], so with
        /// k mod r = k₀ + k₁|x| + k₂|x|² + k₃|x|³ (r < x⁴, each digit below |x| < 2^64),
        /// [k]Q = [k₀]Q + [k₁](-ψ(Q)) + [k₂]ψ²(Q) + [k₃](-ψ³(Q)). Four terms of 64 bits: a quarter of the
        /// doublings. Wrong outside G2.
        static func sumInG2(points: [G2Affine], scalars: [Scalar]) -> G2Point {
            var splitPoints: [G2Affine] = []
            var splitScalars: [Scalar] = []
            splitPoints.reserveCapacity(4 * points.count)
            splitScalars.reserveCapacity(4 * points.count)
            for (point, scalar) in zip(points, scalars) where !point.isInfinity && !scalar.isZero {
                var k = scalar.reducedModGroupOrder
                var image = point
                for digit in 0..<4 {
                    splitPoints.append(digit % 2 == 1 ? image.negated : image)
                    splitScalars.append(Scalar(w0: k.dividedByXAbsolute(), w1: 0, w2: 0, w3: 0))
                    image = psi(image)
                }
            }
            return sum(points: splitPoints, scalars: splitScalars)
        }

        /// Straus (Shamir's trick generalised) with signed 4-bit windows: each scalar is recoded into digits in
        /// -7...8 (from the least significant window, carrying one when a window exceeds 8), so each point's
        /// table holds only its multiples 1...8 (7 additions) and a negative digit adds the negated entry. The
        /// tables are normalised to affine with one shared inversion so that the additions are mixed, and the 4
        /// doublings per window are shared by all terms.
        static func straus<F: Field>(points: [AffinePoint<F>], scalars: [Scalar]) -> JacobianPoint<F> {
            let live = (0..<points.count).filter { !points[$0].isInfinity && !scalars[$0].isZero }
            guard !live.isEmpty else { return .infinity }
            var multiples: [JacobianPoint<F>] = []
            multiples.reserveCapacity(8 * live.count)
            for i in live {
                var current = points[i].jacobian
                multiples.append(current)
                for _ in 2...8 {
                    current = current.adding(points[i])
                    multiples.append(current)
                }
            }
            let table = JacobianPoint<F>.batchAffine(multiples)
            let bits = live.reduce(0) { max($0, scalars[$1].bitLength) }
            // One window more than the bits need, for the last carry.
            let windows = (bits + 3) / 4 + 1
            var digits = [Int8](repeating: 0, count: windows * live.count)
            for (slot, i) in live.enumerated() {
                var carry = 0
                for window in 0..<windows {
                    var digit = (4 * window < 256 ? scalars[i].window(at: 4 * window, width: 4) : 0) + carry
                    carry = digit > 8 ? 1 : 0
                    digit -= 16 * carry
                    digits[slot * windows + window] = Int8(digit)
                }
            }
            var result = JacobianPoint<F>.infinity
            for window in stride(from: windows - 1, through: 0, by: -1) {
                if !result.isInfinity { result = result.doubled.doubled.doubled.doubled }
                for slot in 0..<live.count {
                    let digit = Int(digits[slot * windows + window])
                    if digit > 0 {
                        result = result.adding(table[8 * slot + digit - 1])
                    } else if digit < 0 {
                        result = result.adding(table[8 * slot - digit - 1].negated)
                    }
                }
            }
            return result
        }

        /// The window width minimising the number of additions, (bits/c)·(k + 2^(c+1)).
        static func windowWidth(terms: Int, bits: Int) -> Int {
            var best = 2
            var bestCost = Int.max
            for c in 2...12 {
                let cost = (bits + c - 1) / c * (terms + (1 << (c + 1)))
                if cost < bestCost { best = c; bestCost = cost }
            }
            return best
        }

        /// Pippenger's bucket method: for each c-bit window from the top, add every point into the bucket of its
        /// digit (mixed additions), then Σ j·bucket_j by running sums.
        static func pippenger<F: Field>(points: [AffinePoint<F>], scalars: [Scalar]) -> JacobianPoint<F> {
            let maxBits = scalars.reduce(0) { max($0, $1.bitLength) }
            guard maxBits > 0 else { return .infinity }
            let c = windowWidth(terms: points.count, bits: maxBits)
            let windows = (maxBits + c - 1) / c
            var buckets = [JacobianPoint<F>](repeating: .infinity, count: 1 << c)
            var result = JacobianPoint<F>.infinity
            var window = windows - 1
            while window >= 0 {
                if !result.isInfinity {
                    for _ in 0..<c { result = result.doubled }
                }
                for j in 0..<buckets.count { buckets[j] = .infinity }
                for i in 0..<points.count where !points[i].isInfinity {
                    let digit = scalars[i].window(at: window * c, width: c)
                    if digit != 0 { buckets[digit] = buckets[digit].adding(points[i]) }
                }
                // Σ j·B_j = Σ_{j ≥ 1} (B_j + B_{j+1} + ... + B_max).
                var running = JacobianPoint<F>.infinity
                var windowSum = JacobianPoint<F>.infinity
                for j in stride(from: buckets.count - 1, through: 1, by: -1) {
                    running = running + buckets[j]
                    windowSum = windowSum + running
                }
                result = result + windowSum
                window -= 1
            }
            return result
        }
    }
}
