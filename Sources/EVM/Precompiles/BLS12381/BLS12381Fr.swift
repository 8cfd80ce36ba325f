// BLS12-381: the scalar field F_r (r = 0x73eda753…00000001, the order of G1, G2 and GT), which EIP-4844 blobs
// are polynomials over. Four 64-bit limbs in Montgomery form with R = 2^256; the top limb of r is below 2^63, so
// the CIOS multiplication needs no extra carry word (as Fp's).

extension BLS12381 {
    /// An element of F_r, stored as `a·R mod r`, limbs least significant first. Always fully reduced.
    struct Fr: Equatable, Sendable {
        var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64

        static let r0: UInt64 = 0xffff_ffff_0000_0001
        static let r1: UInt64 = 0x53bd_a402_fffe_5bfe
        static let r2: UInt64 = 0x3339_d808_09a1_d805
        static let r3: UInt64 = 0x73ed_a753_299d_7d48
        /// -r^-1 mod 2^64.
        static let inverseR0: UInt64 = 0xffff_fffe_ffff_ffff
        /// R² mod r, the factor that moves a plain value into Montgomery form.
        static let rSquared = Fr(l0: 0xc999_e990_f3f2_9c6d, l1: 0x2b6c_edcb_8792_5c23,
                                 l2: 0x05d3_1496_7254_398f, l3: 0x0748_d9d9_9f59_ff11)

        static let zero = Fr(l0: 0, l1: 0, l2: 0, l3: 0)
        static let one = Fr(small: 1)

        init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64) {
            self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
        }

        /// A small integer.
        init(small value: UInt64) {
            self = Fr(l0: value, l1: 0, l2: 0, l3: 0) * Fr.rSquared
        }

        /// A canonical big-endian 32-byte value at `offset`; nil when it is not below r (EIP-4844's
        /// `bytes_to_bls_field`).
        init?(canonicalBigEndian bytes: UnsafeRawBufferPointer, offset: Int) {
            let scalar = Scalar(bigEndian: bytes, offset: offset)
            guard scalar.isBelowGroupOrder else { return nil }
            self.init(scalar)
        }

        /// A 256-bit value reduced modulo r (EIP-4844's `hash_to_bls_field` reads a SHA-256 digest this way).
        init(reducing bytes: UnsafeRawBufferPointer, offset: Int) {
            self.init(Scalar(bigEndian: bytes, offset: offset).reducedModGroupOrder)
        }

        /// A scalar below r.
        init(_ scalar: Scalar) {
            self = Fr(l0: scalar.w0, l1: scalar.w1, l2: scalar.w2, l3: scalar.w3) * Fr.rSquared
        }

        /// The plain value (out of Montgomery form), as the scalar type the curve code multiplies by.
        var scalar: Scalar {
            let plain = self * Fr(l0: 1, l1: 0, l2: 0, l3: 0)
            return Scalar(w0: plain.l0, w1: plain.l1, w2: plain.l2, w3: plain.l3)
        }

        var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

        @inline(__always)
        private static func reduceOnce(_ t0: UInt64, _ t1: UInt64, _ t2: UInt64, _ t3: UInt64) -> Fr {
            var borrow: UInt64 = 0
            let s0 = Fp.subtractWithBorrow(t0, r0, &borrow)
            let s1 = Fp.subtractWithBorrow(t1, r1, &borrow)
            let s2 = Fp.subtractWithBorrow(t2, r2, &borrow)
            let s3 = Fp.subtractWithBorrow(t3, r3, &borrow)
            let keep = 0 &- borrow  // all ones when the value was already below r
            return Fr(l0: (t0 & keep) | (s0 & ~keep), l1: (t1 & keep) | (s1 & ~keep),
                      l2: (t2 & keep) | (s2 & ~keep), l3: (t3 & keep) | (s3 & ~keep))
        }

