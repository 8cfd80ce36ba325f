import CGMP
import Primitives

/// The P256VERIFY precompile (0x100, EIP-7951, Osaka): ECDSA verification over secp256r1 (NIST P-256).
///
/// Input: `hash ‖ r ‖ s ‖ qx ‖ qy`, 32 bytes each. A valid signature returns the word 1; anything else
/// (wrong length, out-of-range values, a point off the curve, a failed check) returns empty output, and the
/// call still succeeds and costs the fixed gas.
enum P256Verify {
    /// EIP-7951 gas (doubled from RIP-7212's 3450).
    static let gas: UInt64 = 6900
    static let inputLength = 160

    /// Runs the precompile.
    static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        guard input.count == inputLength, verify(input) else { return .ok([], gas: gas) }
        var one = [UInt8](repeating: 0, count: 32)
        one[31] = 1
        return .ok(one, gas: gas)
    }

    /// Curve constants (SEC 2 / FIPS 186-4), big-endian hex.
    static let fieldPrime = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
    static let curveB = "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"
    static let groupOrder = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
    static let generatorX = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    static let generatorY = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"

    /// The checks of EIP-7951, in its order, then the ECDSA equation `x(u1·G + u2·Q) ≡ r (mod n)`.
    static func verify(_ input: [UInt8]) -> Bool {
        let curve = P256Arithmetic()
        let hash = GMPInteger(bigEndian: Array(input[0..<32]))
        let r = GMPInteger(bigEndian: Array(input[32..<64]))
        let s = GMPInteger(bigEndian: Array(input[64..<96]))
        let qx = GMPInteger(bigEndian: Array(input[96..<128]))
        let qy = GMPInteger(bigEndian: Array(input[128..<160]))

        // 0 < r < n and 0 < s < n.
        guard !r.isZero, !s.isZero, __gmpz_cmp(r.pointer, curve.n.pointer) < 0,
              __gmpz_cmp(s.pointer, curve.n.pointer) < 0 else { return false }
        // 0 <= qx, qy < p, not (0, 0) (the encoding of infinity), and y^2 = x^3 - 3x + b.
        guard __gmpz_cmp(qx.pointer, curve.p.pointer) < 0, __gmpz_cmp(qy.pointer, curve.p.pointer) < 0 else {
            return false
        }
        guard !(qx.isZero && qy.isZero), curve.isOnCurve(x: qx, y: qy) else { return false }

        // u1 = z / s, u2 = r / s (mod n); z is the whole 256-bit hash reduced mod n (n has 256 bits, so no
        // truncation applies).
        let sInverse = GMPInteger()
        guard __gmpz_invert(sInverse.pointer, s.pointer, curve.n.pointer) != 0 else { return false }
        let u1 = GMPInteger()
        __gmpz_mul(u1.pointer, hash.pointer, sInverse.pointer)
        __gmpz_fdiv_r(u1.pointer, u1.pointer, curve.n.pointer)
        let u2 = GMPInteger()
        __gmpz_mul(u2.pointer, r.pointer, sInverse.pointer)
        __gmpz_fdiv_r(u2.pointer, u2.pointer, curve.n.pointer)

        guard let x = curve.linearCombinationX(u1: u1, u2: u2, qx: qx, qy: qy) else { return false }
        __gmpz_fdiv_r(x.pointer, x.pointer, curve.n.pointer)
        return __gmpz_cmp(x.pointer, r.pointer) == 0
    }
}

/// P-256 point arithmetic in Jacobian coordinates (a = -3) over GMP integers, with preallocated scratch values.
final class P256Arithmetic {
    let p = GMPInteger(hex: P256Verify.fieldPrime)
    let b = GMPInteger(hex: P256Verify.curveB)
    let n = GMPInteger(hex: P256Verify.groupOrder)
    let gx = GMPInteger(hex: P256Verify.generatorX)
    let gy = GMPInteger(hex: P256Verify.generatorY)
    let t = (0..<8).map { _ in GMPInteger() }

    /// A point in Jacobian coordinates; z == 0 is the point at infinity.
    struct Point {
        let x = GMPInteger(), y = GMPInteger(), z = GMPInteger()
    }

    /// `out = a * b mod p`.
    @inline(__always)
    func mul(_ out: GMPInteger, _ a: GMPInteger, _ b: GMPInteger) {
        __gmpz_mul(out.pointer, a.pointer, b.pointer)
        __gmpz_fdiv_r(out.pointer, out.pointer, p.pointer)
    }

    /// `out = a - b mod p` (inputs reduced).
    @inline(__always)
    func sub(_ out: GMPInteger, _ a: GMPInteger, _ b: GMPInteger) {
        __gmpz_sub(out.pointer, a.pointer, b.pointer)
        if out.pointer.pointee._mp_size < 0 { __gmpz_add(out.pointer, out.pointer, p.pointer) }
    }

    /// `out = a + b mod p` (inputs reduced).
    @inline(__always)
    func add(_ out: GMPInteger, _ a: GMPInteger, _ b: GMPInteger) {
        __gmpz_add(out.pointer, a.pointer, b.pointer)
        if __gmpz_cmp(out.pointer, p.pointer) >= 0 { __gmpz_sub(out.pointer, out.pointer, p.pointer) }
    }

    /// `y^2 == x^3 - 3x + b (mod p)` for reduced x, y.
    func isOnCurve(x: GMPInteger, y: GMPInteger) -> Bool {
        let (lhs, rhs, tmp) = (t[0], t[1], t[2])
        mul(lhs, y, y)
        mul(rhs, x, x)
        mul(rhs, rhs, x)
        add(tmp, x, x)
        add(tmp, tmp, x)
        sub(rhs, rhs, tmp)
        add(rhs, rhs, b)
        return __gmpz_cmp(lhs.pointer, rhs.pointer) == 0
    }

