extension BLS12381 {
    /// Multi-scalar multiplication Σ [s_i]P_i, the work behind G1MSM and G2MSM (EIP-2537).
    enum MultiScalarMultiplication {
        /// Below this many terms, each product is computed on its own with fixed windows; from it on, Pippenger's
        /// bucket method shares the doublings across all terms.
        static let bucketThreshold = 4

        /// Σ [scalars[i]]points[i] (the arrays have equal length).
        static func sum<F: Field>(points: [AffinePoint<F>], scalars: [Scalar]) -> JacobianPoint<F> {
            if points.count < bucketThreshold {
                var result = JacobianPoint<F>.infinity
                for i in 0..<points.count where !points[i].isInfinity {
                    result = result + points[i].jacobian.multiplied(by: scalars[i])
                }
                return result
            }
            return pippenger(points: points, scalars: scalars)
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