        static func + (a: Fr, b: Fr) -> Fr {
            // a + b < 2r < 2^256: no carry out of the top limb.
            var carry: UInt64 = 0
            let t0 = Fp.addWithCarry(a.l0, b.l0, &carry)
            let t1 = Fp.addWithCarry(a.l1, b.l1, &carry)
            let t2 = Fp.addWithCarry(a.l2, b.l2, &carry)
            let t3 = Fp.addWithCarry(a.l3, b.l3, &carry)
            return reduceOnce(t0, t1, t2, t3)
        }

        static func - (a: Fr, b: Fr) -> Fr {
            var borrow: UInt64 = 0
            var t0 = Fp.subtractWithBorrow(a.l0, b.l0, &borrow)
            var t1 = Fp.subtractWithBorrow(a.l1, b.l1, &borrow)
            var t2 = Fp.subtractWithBorrow(a.l2, b.l2, &borrow)
            var t3 = Fp.subtractWithBorrow(a.l3, b.l3, &borrow)
            let mask = 0 &- borrow  // add r back when the subtraction wrapped
            var carry: UInt64 = 0
            t0 = Fp.addWithCarry(t0, r0 & mask, &carry)
            t1 = Fp.addWithCarry(t1, r1 & mask, &carry)
            t2 = Fp.addWithCarry(t2, r2 & mask, &carry)
            t3 = Fp.addWithCarry(t3, r3 & mask, &carry)
            return Fr(l0: t0, l1: t1, l2: t2, l3: t3)
        }

        /// Montgomery multiplication (CIOS, no extra carry word).
        static func * (a: Fr, b: Fr) -> Fr {
            var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0
            @inline(__always)
            func step(_ bi: UInt64) {
                var carryA: UInt64, carryM: UInt64, m: UInt64, low: UInt64
                (t0, carryA) = Fp.mac(t0, a.l0, bi, 0)
                m = t0 &* inverseR0
                (_, carryM) = Fp.mac(t0, m, r0, 0)
                (low, carryA) = Fp.mac(t1, a.l1, bi, carryA)
                (t0, carryM) = Fp.mac(low, m, r1, carryM)
                (low, carryA) = Fp.mac(t2, a.l2, bi, carryA)
                (t1, carryM) = Fp.mac(low, m, r2, carryM)
                (low, carryA) = Fp.mac(t3, a.l3, bi, carryA)
                (t2, carryM) = Fp.mac(low, m, r3, carryM)
                t3 = carryM &+ carryA
            }
            step(b.l0)
            step(b.l1)
            step(b.l2)
            step(b.l3)
            return reduceOnce(t0, t1, t2, t3)
        }

        var squared: Fr { self * self }

        /// self^exponent by square-and-multiply over the bits of a plain 256-bit exponent.
        func power(_ exponent: Scalar) -> Fr {
            var result = Fr.one
            for word in [exponent.w3, exponent.w2, exponent.w1, exponent.w0] {
                for bit in stride(from: 63, through: 0, by: -1) {
                    result = result.squared
                    if (word >> UInt64(bit)) & 1 == 1 { result = result * self }
                }
            }
            return result
        }

        /// The inverse by Fermat (self^(r-2)); zero maps to zero. Callers invert once per batch.
        var inverse: Fr {
            power(Scalar(w0: Fr.r0 &- 2, w1: Fr.r1, w2: Fr.r2, w3: Fr.r3))
        }

        /// The inverses of all `values` with one field inversion (Montgomery's trick); every value must be nonzero.
        static func batchInverse(_ values: [Fr]) -> [Fr] {
            guard !values.isEmpty else { return [] }
            var prefix = [Fr](repeating: .one, count: values.count)
            var running = Fr.one
            for (i, value) in values.enumerated() {
                prefix[i] = running
                running = running * value
            }
            var inverseOfAll = running.inverse
            var result = [Fr](repeating: .zero, count: values.count)
            for i in stride(from: values.count - 1, through: 0, by: -1) {
                result[i] = inverseOfAll * prefix[i]
                inverseOfAll = inverseOfAll * values[i]
            }
            return result
        }
    }
}
