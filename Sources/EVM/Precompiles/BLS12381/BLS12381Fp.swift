// BLS12-381 (EIP-2537, EIP-4844): the base field.
//   p = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab (381 bits)
//   r = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001 (order of G1, G2 and GT)
//   x = -0xd201000000010000 (the curve parameter: p and r are polynomials in it)
// Fixed limbs in Montgomery form rather than GMP: a heap-backed big integer is 65-90x slower on this machine
// (STYLE.md). The one exception is inversion, where GMP's extended GCD measured 2.0 µs against 25 µs for Fermat's
// a^(p-2) on these limbs. The types live in the `BLS12381` namespace because BN254 already uses the names Fp, ...

import CGMP
import CPrimitivesSupport

/// Namespace of the BLS12-381 arithmetic, curves, pairing and hash-to-curve maps. What lockstep-bench times (field
/// multiplication, the Miller loop, the final exponentiation) has `package` access: shared within Lockstep, not API.
package enum BLS12381 {}

extension BLS12381 {
    /// Field operations shared by Fp and Fp2, so the curve code is written once for G1 and G2.
    package protocol Field: Equatable, Sendable {
        static var zero: Self { get }
        static var one: Self { get }
        /// b of the curve over this field: 4 for G1 (y² = x³ + 4), 4(1 + u) for the twist hosting G2.
        static var curveB: Self { get }
        var isZero: Bool { get }
        static func + (lhs: Self, rhs: Self) -> Self
        static func - (lhs: Self, rhs: Self) -> Self
        static func * (lhs: Self, rhs: Self) -> Self
        var squared: Self { get }
        var doubled: Self { get }
        var negated: Self { get }
        /// The multiplicative inverse; zero maps to zero.
        var inverse: Self { get }
    }

    /// An element of the base field, stored as `a·R mod p` with R = 2^384 (Montgomery form), six 64-bit limbs
    /// least significant first. Always fully reduced, so equal values have equal limbs.
    package struct Fp: Field {
        package var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64, l5: UInt64

        static let p0: UInt64 = 0xb9fe_ffff_ffff_aaab
        static let p1: UInt64 = 0x1eab_fffe_b153_ffff
        static let p2: UInt64 = 0x6730_d2a0_f6b0_f624
        static let p3: UInt64 = 0x6477_4b84_f385_12bf
        static let p4: UInt64 = 0x4b1b_a7b6_434b_acd7
        static let p5: UInt64 = 0x1a01_11ea_397f_e69a
        /// -p^-1 mod 2^64, the Montgomery reduction factor.
        static let inverseP0: UInt64 = 0x89f3_fffc_fffc_fffd
        /// R^2 mod p, to enter Montgomery form.
        package static let rSquared = Fp(l0: 0xf4df_1f34_1c34_1746, l1: 0x0a76_e6a6_09d1_04f1, l2: 0x8de5_476c_4c95_b6d5,
                                         l3: 0x67eb_88a9_939d_83c0, l4: 0x9a79_3e85_b519_952d, l5: 0x1198_8fe5_92ca_e3aa)

        package static let zero = Fp(l0: 0, l1: 0, l2: 0, l3: 0, l4: 0, l5: 0)
        /// R mod p, the Montgomery form of 1.
        package static let one = Fp(l0: 0x7609_0000_0002_fffd, l1: 0xebf4_000b_c40c_0002, l2: 0x5f48_9857_53c7_58ba,
                                    l3: 0x77ce_5853_7052_5745, l4: 0x5c07_1a97_a256_ec6d, l5: 0x15f6_5ec3_fa80_e493)
        package static let curveB = Fp(small: 4)

        @inline(__always)
        init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64, l5: UInt64) {
            self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3; self.l4 = l4; self.l5 = l5
        }

        /// The Montgomery form of a small integer.
        package init(small value: UInt64) {
            self = Fp(l0: value, l1: 0, l2: 0, l3: 0, l4: 0, l5: 0) * Fp.rSquared
        }

