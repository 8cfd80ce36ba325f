import CPrimitivesSupport

/// An unsigned 256-bit integer as four 64-bit limbs, least significant first: the EVM word.
///
/// Arithmetic wraps modulo 2^256 (`&+`, `&-`, `&*`), as the EVM does; division by zero yields zero, as the EVM does.
/// Everything on the hot path is `@inlinable` so that the interpreter in another module inlines it.
@frozen
public struct U256: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// Bits 0–63.
    public var w0: UInt64
    /// Bits 64–127.
    public var w1: UInt64
    /// Bits 128–191.
    public var w2: UInt64
    /// Bits 192–255.
    public var w3: UInt64

    /// Creates a word from its limbs, least significant first.
    @inlinable @inline(__always)
    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// Creates a word from a 64-bit value.
    @inlinable @inline(__always)
    public init(_ value: UInt64) {
        self.init(w0: value, w1: 0, w2: 0, w3: 0)
    }

    @inlinable @inline(__always)
    public init(integerLiteral value: UInt64) {
        self.init(value)
    }

    public static let zero = U256(w0: 0, w1: 0, w2: 0, w3: 0)
    public static let one = U256(w0: 1, w1: 0, w2: 0, w3: 0)
    public static let max = U256(w0: .max, w1: .max, w2: .max, w3: .max)

    /// Whether the value is zero.
    @inlinable @inline(__always)
    public var isZero: Bool { (w0 | w1 | w2 | w3) == 0 }

    /// The value as `UInt64` when it fits, else `nil`.
    @inlinable @inline(__always)
    public var uint64: UInt64? { (w1 | w2 | w3) == 0 ? w0 : nil }

    /// The value clamped to `UInt64.max`: for sizes and offsets, where anything above is "too large" anyway.
    @inlinable @inline(__always)
    public var clampedUInt64: UInt64 { (w1 | w2 | w3) == 0 ? w0 : .max }

    /// The number of significant bits (0 for zero).
    @inlinable @inline(__always)
    public var bitWidth: Int { 256 - leadingZeroBitCount }

    /// The number of leading zero bits (256 for zero): the EVM's CLZ (EIP-7939).
    @inlinable @inline(__always)
    public var leadingZeroBitCount: Int {
        if w3 != 0 { return w3.leadingZeroBitCount }
        if w2 != 0 { return 64 + w2.leadingZeroBitCount }
        if w1 != 0 { return 128 + w1.leadingZeroBitCount }
        return 192 + w0.leadingZeroBitCount
    }

    /// Whether the top bit is set (negative in two's complement).
    @inlinable @inline(__always)
    public var isNegative: Bool { w3 >> 63 != 0 }

    @inlinable
    subscript(limb index: Int) -> UInt64 {
        get {
            switch index {
            case 0: return w0
            case 1: return w1
            case 2: return w2
            default: return w3
            }
        }
        set {
            switch index {
            case 0: w0 = newValue
            case 1: w1 = newValue
            case 2: w2 = newValue
            default: w3 = newValue
            }
        }
    }

    // MARK: Comparison

    @inlinable @inline(__always)
    public static func == (lhs: U256, rhs: U256) -> Bool {
        ((lhs.w0 ^ rhs.w0) | (lhs.w1 ^ rhs.w1) | (lhs.w2 ^ rhs.w2) | (lhs.w3 ^ rhs.w3)) == 0
    }

    @inlinable @inline(__always)
    public static func < (lhs: U256, rhs: U256) -> Bool {
        if lhs.w3 != rhs.w3 { return lhs.w3 < rhs.w3 }
        if lhs.w2 != rhs.w2 { return lhs.w2 < rhs.w2 }
        if lhs.w1 != rhs.w1 { return lhs.w1 < rhs.w1 }
        return lhs.w0 < rhs.w0
    }

    /// Signed (two's complement) less-than: the EVM's SLT.
    @inlinable @inline(__always)
    public static func signedLessThan(_ lhs: U256, _ rhs: U256) -> Bool {
        let ln = lhs.isNegative, rn = rhs.isNegative
        if ln != rn { return ln }
        return lhs < rhs
    }

    // MARK: Bitwise

    @inlinable @inline(__always)
    public static func & (lhs: U256, rhs: U256) -> U256 {
        U256(w0: lhs.w0 & rhs.w0, w1: lhs.w1 & rhs.w1, w2: lhs.w2 & rhs.w2, w3: lhs.w3 & rhs.w3)
    }

    @inlinable @inline(__always)
    public static func | (lhs: U256, rhs: U256) -> U256 {
        U256(w0: lhs.w0 | rhs.w0, w1: lhs.w1 | rhs.w1, w2: lhs.w2 | rhs.w2, w3: lhs.w3 | rhs.w3)
    }

    @inlinable @inline(__always)
    public static func ^ (lhs: U256, rhs: U256) -> U256 {
        U256(w0: lhs.w0 ^ rhs.w0, w1: lhs.w1 ^ rhs.w1, w2: lhs.w2 ^ rhs.w2, w3: lhs.w3 ^ rhs.w3)
    }

    @inlinable @inline(__always)
    public static prefix func ~ (value: U256) -> U256 {
        U256(w0: ~value.w0, w1: ~value.w1, w2: ~value.w2, w3: ~value.w3)
    }

    /// Left shift; shifts of 256 or more give zero (the EVM's SHL).
    @inlinable
    public static func << (value: U256, shift: Int) -> U256 {
        if shift >= 256 || shift < 0 { return .zero }
        if shift == 0 { return value }
        let limbs = shift >> 6, bits = UInt64(shift & 63)
        var r = U256.zero
        if bits == 0 {
            for i in limbs..<4 { r[limb: i] = value[limb: i - limbs] }
        } else {
            for i in limbs..<4 {
                let lo = value[limb: i - limbs] << bits
                let carry = i - limbs - 1 >= 0 ? value[limb: i - limbs - 1] >> (64 - bits) : 0
                r[limb: i] = lo | carry
            }
        }
        return r
    }

    /// Logical right shift; shifts of 256 or more give zero (the EVM's SHR).
    @inlinable
    public static func >> (value: U256, shift: Int) -> U256 {
        if shift >= 256 || shift < 0 { return .zero }
        if shift == 0 { return value }
        let limbs = shift >> 6, bits = UInt64(shift & 63)
        var r = U256.zero
        if bits == 0 {
            for i in 0..<(4 - limbs) { r[limb: i] = value[limb: i + limbs] }
        } else {
            for i in 0..<(4 - limbs) {
                let hi = value[limb: i + limbs] >> bits
                let carry = i + limbs + 1 < 4 ? value[limb: i + limbs + 1] << (64 - bits) : 0
                r[limb: i] = hi | carry
            }
        }
        return r
    }

    /// Arithmetic right shift (the EVM's SAR): the sign bit fills in; shifts of 256 or more give 0 or all ones.
    @inlinable
    public static func arithmeticShiftRight(_ value: U256, by shift: Int) -> U256 {
        guard value.isNegative else { return value >> shift }
        if shift >= 256 || shift < 0 { return .max }
        if shift == 0 { return value }
        return ~((~value) >> shift)
    }

    /// The EVM's BYTE: byte `index` counted from the most significant end, or zero when `index` ≥ 32.
    @inlinable
    public func byte(at index: U256) -> U256 {
        guard let i = index.uint64, i < 32 else { return .zero }
        let fromLow = 31 - Int(i)
        return U256((self[limb: fromLow >> 3] >> UInt64((fromLow & 7) * 8)) & 0xff)
    }

    /// The EVM's SIGNEXTEND: extends the sign of byte `byteIndex` (from the least significant end) upwards.
    @inlinable
    public func signExtended(fromByte byteIndex: U256) -> U256 {
        guard let b = byteIndex.uint64, b < 31 else { return self }
        let bit = Int(b) * 8 + 7
        let mask = (U256.one << (bit + 1)) &- U256.one
        let negative = !((self >> bit) & U256.one).isZero
        return negative ? (self | ~mask) : (self & mask)
    }

    // MARK: Addition and subtraction

    /// Sum and carry out (branch-free carry chain).
    @inlinable @inline(__always)
    public func addingReportingOverflow(_ rhs: U256) -> (partialValue: U256, overflow: Bool) {
        let (s0, c0) = w0.addingReportingOverflow(rhs.w0)
        let (t1, c1a) = w1.addingReportingOverflow(rhs.w1)
        let (s1, c1b) = t1.addingReportingOverflow(c0 ? 1 : 0)
        let (t2, c2a) = w2.addingReportingOverflow(rhs.w2)
        let (s2, c2b) = t2.addingReportingOverflow((c1a || c1b) ? 1 : 0)
        let (t3, c3a) = w3.addingReportingOverflow(rhs.w3)
        let (s3, c3b) = t3.addingReportingOverflow((c2a || c2b) ? 1 : 0)
        return (U256(w0: s0, w1: s1, w2: s2, w3: s3), c3a || c3b)
    }

    /// Difference and borrow out (branch-free borrow chain).
    @inlinable @inline(__always)
    public func subtractingReportingOverflow(_ rhs: U256) -> (partialValue: U256, overflow: Bool) {
        let (d0, b0) = w0.subtractingReportingOverflow(rhs.w0)
        let (t1, b1a) = w1.subtractingReportingOverflow(rhs.w1)
        let (d1, b1b) = t1.subtractingReportingOverflow(b0 ? 1 : 0)
        let (t2, b2a) = w2.subtractingReportingOverflow(rhs.w2)
        let (d2, b2b) = t2.subtractingReportingOverflow((b1a || b1b) ? 1 : 0)
        let (t3, b3a) = w3.subtractingReportingOverflow(rhs.w3)
        let (d3, b3b) = t3.subtractingReportingOverflow((b2a || b2b) ? 1 : 0)
        return (U256(w0: d0, w1: d1, w2: d2, w3: d3), b3a || b3b)
    }

    @inlinable @inline(__always)
    public static func &+ (lhs: U256, rhs: U256) -> U256 { lhs.addingReportingOverflow(rhs).partialValue }

    @inlinable @inline(__always)
    public static func &- (lhs: U256, rhs: U256) -> U256 { lhs.subtractingReportingOverflow(rhs).partialValue }

    @inlinable
    public static func &+= (lhs: inout U256, rhs: U256) { lhs = lhs &+ rhs }

    @inlinable
    public static func &-= (lhs: inout U256, rhs: U256) { lhs = lhs &- rhs }

    /// Two's complement negation.
    @inlinable @inline(__always)
    public var negated: U256 { U256.zero &- self }

    /// The absolute value of a two's complement word (MIN stays MIN).
    @inlinable @inline(__always)
    public var magnitude: U256 { isNegative ? negated : self }

    // MARK: Multiplication

    /// The low 256 bits of the product (the EVM's MUL).
    @inlinable @inline(__always)
    public static func &* (lhs: U256, rhs: U256) -> U256 {
        // Schoolbook over limbs, dropping every partial product at or above 2^256.
        var (h, r0) = lhs.w0.multipliedFullWidth(by: rhs.w0)
        var r1 = h, r2: UInt64 = 0, r3: UInt64 = 0
        var c: Bool
        var l: UInt64
        // row 0
        (h, l) = lhs.w0.multipliedFullWidth(by: rhs.w1)
        (r1, c) = r1.addingReportingOverflow(l); r2 = h &+ (c ? 1 : 0)
        (h, l) = lhs.w0.multipliedFullWidth(by: rhs.w2)
        (r2, c) = r2.addingReportingOverflow(l); r3 = h &+ (c ? 1 : 0)
        r3 = r3 &+ lhs.w0 &* rhs.w3
        // row 1
        (h, l) = lhs.w1.multipliedFullWidth(by: rhs.w0)
        (r1, c) = r1.addingReportingOverflow(l)
        var carry = h &+ (c ? 1 : 0)
        (r2, c) = r2.addingReportingOverflow(carry); r3 = r3 &+ (c ? 1 : 0)
        (h, l) = lhs.w1.multipliedFullWidth(by: rhs.w1)
        (r2, c) = r2.addingReportingOverflow(l); r3 = r3 &+ h &+ (c ? 1 : 0)
        r3 = r3 &+ lhs.w1 &* rhs.w2
        // row 2
        (h, l) = lhs.w2.multipliedFullWidth(by: rhs.w0)
        (r2, c) = r2.addingReportingOverflow(l); carry = h &+ (c ? 1 : 0)
        r3 = r3 &+ carry &+ lhs.w2 &* rhs.w1
        // row 3
        r3 = r3 &+ lhs.w3 &* rhs.w0
        return U256(w0: r0, w1: r1, w2: r2, w3: r3)
    }

    @inlinable
    public static func &*= (lhs: inout U256, rhs: U256) { lhs = lhs &* rhs }

    /// The full 512-bit product as (high, low) words.
    @inlinable
    public static func multipliedFullWidth(_ lhs: U256, _ rhs: U256) -> (high: U256, low: U256) {
        var r: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &r) { raw in
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
            for i in 0..<4 {
                var carry: UInt64 = 0
                let a = lhs[limb: i]
                for j in 0..<4 {
                    let (hi, lo) = a.multipliedFullWidth(by: rhs[limb: j])
                    let (s1, c1) = out[i + j].addingReportingOverflow(lo)
                    let (s2, c2) = s1.addingReportingOverflow(carry)
                    out[i + j] = s2
                    carry = hi &+ (c1 ? 1 : 0) &+ (c2 ? 1 : 0)
                }
                out[i + 4] = carry
            }
        }
        return (U256(w0: r.4, w1: r.5, w2: r.6, w3: r.7), U256(w0: r.0, w1: r.1, w2: r.2, w3: r.3))
    }

    // MARK: Division

    /// Quotient and remainder; division by zero gives (0, 0) as in the EVM.
    @inlinable
    public func quotientAndRemainder(dividingBy divisor: U256) -> (quotient: U256, remainder: U256) {
        if divisor.isZero { return (.zero, .zero) }
        if self < divisor { return (.zero, self) }
        if (divisor.w1 | divisor.w2 | divisor.w3) == 0 {
            // A 64-bit divisor: one hardware division per limb.
            let d = divisor.w0
            if (w1 | w2 | w3) == 0 { return (U256(w0 / d), U256(w0 % d)) }
            var q = U256.zero
            var r: UInt64 = 0
            for i in stride(from: 3, through: 0, by: -1) {
                var ri: UInt64 = 0
                let qi = lockstep_divide_128_by_64(r, self[limb: i], d, &ri)
                q[limb: i] = qi
                r = ri
            }
            return (q, U256(r))
        }
        var u: (UInt64, UInt64, UInt64, UInt64, UInt64) = (w0, w1, w2, w3, 0)
        var v: (UInt64, UInt64, UInt64, UInt64) = (divisor.w0, divisor.w1, divisor.w2, divisor.w3)
        var q: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &u) { uRaw in
            withUnsafeMutableBytes(of: &v) { vRaw in
                withUnsafeMutableBytes(of: &q) { qRaw in
                    U256.divideLimbs(uRaw.baseAddress!.assumingMemoryBound(to: UInt64.self), uCount: 4,
                                     vRaw.baseAddress!.assumingMemoryBound(to: UInt64.self), vCount: divisor.limbCount,
                                     quotient: qRaw.baseAddress!.assumingMemoryBound(to: UInt64.self))
                }
            }
        }
        return (U256(w0: q.0, w1: q.1, w2: q.2, w3: q.3), U256(w0: u.0, w1: u.1, w2: u.2, w3: u.3))
    }

    /// Number of limbs up to the most significant non-zero one.
    @inlinable
    var limbCount: Int {
        if w3 != 0 { return 4 }
        if w2 != 0 { return 3 }
        if w1 != 0 { return 2 }
        return w0 != 0 ? 1 : 0
    }

    /// Knuth's algorithm D (TAOCP 4.3.1) on little-endian limbs.
    ///
    /// `u` holds `uCount` limbs followed by one spare limb of zero; on return its low `vCount` limbs hold the
    /// remainder and the rest are zero. `v` (with `vCount` ≥ 2 significant limbs) is normalised in place.
    /// `quotient` receives `uCount - vCount + 1` limbs.
    @usableFromInline
    static func divideLimbs(_ u: UnsafeMutablePointer<UInt64>, uCount: Int, _ v: UnsafeMutablePointer<UInt64>,
                            vCount n: Int, quotient: UnsafeMutablePointer<UInt64>) {
        let shift = UInt64(v[n - 1].leadingZeroBitCount)
        if shift != 0 {
            for i in stride(from: n - 1, to: 0, by: -1) { v[i] = (v[i] << shift) | (v[i - 1] >> (64 - shift)) }
            v[0] <<= shift
            u[uCount] = u[uCount - 1] >> (64 - shift)
            for i in stride(from: uCount - 1, to: 0, by: -1) { u[i] = (u[i] << shift) | (u[i - 1] >> (64 - shift)) }
            u[0] <<= shift
        } else {
            u[uCount] = 0
        }
        let vTop = v[n - 1], vNext = v[n - 2]
        var j = uCount - n
        while j >= 0 {
            // Estimate the quotient digit from the top two limbs, then correct it (at most twice).
            var qhat: UInt64
            var rhat: UInt64 = 0
            var rhatOverflow = false
            if u[j + n] >= vTop {
                qhat = .max
                (rhat, rhatOverflow) = u[j + n - 1].addingReportingOverflow(vTop)
                // u[j+n] == vTop here: qhat·vTop = (vTop << 64) - vTop, so rhat = u[j+n-1] + vTop.
            } else {
                qhat = lockstep_divide_128_by_64(u[j + n], u[j + n - 1], vTop, &rhat)
            }
            while !rhatOverflow {
                let (ph, pl) = qhat.multipliedFullWidth(by: vNext)
                if ph > rhat || (ph == rhat && pl > u[j + n - 2]) {
                    qhat &-= 1
                    (rhat, rhatOverflow) = rhat.addingReportingOverflow(vTop)
                } else {
                    break
                }
            }
            // u[j ..< j+n+1] -= qhat · v
            var borrow: UInt64 = 0
            var carry: UInt64 = 0
            for i in 0..<n {
                let (ph, pl) = qhat.multipliedFullWidth(by: v[i])
                let (pLow, c) = pl.addingReportingOverflow(carry)
                carry = ph &+ (c ? 1 : 0)
                let (d1, b1) = u[i + j].subtractingReportingOverflow(pLow)
                let (d2, b2) = d1.subtractingReportingOverflow(borrow)
                u[i + j] = d2
                borrow = (b1 ? 1 : 0) &+ (b2 ? 1 : 0)
            }
            let (d1, b1) = u[j + n].subtractingReportingOverflow(carry)
            let (d2, b2) = d1.subtractingReportingOverflow(borrow)
            u[j + n] = d2
            if b1 || b2 {
                // qhat was one too large: add v back.
                qhat &-= 1
                var c: UInt64 = 0
                for i in 0..<n {
                    let (s1, c1) = u[i + j].addingReportingOverflow(v[i])
                    let (s2, c2) = s1.addingReportingOverflow(c)
                    u[i + j] = s2
                    c = (c1 ? 1 : 0) &+ (c2 ? 1 : 0)
                }
                u[j + n] &+= c
            }
            quotient[j] = qhat
            j -= 1
        }
        // Unnormalise the remainder.
        if shift != 0 {
            for i in 0..<(n - 1) { u[i] = (u[i] >> shift) | (u[i + 1] << (64 - shift)) }
            u[n - 1] >>= shift
        }
        for i in n...uCount { u[i] = 0 }
    }

    /// Unsigned division; zero when dividing by zero (the EVM's DIV).
    @inlinable
    public static func / (lhs: U256, rhs: U256) -> U256 { lhs.quotientAndRemainder(dividingBy: rhs).quotient }

    /// Unsigned remainder; zero when dividing by zero (the EVM's MOD).
    @inlinable
    public static func % (lhs: U256, rhs: U256) -> U256 { lhs.quotientAndRemainder(dividingBy: rhs).remainder }

    /// Signed division rounding towards zero; zero when dividing by zero; MIN / -1 = MIN (the EVM's SDIV).
    @inlinable
    public static func signedDivide(_ lhs: U256, _ rhs: U256) -> U256 {
        if rhs.isZero { return .zero }
        let q = lhs.magnitude / rhs.magnitude
        return lhs.isNegative != rhs.isNegative ? q.negated : q
    }

    /// Signed remainder with the sign of the dividend; zero when dividing by zero (the EVM's SMOD).
    @inlinable
    public static func signedModulo(_ lhs: U256, _ rhs: U256) -> U256 {
        if rhs.isZero { return .zero }
        let r = lhs.magnitude % rhs.magnitude
        return lhs.isNegative ? r.negated : r
    }

    /// `(a + b) mod m` without overflow; zero when `m` is zero (the EVM's ADDMOD).
    @inlinable
    public static func addMod(_ a: U256, _ b: U256, _ m: U256) -> U256 {
        if m.isZero { return .zero }
        let (sum, carry) = a.addingReportingOverflow(b)
        if !carry { return sum % m }
        return reduce(high: U256.one, low: sum, modulus: m)
    }

    /// `(a × b) mod m` with a 512-bit intermediate; zero when `m` is zero (the EVM's MULMOD).
    @inlinable
    public static func mulMod(_ a: U256, _ b: U256, _ m: U256) -> U256 {
        if m.isZero { return .zero }
        let (high, low) = multipliedFullWidth(a, b)
        if high.isZero { return low % m }
        return reduce(high: high, low: low, modulus: m)
    }

    /// `(high · 2^256 + low) mod m` for a non-zero `m`.
    @usableFromInline
    static func reduce(high: U256, low: U256, modulus m: U256) -> U256 {
        var u: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (low.w0, low.w1, low.w2, low.w3, high.w0, high.w1, high.w2, high.w3, 0)
        var v: (UInt64, UInt64, UInt64, UInt64) = (m.w0, m.w1, m.w2, m.w3)
        var q: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
        let uCount = 4 + high.limbCount
        let n = m.limbCount
        return withUnsafeMutableBytes(of: &u) { uRaw in
            let up = uRaw.baseAddress!.assumingMemoryBound(to: UInt64.self)
            if n == 1 {
                var r: UInt64 = 0
                for i in stride(from: uCount - 1, through: 0, by: -1) {
                    var rest: UInt64 = 0
                    _ = lockstep_divide_128_by_64(r, up[i], m.w0, &rest)
                    r = rest
                }
                return U256(r)
            }
            withUnsafeMutableBytes(of: &v) { vRaw in
                withUnsafeMutableBytes(of: &q) { qRaw in
                    divideLimbs(up, uCount: uCount, vRaw.baseAddress!.assumingMemoryBound(to: UInt64.self), vCount: n,
                                quotient: qRaw.baseAddress!.assumingMemoryBound(to: UInt64.self))
                }
            }
            return U256(w0: up[0], w1: up[1], w2: up[2], w3: up[3])
        }
    }

    /// `base ^ exponent mod 2^256` by square-and-multiply (the EVM's EXP).
    @inlinable
    public static func power(_ base: U256, _ exponent: U256) -> U256 {
        var result = U256.one
        var b = base
        var e = exponent
        while !e.isZero {
            if e.w0 & 1 != 0 { result = result &* b }
            e = e >> 1
            if !e.isZero { b = b &* b }
        }
        return result
    }

    /// Bytes needed to write the value (0 for zero): EXP's gas counts these for the exponent.
    @inlinable @inline(__always)
    public var byteCount: Int { (bitWidth + 7) / 8 }

    // MARK: Bytes

    /// Reads 32 big-endian bytes from memory.
    @inlinable @inline(__always)
    public init(bigEndian pointer: UnsafeRawPointer) {
        w3 = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        w2 = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        w1 = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        w0 = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// Writes the 32 big-endian bytes to memory.
    @inlinable @inline(__always)
    public func storeBigEndian(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: w3.bigEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: w2.bigEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: w1.bigEndian, toByteOffset: 16, as: UInt64.self)
        pointer.storeBytes(of: w0.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Creates a word from up to 32 big-endian bytes (fewer are left-padded), or `nil` for more than 32.
    @inlinable
    public init?<C: Collection<UInt8>>(bigEndianBytes bytes: C) {
        guard bytes.count <= 32 else { return nil }
        var value = U256.zero
        for byte in bytes {
            value = (value << 8) | U256(UInt64(byte))
        }
        self = value
    }

    /// The 32 big-endian bytes.
    public var bigEndianBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { storeBigEndian(to: $0.baseAddress!) }
        return out
    }

    /// The big-endian bytes without leading zeros (empty for zero), as RLP encodes integers.
    public var minimalBigEndianBytes: [UInt8] {
        Array(bigEndianBytes.dropFirst(32 - byteCount))
    }

    // MARK: Text

    /// Parses a `0x`-prefixed hex quantity of 1 to 64 digits (leading zeros allowed, any number of digits).
    /// - Throws: `HexError` naming what was wrong.
    public init(hex: String) throws(HexError) {
        let utf8 = Array(hex.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] == UInt8(ascii: "x") || utf8[1] == UInt8(ascii: "X") else {
            throw HexError(code: .missingPrefix, message: "hex quantity \(Hex.excerpt(hex)) does not start with 0x")
        }
        let digits = utf8[2...]
        guard !digits.isEmpty else {
            throw HexError(code: .wrongLength, message: "hex quantity \(Hex.excerpt(hex)) has no digits")
        }
        var value = U256.zero
        var significant = 0
        for (offset, c) in digits.enumerated() {
            guard let nibble = Hex.nibble(c) else {
                throw HexError(code: .invalidCharacter,
                               message: "hex quantity \(Hex.excerpt(hex)) has an invalid character '\(Character(Unicode.Scalar(c)))' at position \(offset + 2)")
            }
            if significant > 0 || nibble != 0 { significant += 1 }
            guard significant <= 64 else {
                throw HexError(code: .wrongLength, message: "hex quantity \(Hex.excerpt(hex)) does not fit in 256 bits")
            }
            value = (value << 4) | U256(UInt64(nibble))
        }
        self = value
    }

    /// Parses a decimal integer below 2^256.
    /// - Throws: `IntegerParseError` for an empty string, a non-digit or a value of 2^256 or more.
    public init(decimal: String) throws(IntegerParseError) {
        guard !decimal.isEmpty else { throw IntegerParseError(message: "empty decimal integer") }
        var value = U256.zero
        let ten = U256(10)
        for c in decimal.utf8 {
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else {
                throw IntegerParseError(message: "decimal integer \(Hex.excerpt(decimal)) has an invalid character '\(Character(Unicode.Scalar(c)))'")
            }
            let (high, low) = U256.multipliedFullWidth(value, ten)
            let (sum, carry) = low.addingReportingOverflow(U256(UInt64(c - UInt8(ascii: "0"))))
            guard high.isZero && !carry else {
                throw IntegerParseError(message: "decimal integer \(Hex.excerpt(decimal)) does not fit in 256 bits")
            }
            value = sum
        }
        self = value
    }

    /// Parses a `0x` hex quantity or a decimal integer, as JSON-RPC clients send either.
    /// - Throws: `IntegerParseError` saying what was wrong.
    public init(parsing text: String) throws(IntegerParseError) {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            do { self = try U256(hex: text) } catch { throw IntegerParseError(message: error.message) }
        } else {
            self = try U256(decimal: text)
        }
    }

    /// The minimal `0x` hex form (`0x0` for zero), as JSON-RPC quantities are written.
    public var hexString: String {
        if isZero { return "0x0" }
        let hex = Hex.encode(minimalBigEndianBytes, prefix: false)
        return "0x" + (hex.hasPrefix("0") ? String(hex.dropFirst()) : hex)
    }

    /// The decimal form.
    public var decimalString: String {
        if isZero { return "0" }
        var chunks: [UInt64] = []
        var value = self
        let base = U256(10_000_000_000_000_000_000)
        while !value.isZero {
            let (q, r) = value.quotientAndRemainder(dividingBy: base)
            chunks.append(r.w0)
            value = q
        }
        var text = String(chunks.last!)
        for chunk in chunks.dropLast().reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return text
    }

    public var description: String { decimalString }
}

/// A decimal or hex integer that could not be parsed.
public struct IntegerParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the input.
    public let message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
