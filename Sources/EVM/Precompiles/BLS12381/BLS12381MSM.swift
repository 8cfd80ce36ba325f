extension BLS12381 {
    /// Multi-scalar multiplication Σ [s_i]P_i, the work behind G1MSM and G2MSM (EIP-2537).
    enum MultiScalarMultiplication {
        /// Below this many terms, Straus's interleaved fixed windows (one table of multiples per point, shared
        /// doublings); from it on, Pippenger's bucket method.
        static let bucketThreshold = 4

        /// Σ [scalars[i]]points[i] (the arrays have equal length).
        static func sum<F: Field>(points: [AffinePoint<F>], scalars: [Scalar]) -> JacobianPoint<F> {
            points.count < bucketThreshold
                ? straus(points: points, scalars: scalars)
                : pippenger(points: points, scalars: scalars)
        }

        /// Straus (Shamir's trick generalised) with 4-bit windows: each point's multiples 1...15 are normalised to
        /// affine with one shared inversion so that the additions are mixed, and the 4 doublings per window are
        /// shared by all terms.
        static func straus<F: Field>(points: [AffinePoint<F>], scalars: [Scalar]) -> JacobianPoint<F> {
            let live = (0..<points.count).filter { !points[$0].isInfinity && !scalars[$0].isZero }
            guard !live.isEmpty else { return .infinity }
            var multiples: [JacobianPoint<F>] = []
            multiples.reserveCapacity(15 * live.count)
            for i in live {
                let base = points[i].jacobian
                var current = base
                multiples.append(current)
                for _ in 2...15 {
                    current = current.adding(points[i])
                    multiples.append(current)
                }
            }
            let table = JacobianPoint<F>.batchAffine(multiples)
            let bits = live.reduce(0) { max($0, scalars[$1].bitLength) }
            var result = JacobianPoint<F>.infinity
            var index = (bits + 3) / 4 * 4 - 4
            while index >= 0 {
                if !result.isInfinity { result = result.doubled.doubled.doubled.doubled }
                for (slot, i) in live.enumerated() {
                    let digit = scalars[i].window(at: index, width: 4)
                    if digit != 0 { result = result.adding(table[15 * slot + digit - 1]) }
                }
                index -= 4
            }
            return result
        }

        /// The window width minimising the number of additions, (256/c)·(k + 2^(c+1)).
        static func windowWidth(terms: Int) -> Int {
            var best = 2
            var bestCost = Int.max
            for c in 2...12 {
                let cost = (256 + c - 1) / c * (terms + (1 << (c + 1)))
                if cost < bestCost { best = c; bestCost = cost }
            }
            return best
        }

        /// Pippenger's bucket method: for each c-bit window from the top, add every point into the bucket of its
        /// digit (mixed additions), then Σ j·bucket_j by running sums.
        static func pippenger<F: Field>(points: [AffinePoint<F>], scalars: [Scalar]) -> JacobianPoint<F> {
            let c = windowWidth(terms: points.count)
            let maxBits = scalars.reduce(0) { max($0, $1.bitLength) }
            guard maxBits > 0 else { return .infinity }
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