        /// Reads 48 big-endian bytes at `offset` (the caller guarantees they exist); nil unless the value is below p.
        init?(bigEndian bytes: UnsafeRawBufferPointer, offset: Int) {
            @inline(__always)
            func limb(_ index: Int) -> UInt64 {
                var value: UInt64 = 0
                let start = offset + 40 - 8 * index
                for i in 0..<8 { value = value << 8 | UInt64(bytes[start + i]) }
                return value
            }
            let canonical = Fp(l0: limb(0), l1: limb(1), l2: limb(2), l3: limb(3), l4: limb(4), l5: limb(5))
            guard canonical.isBelowModulus else { return nil }
            self = canonical * Fp.rSquared
        }

        /// A constant from its canonical hexadecimal value (below p); only for constants written in the source.
        init(hex: String) {
            var limbs = [UInt64](repeating: 0, count: 6)
            var index = 0
            for character in hex.dropFirst(hex.hasPrefix("0x") ? 2 : 0).reversed() {
                let digit = UInt64(character.hexDigitValue!)
                limbs[index / 16] |= digit << UInt64(4 * (index % 16))
                index += 1
            }
            let canonical = Fp(l0: limbs[0], l1: limbs[1], l2: limbs[2], l3: limbs[3], l4: limbs[4], l5: limbs[5])
            precondition(canonical.isBelowModulus, "BLS12-381 constant out of range")
            self = canonical * Fp.rSquared
        }

        /// The canonical value (out of Montgomery form), limbs least significant first.
        var canonical: Fp { self * Fp(l0: 1, l1: 0, l2: 0, l3: 0, l4: 0, l5: 0) }