    /// Doubles `point` in place (dbl-2001-b, a = -3).
    func double(_ point: Point) {
        guard !point.z.isZero else { return }
        let (delta, gamma, beta, alpha, tmp) = (t[0], t[1], t[2], t[3], t[4])
        mul(delta, point.z, point.z)
        mul(gamma, point.y, point.y)
        mul(beta, point.x, gamma)
        // alpha = 3 (x - delta)(x + delta)
        sub(tmp, point.x, delta)
        add(alpha, point.x, delta)
        mul(alpha, alpha, tmp)
        add(tmp, alpha, alpha)
        add(alpha, tmp, alpha)
        // z3 = (y + z)^2 - gamma - delta
        add(tmp, point.y, point.z)
        mul(point.z, tmp, tmp)
        sub(point.z, point.z, gamma)
        sub(point.z, point.z, delta)
        // x3 = alpha^2 - 8 beta
        add(beta, beta, beta)
        add(beta, beta, beta)  // 4 beta
        mul(point.x, alpha, alpha)
        sub(point.x, point.x, beta)
        sub(point.x, point.x, beta)
        // y3 = alpha (4 beta - x3) - 8 gamma^2
        sub(tmp, beta, point.x)
        mul(tmp, alpha, tmp)
        mul(gamma, gamma, gamma)
        add(gamma, gamma, gamma)
        add(gamma, gamma, gamma)
        add(gamma, gamma, gamma)
        sub(point.y, tmp, gamma)
    }

    /// Adds the affine point (x2, y2) to `point` in place (madd-2007-bl).
    func addAffine(_ point: Point, x2: GMPInteger, y2: GMPInteger) {
        if point.z.isZero {
            __gmpz_set(point.x.pointer, x2.pointer)
            __gmpz_set(point.y.pointer, y2.pointer)
            __gmpz_set_ui(point.z.pointer, 1)
            return
        }
        let (z1z1, u2, s2, h, hh, i, j, rr) = (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7])
        mul(z1z1, point.z, point.z)
        mul(u2, x2, z1z1)
        mul(s2, y2, point.z)
        mul(s2, s2, z1z1)
        sub(h, u2, point.x)
        sub(rr, s2, point.y)
        if h.isZero {
            // Same x: the same point (double it) or its negation (the sum is infinity).
            if rr.isZero { double(point) } else { __gmpz_set_ui(point.z.pointer, 0) }
            return
        }
        add(rr, rr, rr)
        mul(hh, h, h)
        add(i, hh, hh)
        add(i, i, i)
        mul(j, h, i)
        let v = u2  // reuse: v = x1 * i
        mul(v, point.x, i)
        // z3 = (z1 + h)^2 - z1z1 - hh (before y1, x1 are overwritten it only needs z1)
        add(point.z, point.z, h)
        mul(point.z, point.z, point.z)
        sub(point.z, point.z, z1z1)
        sub(point.z, point.z, hh)
        // x3 = r^2 - j - 2v
        mul(point.x, rr, rr)
        sub(point.x, point.x, j)
        sub(point.x, point.x, v)
        sub(point.x, point.x, v)
        // y3 = r (v - x3) - 2 y1 j
        mul(j, j, point.y)
        add(j, j, j)
        sub(v, v, point.x)
        mul(point.y, rr, v)
        sub(point.y, point.y, j)
    }

    /// Converts `point` to affine coordinates; nil for infinity.
    func affine(_ point: Point) -> (x: GMPInteger, y: GMPInteger)? {
        guard !point.z.isZero else { return nil }
        let zInverse = GMPInteger(), zz = GMPInteger(), x = GMPInteger(), y = GMPInteger()
        guard __gmpz_invert(zInverse.pointer, point.z.pointer, p.pointer) != 0 else { return nil }
        mul(zz, zInverse, zInverse)
        mul(x, point.x, zz)
        mul(zz, zz, zInverse)
        mul(y, point.y, zz)
        return (x, y)
    }

    /// The affine x of `u1·G + u2·Q` by Shamir's trick (one shared doubling chain), or nil for infinity.
    func linearCombinationX(u1: GMPInteger, u2: GMPInteger, qx: GMPInteger, qy: GMPInteger) -> GMPInteger? {
        let sum = Point()
        __gmpz_set(sum.x.pointer, gx.pointer)
        __gmpz_set(sum.y.pointer, gy.pointer)
        __gmpz_set_ui(sum.z.pointer, 1)
        addAffine(sum, x2: qx, y2: qy)
        let gPlusQ = affine(sum)  // nil when Q = -G

        let accumulator = Point()
        let bits = max(__gmpz_sizeinbase(u1.pointer, 2), __gmpz_sizeinbase(u2.pointer, 2))
        var bit = bits
        while bit > 0 {
            bit -= 1
            double(accumulator)
            let b1 = __gmpz_tstbit(u1.pointer, UInt(bit)) != 0
            let b2 = __gmpz_tstbit(u2.pointer, UInt(bit)) != 0
            switch (b1, b2) {
            case (true, true):
                if let gPlusQ { addAffine(accumulator, x2: gPlusQ.x, y2: gPlusQ.y) }
            case (true, false): addAffine(accumulator, x2: gx, y2: gy)
            case (false, true): addAffine(accumulator, x2: qx, y2: qy)
            case (false, false): break
            }
        }
        return affine(accumulator)?.x
    }
}

extension GMPInteger {
    /// Parses big-endian hex digits (constants only).
    convenience init(hex: String) {
        self.init()
        _ = __gmpz_set_str(pointer, hex, 16)
    }
}