        /// Appends the canonical value as 48 big-endian bytes.
        func appendBigEndian(to output: inout [UInt8]) {
            let value = canonical
            for limb in [value.l5, value.l4, value.l3, value.l2, value.l1, value.l0] {
                for shift in stride(from: 56, through: 0, by: -8) { output.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift))) }
            }
        }

        /// Whether the limbs, read as a plain integer, are below p.
        var isBelowModulus: Bool {
            var borrow: UInt64 = 0
            _ = Fp.subtractWithBorrow(l0, Fp.p0, &borrow)
            _ = Fp.subtractWithBorrow(l1, Fp.p1, &borrow)
            _ = Fp.subtractWithBorrow(l2, Fp.p2, &borrow)
            _ = Fp.subtractWithBorrow(l3, Fp.p3, &borrow)
            _ = Fp.subtractWithBorrow(l4, Fp.p4, &borrow)
            _ = Fp.subtractWithBorrow(l5, Fp.p5, &borrow)
            return borrow != 0
        }

        package var isZero: Bool { (l0 | l1 | l2 | l3 | l4 | l5) == 0 }

        /// RFC 9380 sgn0: the parity of the canonical value.
        var sign: Bool { canonical.l0 & 1 == 1 }

        /// Whether the canonical value exceeds (p - 1)/2: the "lexicographically largest" flag of the ZCash
        /// compressed encoding (EIP-4844 commitments and proofs).
        var isLexicographicallyLargest: Bool {
            // 2·value > p - 1 ⟺ value > (p - 1)/2; 2·value < 2^382 fits.
            let v = canonical
            let doubled = Fp(l0: v.l0 << 1, l1: v.l1 << 1 | v.l0 >> 63, l2: v.l2 << 1 | v.l1 >> 63,
                             l3: v.l3 << 1 | v.l2 >> 63, l4: v.l4 << 1 | v.l3 >> 63, l5: v.l5 << 1 | v.l4 >> 63)
            return !doubled.isBelowModulus
        }

        @inline(__always)
        static func subtractWithBorrow(_ a: UInt64, _ b: UInt64, _ borrow: inout UInt64) -> UInt64 {
            // 128-bit arithmetic lowers to sub/sbb.
            let d = UInt128(a) &- UInt128(b) &- UInt128(borrow)
            borrow = UInt64(truncatingIfNeeded: d >> 127)
            return UInt64(truncatingIfNeeded: d)
        }

        @inline(__always)
        static func addWithCarry(_ a: UInt64, _ b: UInt64, _ carry: inout UInt64) -> UInt64 {
            let s = UInt128(a) &+ UInt128(b) &+ UInt128(carry)
            carry = UInt64(truncatingIfNeeded: s >> 64)
            return UInt64(truncatingIfNeeded: s)
        }

        /// `acc + x*y + carry` as (low, high); cannot overflow 128 bits.
        @inline(__always)
        static func mac(_ acc: UInt64, _ x: UInt64, _ y: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
            let t = UInt128(x) &* UInt128(y) &+ UInt128(acc) &+ UInt128(carry)
            return (UInt64(truncatingIfNeeded: t), UInt64(truncatingIfNeeded: t >> 64))
        }

        /// Subtracts p once if the value is at least p (inputs below 2p).
        @inline(__always)
        static func reduceOnce(_ t0: UInt64, _ t1: UInt64, _ t2: UInt64, _ t3: UInt64, _ t4: UInt64,
                               _ t5: UInt64) -> Fp {
            var borrow: UInt64 = 0
            let r0 = subtractWithBorrow(t0, p0, &borrow)
            let r1 = subtractWithBorrow(t1, p1, &borrow)
            let r2 = subtractWithBorrow(t2, p2, &borrow)
            let r3 = subtractWithBorrow(t3, p3, &borrow)
            let r4 = subtractWithBorrow(t4, p4, &borrow)
            let r5 = subtractWithBorrow(t5, p5, &borrow)
            // Branch-free select: the borrow is data-dependent and would mispredict half the time.
            let keep = 0 &- borrow
            return Fp(l0: (t0 & keep) | (r0 & ~keep), l1: (t1 & keep) | (r1 & ~keep), l2: (t2 & keep) | (r2 & ~keep),
                      l3: (t3 & keep) | (r3 & ~keep), l4: (t4 & keep) | (r4 & ~keep), l5: (t5 & keep) | (r5 & ~keep))
        }

        /// Montgomery multiplication: MULX/ADCX/ADOX assembly where the CPU has it (43.5 against 54 ns here, the
        /// two carry chains being out of reach of Swift and of C), else the portable CIOS below.
        package static func * (a: Fp, b: Fp) -> Fp {
            #if arch(x86_64)
            if lockstep_bls12381_adx_available() != 0 { return multipliedWithADX(a, b) }
            #endif
            return multipliedPortably(a, b)
        }

        /// Whether this CPU can run the MULX/ADX multiplication (whatever `forcePortable` says).
        public static var cpuHasADX: Bool {
            #if arch(x86_64)
            return lockstep_bls12381_cpu_adx() != 0
            #else
            return false
            #endif
        }

        /// Whether multiplication currently takes the MULX/ADX path.
        public static var usesADX: Bool {
            #if arch(x86_64)
            return lockstep_bls12381_adx_available() != 0
            #else
            return false
            #endif
        }

        /// Run the portable multiplication even where the CPU has ADX (as LOCKSTEP_BLS12381_PORTABLE=1 does at
        /// start-up), or go back to ADX where available. Both paths give the same results; this exists so tests
        /// can run the conformance suites through the path a CPU without ADX would take.
        public static func forcePortable(_ portable: Bool) {
            #if arch(x86_64)
            lockstep_bls12381_force_portable(portable ? 1 : 0)
            #endif
        }

        #if arch(x86_64)
        /// The assembly multiplication of lockstep_bls12381.h, which reads the six limbs through pointers (a
        /// struct of six UInt64 is laid out as six consecutive limbs, least significant first).
        @inline(__always)
        static func multipliedWithADX(_ a: Fp, _ b: Fp) -> Fp {
            var result = Fp(l0: 0, l1: 0, l2: 0, l3: 0, l4: 0, l5: 0)
            withUnsafeMutableBytes(of: &result) { out in
                withUnsafeBytes(of: a) { left in
                    withUnsafeBytes(of: b) { right in
                        lockstep_bls12381_fp_mul_adx(
                            out.baseAddress!.assumingMemoryBound(to: UInt64.self),
                            left.baseAddress!.assumingMemoryBound(to: UInt64.self),
                            right.baseAddress!.assumingMemoryBound(to: UInt64.self))
                    }
                }
            }
            return result
        }
        #endif

        /// Montgomery multiplication: CIOS without the extra carry word, valid because the top limb of p is
        /// below 2^63 - 1 (Gueron-Krasnov; as gnark-crypto's "no-carry" variant).
        static func multipliedPortably(_ a: Fp, _ b: Fp) -> Fp {
            var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0, t4: UInt64 = 0, t5: UInt64 = 0
            @inline(__always)
            func step(_ bi: UInt64) {
                var carryA: UInt64, carryM: UInt64, m: UInt64, low: UInt64
                (t0, carryA) = mac(t0, a.l0, bi, 0)
                m = t0 &* inverseP0
                (_, carryM) = mac(t0, m, p0, 0)
                (low, carryA) = mac(t1, a.l1, bi, carryA)
                (t0, carryM) = mac(low, m, p1, carryM)
                (low, carryA) = mac(t2, a.l2, bi, carryA)
                (t1, carryM) = mac(low, m, p2, carryM)
                (low, carryA) = mac(t3, a.l3, bi, carryA)
                (t2, carryM) = mac(low, m, p3, carryM)
                (low, carryA) = mac(t4, a.l4, bi, carryA)
                (t3, carryM) = mac(low, m, p4, carryM)
                (low, carryA) = mac(t5, a.l5, bi, carryA)
                (t4, carryM) = mac(low, m, p5, carryM)
                t5 = carryM &+ carryA
            }
            step(b.l0)
            step(b.l1)
            step(b.l2)
            step(b.l3)
            step(b.l4)
            step(b.l5)
            return reduceOnce(t0, t1, t2, t3, t4, t5)
        }

        /// Addition by the carry-chain C helper of lockstep_bls12381.h (Swift's UInt128 chains are 3-4x slower).
        @inline(__always)
        package static func + (a: Fp, b: Fp) -> Fp {
            var result = Fp(l0: 0, l1: 0, l2: 0, l3: 0, l4: 0, l5: 0)
            withUnsafeMutableBytes(of: &result) { out in
                withUnsafeBytes(of: a) { left in
                    withUnsafeBytes(of: b) { right in
                        lockstep_bls12381_fp_add(
                            out.baseAddress!.assumingMemoryBound(to: UInt64.self),
                            left.baseAddress!.assumingMemoryBound(to: UInt64.self),
                            right.baseAddress!.assumingMemoryBound(to: UInt64.self))
                    }
                }
            }
            return result
        }

        @inline(__always)
        package static func - (a: Fp, b: Fp) -> Fp {
            var result = Fp(l0: 0, l1: 0, l2: 0, l3: 0, l4: 0, l5: 0)
            withUnsafeMutableBytes(of: &result) { out in
                withUnsafeBytes(of: a) { left in
                    withUnsafeBytes(of: b) { right in
                        lockstep_bls12381_fp_sub(
                            out.baseAddress!.assumingMemoryBound(to: UInt64.self),
                            left.baseAddress!.assumingMemoryBound(to: UInt64.self),
                            right.baseAddress!.assumingMemoryBound(to: UInt64.self))
                    }
                }
            }
            return result
        }

        package var squared: Fp { self * self }
        @inline(__always)
        package var doubled: Fp { self + self }
        @inline(__always)
        package var negated: Fp { isZero ? self : Fp.zero - self }

        /// a^e for an exponent given as 64-bit limbs, least significant first (left-to-right, 4-bit windows).
        func power(_ exponent: [UInt64]) -> Fp {
            var table = [Fp](repeating: .one, count: 16)
            for i in 1..<16 { table[i] = table[i - 1] * self }
            var result = Fp.one
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

        /// a^(p-2) = a^-1 (Fermat); zero maps to zero. Kept to cross-check `inverse` in tests.
        var inverseByFermat: Fp { power(Fp.pMinus2) }

        /// R³ mod p: Montgomery-multiplying the plain inverse of a·R by it gives a^-1·R.
        static let rCubed = rSquared * rSquared

        /// The multiplicative inverse by GMP's extended GCD on the limbs (a·R)^-1, brought back into Montgomery form;
        /// zero maps to zero. The operands are read-only views of stack limbs; only the result allocates.
        package var inverse: Fp {
            guard !isZero else { return .zero }
            var value = (l0, l1, l2, l3, l4, l5)
            var modulus = (Fp.p0, Fp.p1, Fp.p2, Fp.p3, Fp.p4, Fp.p5)
            var result = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            withUnsafeMutableBytes(of: &value) { valueBytes in
                withUnsafeMutableBytes(of: &modulus) { modulusBytes in
                    withUnsafeMutableBytes(of: &result) { resultBytes in
                        let valueLimbs = valueBytes.baseAddress!.assumingMemoryBound(to: mp_limb_t.self)
                        var size = 6
                        while size > 1 && valueLimbs[size - 1] == 0 { size -= 1 }
                        var a = __mpz_struct()
                        var m = __mpz_struct()
                        var r = __mpz_struct()
                        _ = __gmpz_roinit_n(&a, valueLimbs, size)
                        _ = __gmpz_roinit_n(&m, modulusBytes.baseAddress!.assumingMemoryBound(to: mp_limb_t.self), 6)
                        __gmpz_init2(&r, 384)
                        // a is nonzero and below p (prime), so the inverse exists.
                        if __gmpz_invert(&r, &a, &m) != 0 {
                            let out = resultBytes.baseAddress!.assumingMemoryBound(to: UInt64.self)
                            for i in 0..<min(Int(r._mp_size), 6) { out[i] = UInt64(r._mp_d[i]) }
                        }
                        __gmpz_clear(&r)
                    }
                }
            }
            return Fp(l0: result.0, l1: result.1, l2: result.2, l3: result.3, l4: result.4, l5: result.5) * Fp.rCubed
        }

        /// A square root if one exists: p ≡ 3 (mod 4), so it is a^((p+1)/4).
        var squareRoot: Fp? {
            let root = power(Fp.pPlus1Over4)
            return root.squared == self ? root : nil
        }

        /// Legendre symbol test via a^((p-1)/2).
        var isSquare: Bool {
            isZero || power(Fp.pMinus1Over2) == .one
        }

        static let pMinus2: [UInt64] = [p0 - 2, p1, p2, p3, p4, p5]
        static let pPlus1Over4: [UInt64] = shiftedRight([p0 &+ 1, p1, p2, p3, p4, p5], by: 2)
        static let pMinus1Over2: [UInt64] = shiftedRight([p0 - 1, p1, p2, p3, p4, p5], by: 1)
        static let pMinus3Over4: [UInt64] = shiftedRight([p0 - 3, p1, p2, p3, p4, p5], by: 2)

        /// A multi-limb right shift by fewer than 64 bits (for deriving exponents from p; p0 + 1 does not carry).
        static func shiftedRight(_ limbs: [UInt64], by bits: UInt64) -> [UInt64] {
            (0..<limbs.count).map { i in
                limbs[i] >> bits | (i + 1 < limbs.count ? limbs[i + 1] << (64 - bits) : 0)
            }
        }
    }
}
