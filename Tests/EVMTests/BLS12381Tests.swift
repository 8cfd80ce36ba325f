import FixtureSupport
import Foundation
import Primitives
import StateTestRunner
import Testing
@testable import EVM

/// Hex without prefix to bytes (test literals only).
private func bytes(_ hex: String) -> [UInt8] {
    (try? Hex.decode(hex, requirePrefix: false)) ?? []
}

private typealias Fp = BLS12381.Fp
private typealias Fp2 = BLS12381.Fp2

/// Deterministic pseudo-random field elements (below 2^376 < p).
private struct ElementSource {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func fp() -> Fp {
        Fp(l0: next(), l1: next(), l2: next(), l3: next(), l4: next(), l5: next() >> 8) * Fp.rSquared
    }
    mutating func fp2() -> Fp2 { Fp2(c0: fp(), c1: fp()) }
    mutating func scalar() -> BLS12381.Scalar { BLS12381.Scalar(w0: next(), w1: next(), w2: next(), w3: next() >> 2) }
}

/// r, the order of G1, G2 and GT.
private let groupOrder = BLS12381.Scalar(w0: 0xffff_ffff_0000_0001, w1: 0x53bd_a402_fffe_5bfe,
                                         w2: 0x3339_d808_09a1_d805, w3: 0x73ed_a753_299d_7d48)

private func run(_ number: UInt64, _ input: [UInt8], gasLimit: UInt64 = 10_000_000) -> PrecompileResult {
    Precompiles.run(Address(word: U256(number)), input: input, gasLimit: gasLimit, fork: .prague)
}

/// 64-byte encoding of a small field element.
private func encodedSmall(_ value: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 63) + [value] }

@Suite("BLS12-381")
struct BLS12381Tests {
    static let g1Encoded = BLS12381Precompiles.encodeG1(BLS12381.g1Generator)
    static let g2Encoded = BLS12381Precompiles.encodeG2(BLS12381.g2Generator)
    static let infinityG1 = [UInt8](repeating: 0, count: 128)
    static let infinityG2 = [UInt8](repeating: 0, count: 256)
    /// 2·G1 and 2·G2 from py_ecc.
    static let twoG1 = bytes("000000000000000000000000000000000572cbea904d67468808c8eb50a9450c9721db309128012543902d0ac358a62ae28f75bb8f1c7c42c39a8c5529bf0f4e00000000000000000000000000000000166a9d8cabc673a322fda673779d8e3822ba3ecb8670e461f73bb9021d5fd76a4c56d9d4cd16bd1bba86881979749d28")
    static let twoG2 = bytes("000000000000000000000000000000001638533957d540a9d2370f17cc7ed5863bc0b995b8825e0ee1ea1e1e4d00dbae81f14b0bf3611b78c952aacab827a053000000000000000000000000000000000a4edef9c1ed7f729f520e47730a124fd70662a904ba1074728114d1031e1572c6c886f6b57ec72a6178288c47c33577000000000000000000000000000000000468fb440d82b0630aeb8dca2b5256789a66da69bf91009cbfe6bd221e47aa8ae88dece9764bf3bd999d95d71e4c9899000000000000000000000000000000000f6d4552fa65dd2638b361543f887136a43253d9c66c411697003f7a13c308f5422e1aa0a59c8967acdefd8b6e36ccf3")

    /// A point on E (y² = x³ + 4) outside G1: the first x from 1 up with x³ + 4 a square (the cofactor is large,
    /// so such points are almost never in the subgroup; the test also checks [r]P ≠ O).
    static func pointOutsideG1() -> BLS12381.G1Affine {
        var x = Fp.one
        while true {
            if let y = (x.squared * x + Fp.curveB).squareRoot { return BLS12381.G1Affine(x: x, y: y) }
            x = x + .one
        }
    }

    static func pointOutsideG2() -> BLS12381.G2Affine {
        var x = Fp2.one
        while true {
            if let y = (x.squared * x + Fp2.curveB).squareRoot { return BLS12381.G2Affine(x: x, y: y) }
            x = x + .one
        }
    }

    // MARK: Fields

    @Test("Fp: ring axioms, inverse (GMP against Fermat), square roots")
    func fpArithmetic() {
        var source = ElementSource(state: 1)
        for _ in 0..<50 {
            let a = source.fp(), b = source.fp(), c = source.fp()
            #expect(a * b == b * a)
            #expect((a + b) * c == a * c + b * c)
            #expect(a - b + b == a)
            #expect(a + a.negated == .zero)
            #expect(a * a.inverse == .one)
            #expect(a.inverse == a.inverseByFermat)
            let square = a.squared
            #expect(square.squareRoot.map { $0.squared == square } == true)
        }
        #expect(Fp.zero.inverse == .zero)
        // -1 is not a square (p ≡ 3 mod 4).
        #expect(Fp.one.negated.squareRoot == nil)
        #expect(Fp.p0 &* Fp.inverseP0 == UInt64.max)  // p0 · (-p^-1) ≡ -1 (mod 2^64)
    }

    @Test("Fp2 and Fp12: axioms, inverses, Frobenius")
    func towerArithmetic() {
        var source = ElementSource(state: 2)
        for _ in 0..<20 {
            let a = source.fp2(), b = source.fp2(), c = source.fp2()
            #expect((a + b) * c == a * c + b * c)
            #expect(a * a.inverse == .one)
            #expect(a.squared == a * a)
            let square = a.squared
            #expect(square.squareRoot.map { $0.squared == square } == true)
        }
        // u = √-1 and ξ = 1 + u is not a square (it defines the sextic twist).
        #expect(Fp2.one.negated.squareRoot != nil)
        #expect(BLS12381.Constants.xi.squareRoot == nil)
        let f = BLS12381.Fp12(c0: BLS12381.Fp6(c0: source.fp2(), c1: source.fp2(), c2: source.fp2()),
                              c1: BLS12381.Fp6(c0: source.fp2(), c1: source.fp2(), c2: source.fp2()))
        #expect(f * f.inverse == .one)
        #expect(f.squared == f * f)
        // Frobenius is a ring morphism; twelve applications are the identity.
        let g = f.squared.inverse
        #expect((f * g).frobenius(1) == f.frobenius(1) * g.frobenius(1))
        #expect(f.frobenius(1).frobenius(1) == f.frobenius(2))
        var h = f
        for _ in 0..<4 { h = h.frobenius(3) }
        #expect(h == f)
    }

    // MARK: Groups

    @Test("Generators are on their curves, in their subgroups, and of order r")
    func generators() {
        #expect(BLS12381.g1Generator.isOnCurve && BLS12381.isInG1(BLS12381.g1Generator))
        #expect(BLS12381.g2Generator.isOnCurve && BLS12381.isInG2(BLS12381.g2Generator))
        #expect(BLS12381.g1Generator.jacobian.multiplied(by: groupOrder).isInfinity)
        #expect(BLS12381.g2Generator.jacobian.multiplied(by: groupOrder).isInfinity)
        #expect(!BLS12381.g1Generator.jacobian.multiplied(by: BLS12381.Scalar(w0: 7, w1: 0, w2: 0, w3: 0)).isInfinity)
        #expect(PointEvaluation.tauG2.isOnCurve && BLS12381.isInG2(PointEvaluation.tauG2))
    }

    @Test("Points on the curves but outside the subgroups are rejected")
    func subgroupChecks() {
        let p = Self.pointOutsideG1()
        #expect(p.isOnCurve)
        #expect(!p.jacobian.multiplied(by: groupOrder).isInfinity)
        #expect(!BLS12381.isInG1(p))
        let q = Self.pointOutsideG2()
        #expect(q.isOnCurve)
        #expect(!q.jacobian.multiplied(by: groupOrder).isInfinity)
        #expect(!BLS12381.isInG2(q))
        // Clearing the cofactor (the map precompiles' last step) lands in the subgroups.
        #expect(BLS12381.isInG1(BLS12381.MapToCurve.mapToG1(Fp(small: 3)).affine))
        #expect(BLS12381.isInG2(BLS12381.MapToCurve.mapToG2(Fp2(c0: Fp(small: 3), c1: Fp(small: 4))).affine))
    }

    @Test("Scalar multiplication and MSM agree with repeated addition")
    func scalarMultiplication() {
        var source = ElementSource(state: 3)
        let g = BLS12381.g1Generator.jacobian
        let a = source.scalar(), b = source.scalar()
        let points = (0..<9).map { i in g.multiplied(by: BLS12381.Scalar(w0: UInt64(i + 2), w1: 0, w2: 0, w3: 0)).affine }
        let scalars = (0..<9).map { _ in source.scalar() }
        var expected = BLS12381.G1Point.infinity
        for i in 0..<9 { expected = expected + points[i].jacobian.multiplied(by: scalars[i]) }
        // Nine terms go through Pippenger's buckets.
        #expect(BLS12381.MultiScalarMultiplication.sum(points: points, scalars: scalars).isEqual(to: expected))
        // [a]G + [b]G = [a + b]G for small values.
        let small = g.multiplied(by: BLS12381.Scalar(w0: 1000, w1: 0, w2: 0, w3: 0))
        var sum = BLS12381.G1Point.infinity
        for _ in 0..<1000 { sum = sum.adding(BLS12381.g1Generator) }
        #expect(small.isEqual(to: sum))
        #expect(g.multiplied(by: a).isEqual(to: g.multiplied(by: a)))
        #expect(!g.multiplied(by: a).isEqual(to: g.multiplied(by: b)))
    }

    // MARK: Pairing

    @Test("Pairing: bilinear, non-degenerate, e(P, -Q)·e(P, Q) = 1")
    func pairing() {
        var source = ElementSource(state: 4)
        let a = source.scalar(), b = source.scalar()
        let g1 = BLS12381.g1Generator, g2 = BLS12381.g2Generator
        let aP = g1.jacobian.multiplied(by: a).affine
        let bQ = g2.jacobian.multiplied(by: b).affine
        let bP = g1.jacobian.multiplied(by: b).affine
        let aQ = g2.jacobian.multiplied(by: a).affine
        // e(aP, bQ) = e(bP, aQ) = e(P, Q)^(ab).
        #expect(BLS12381.Pairing.productIsOne([(aP, bQ), (bP, aQ.negated)]))
        #expect(BLS12381.Pairing.productIsOne([(aP, bQ), (bP.negated, aQ)]))
        #expect(!BLS12381.Pairing.productIsOne([(aP, bQ), (bP, aQ)]))
        #expect(BLS12381.Pairing.productIsOne([(g1, g2), (g1, g2.negated)]))
        #expect(!BLS12381.Pairing.productIsOne([(g1, g2)]))
        // e([2]P, Q) = e(P, Q)²: check e(2P, Q)·e(P, -Q)·e(P, -Q) = 1.
        let twoP = g1.jacobian.doubled.affine
        #expect(BLS12381.Pairing.productIsOne([(twoP, g2), (g1, g2.negated), (g1, g2.negated)]))
        #expect(BLS12381.Pairing.productIsOne([(.infinity, g2), (g1, .infinity)]))
        // Precomputed lines, plain and normalized (the KZG check's), mixed in one Miller loop.
        typealias Prepared = BLS12381.Pairing.G2Prepared
        #expect(BLS12381.Pairing.productIsOne(prepared: [(aP, Prepared(bQ).normalized), (bP, Prepared(aQ.negated))]))
        #expect(BLS12381.Pairing.productIsOne(prepared: [(aP, Prepared(bQ).normalized),
                                                         (bP.negated, Prepared(aQ).normalized)]))
        #expect(!BLS12381.Pairing.productIsOne(prepared: [(aP, Prepared(bQ).normalized), (bP, Prepared(aQ).normalized)]))
        #expect(!BLS12381.Pairing.productIsOne(prepared: [(g1, Prepared(g2).normalized)]))
    }

    @Test("Karabina's compressed squaring agrees with the cyclotomic squaring, and f^x with square-and-multiply")
    func compressedCyclotomicSquaring() {
        var source = ElementSource(state: 6)
        func fp6() -> BLS12381.Fp6 { BLS12381.Fp6(c0: source.fp2(), c1: source.fp2(), c2: source.fp2()) }
        let a = BLS12381.Fp12(c0: fp6(), c1: fp6())
        // The easy part of the final exponentiation maps into the cyclotomic subgroup.
        var f = a.conjugate * a.inverse
        f = f.frobenius(2) * f
        var expected = f
        var compressed = BLS12381.CompressedCyclotomic(f)
        for _ in 0..<20 {
            expected = expected.cyclotomicSquared
            compressed = compressed.squared
        }
        #expect(compressed.decompressed == expected)
        #expect(BLS12381.CompressedCyclotomic(.one).squared.decompressed == .one)
        // f^|x| by plain square and multiply, conjugated for x < 0.
        var power = f
        for bit in stride(from: 62, through: 0, by: -1) {
            power = power * power
            if (BLS12381.xAbsolute >> UInt64(bit)) & 1 == 1 { power = power * f }
        }
        #expect(BLS12381.Pairing.powerByX(f) == power.conjugate)
    }

    @Test("GLV (G1) and GLS (G2) MSM agree with plain scalar multiplication, scalars at and above r included")
    func endomorphismMultiplication() {
        var source = ElementSource(state: 5)
        let g1 = BLS12381.g1Generator.jacobian, g2 = BLS12381.g2Generator.jacobian
        let all = BLS12381.Scalar(w0: .max, w1: .max, w2: .max, w3: .max)
        var scalars = (0..<6).map { _ in source.scalar() }
        scalars += [groupOrder, all, .zero, BLS12381.Scalar(w0: 1, w1: 0, w2: 0, w3: 0)]
        for (i, k) in scalars.enumerated() {
            let p = g1.multiplied(by: BLS12381.Scalar(w0: UInt64(i + 3), w1: 0, w2: 0, w3: 0)).affine
            let q = g2.multiplied(by: BLS12381.Scalar(w0: UInt64(i + 3), w1: 0, w2: 0, w3: 0)).affine
            #expect(BLS12381.MultiScalarMultiplication.sumInG1(points: [p], scalars: [k])
                .isEqual(to: p.jacobian.multiplied(by: k)))
            #expect(BLS12381.MultiScalarMultiplication.sumInG2(points: [q], scalars: [k])
                .isEqual(to: q.jacobian.multiplied(by: k)))
        }
        // Many terms go through Pippenger's buckets.
        let points1 = (0..<40).map { i in g1.multiplied(by: BLS12381.Scalar(w0: UInt64(i + 2), w1: 0, w2: 0, w3: 0)).affine }
        let points2 = (0..<40).map { i in g2.multiplied(by: BLS12381.Scalar(w0: UInt64(i + 2), w1: 0, w2: 0, w3: 0)).affine }
        let many = (0..<40).map { i in i == 7 ? all : source.scalar() }
        var expected1 = BLS12381.G1Point.infinity, expected2 = BLS12381.G2Point.infinity
        for i in 0..<40 {
            expected1 = expected1 + points1[i].jacobian.multiplied(by: many[i])
            expected2 = expected2 + points2[i].jacobian.multiplied(by: many[i])
        }
        #expect(BLS12381.MultiScalarMultiplication.sumInG1(points: points1, scalars: many).isEqual(to: expected1))
        #expect(BLS12381.MultiScalarMultiplication.sumInG2(points: points2, scalars: many).isEqual(to: expected2))
    }

    // MARK: EIP-2537 precompiles

    @Test("G1ADD and G2ADD: known answers and infinity")
    func additions() {
        let g1Double = run(0x0b, Self.g1Encoded + Self.g1Encoded)
        #expect(g1Double.success && g1Double.gasUsed == 375 && g1Double.output == Self.twoG1)
        let g2Double = run(0x0d, Self.g2Encoded + Self.g2Encoded)
        #expect(g2Double.success && g2Double.gasUsed == 600 && g2Double.output == Self.twoG2)
        #expect(run(0x0b, Self.g1Encoded + Self.infinityG1).output == Self.g1Encoded)
        #expect(run(0x0b, Self.infinityG1 + Self.infinityG1).output == Self.infinityG1)
        #expect(run(0x0d, Self.infinityG2 + Self.g2Encoded).output == Self.g2Encoded)
        // P + (-P) = O.
        let minusG1 = BLS12381Precompiles.encodeG1(BLS12381.g1Generator.negated)
        #expect(run(0x0b, Self.g1Encoded + minusG1).output == Self.infinityG1)
        // Addition does not check the subgroup (EIP-2537).
        let outside = BLS12381Precompiles.encodeG1(Self.pointOutsideG1())
        #expect(run(0x0b, outside + Self.g1Encoded).success)
    }

    @Test("MSM: known answers, gas with the discount table, subgroup check")
    func multiScalarMultiplication() {
        let two = [UInt8](repeating: 0, count: 31) + [2]
        let zero = [UInt8](repeating: 0, count: 32)
        let g1 = run(0x0c, Self.g1Encoded + two)
        #expect(g1.success && g1.gasUsed == 12000 && g1.output == Self.twoG1)
        let g2 = run(0x0e, Self.g2Encoded + two)
        #expect(g2.success && g2.gasUsed == 22500 && g2.output == Self.twoG2)
        #expect(run(0x0c, Self.g1Encoded + zero).output == Self.infinityG1)
        #expect(run(0x0c, Self.infinityG1 + two).output == Self.infinityG1)
        // 2 terms: 2·12000·949/1000 = 22776; 2·22500·1000/1000 = 45000 (EIP-2537 tables).
        #expect(run(0x0c, Self.g1Encoded + two + Self.g1Encoded + zero).gasUsed == 22776)
        #expect(run(0x0e, Self.g2Encoded + two + Self.g2Encoded + zero).gasUsed == 45000)
        // 200 terms use the last discount (519): 200·12000·519/1000.
        #expect(BLS12381Precompiles.msmGas(terms: 200, base: 12000, discounts: BLS12381Precompiles.g1Discount)
                == 1_245_600)
        // r·G = O: scalars are not reduced but the result is the same.
        let order = bytes("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001")
        #expect(run(0x0c, Self.g1Encoded + order).output == Self.infinityG1)
        // A point outside the subgroup is invalid input for MSM.
        let outside = BLS12381Precompiles.encodeG1(Self.pointOutsideG1())
        let rejected = run(0x0c, outside + two, gasLimit: 50000)
        #expect(!rejected.success && rejected.gasUsed == 50000)
        let outsideG2 = BLS12381Precompiles.encodeG2(Self.pointOutsideG2())
        #expect(!run(0x0e, outsideG2 + two).success)
        // Not enough gas.
        #expect(!run(0x0c, Self.g1Encoded + two, gasLimit: 11999).success)
    }

    @Test("PAIRING_CHECK: results, gas, subgroup check")
    func pairingCheck() {
        let minusG1 = BLS12381Precompiles.encodeG1(BLS12381.g1Generator.negated)
        let one = run(0x0f, Self.g1Encoded + Self.g2Encoded + minusG1 + Self.g2Encoded)
        #expect(one.success && one.gasUsed == 37700 + 2 * 32600)
        #expect(one.output == [UInt8](repeating: 0, count: 31) + [1])
        let zero = run(0x0f, Self.g1Encoded + Self.g2Encoded)
        #expect(zero.success && zero.gasUsed == 70300 && zero.output == [UInt8](repeating: 0, count: 32))
        let infinity = run(0x0f, Self.infinityG1 + Self.g2Encoded)
        #expect(infinity.output == [UInt8](repeating: 0, count: 31) + [1])
        let outside = BLS12381Precompiles.encodeG1(Self.pointOutsideG1())
        #expect(!run(0x0f, outside + Self.g2Encoded).success)
        let outsideG2 = BLS12381Precompiles.encodeG2(Self.pointOutsideG2())
        #expect(!run(0x0f, Self.g1Encoded + outsideG2).success)
    }

    @Test("Maps: known answer, gas, results in the subgroups")
    func maps() {
        let mapped = run(0x10, encodedSmall(5))
        #expect(mapped.success && mapped.gasUsed == 5500)
        #expect(mapped.output == bytes("0000000000000000000000000000000003a76914689fb401b446b4227e7b0d4d4872d8fc6d39e2b2b28fa19ef0eb6a0a13093e5654d4dc679d79e1a560e2d113000000000000000000000000000000001844f38a9c17150dfada3a0fe4de5aa8f5392e913c2ab01ad841c786696b4c2006cf4edd48a0be20eac01a9c68224f29"))
        // The single-exponentiation specialisation agrees with the generic SWU map.
        for i in 0..<20 {
            let u = Fp(small: UInt64(i * 7919 + 3))
            #expect(BLS12381.MapToCurve.mapFp(u) == BLS12381.MapToCurve.map(u, BLS12381.G1Isogeny.self))
        }
        let mappedG2 = run(0x11, encodedSmall(5) + encodedSmall(7))
        #expect(mappedG2.success && mappedG2.gasUsed == 23800 && mappedG2.output.count == 256)
        let point = mappedG2.output.withUnsafeBytes { BLS12381Precompiles.decodeG2($0, offset: 0) }
        #expect(point.map(BLS12381.isInG2) == true)
    }

    @Test("Invalid encodings: lengths, field elements ≥ p, top bytes, points off the curve")
    func invalidInputs() {
        let gasLimit: UInt64 = 1_000_000
        func rejected(_ number: UInt64, _ input: [UInt8]) -> Bool {
            let result = run(number, input, gasLimit: gasLimit)
            return !result.success && result.gasUsed == gasLimit && result.output.isEmpty
        }
        // Lengths.
        #expect(rejected(0x0b, Self.g1Encoded))
        #expect(rejected(0x0b, Self.g1Encoded + Self.g1Encoded + [0]))
        #expect(rejected(0x0c, []))
        #expect(rejected(0x0c, Self.g1Encoded + [UInt8](repeating: 0, count: 31)))
        #expect(rejected(0x0d, Self.g2Encoded))
        #expect(rejected(0x0e, Self.g2Encoded + [UInt8](repeating: 0, count: 33)))
        #expect(rejected(0x0f, []))
        #expect(rejected(0x0f, Self.g1Encoded + Self.g2Encoded + [0]))
        #expect(rejected(0x10, encodedSmall(1) + [0]))
        #expect(rejected(0x11, encodedSmall(1)))
        // x = p is not canonical.
        let p = bytes("000000000000000000000000000000001a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab")
        #expect(rejected(0x10, p))
        #expect(rejected(0x0b, p + Array(Self.g1Encoded[64...]) + Self.g1Encoded))
        #expect(rejected(0x11, encodedSmall(1) + p))
        // A nonzero byte in the 16 padding bytes.
        var padded = encodedSmall(1)
        padded[0] = 1
        #expect(rejected(0x10, padded))
        // A point off the curve: (1, 1), and the generator with y + 1.
        #expect(rejected(0x0b, encodedSmall(1) + encodedSmall(1) + Self.g1Encoded))
        var offCurve = Self.g1Encoded
        offCurve[127] ^= 1
        #expect(rejected(0x0b, offCurve + Self.g1Encoded))
        var offTwist = Self.g2Encoded
        offTwist[255] ^= 1
        #expect(rejected(0x0d, offTwist + Self.g2Encoded))
        #expect(rejected(0x0f, Self.g1Encoded + offTwist))
        // Infinity must be all zeros: (0, 2) is on E but is not the infinity encoding, nor in G1.
        #expect(rejected(0x0c, encodedSmall(0) + encodedSmall(2) + [UInt8](repeating: 0, count: 32)))
        #expect(run(0x0b, encodedSmall(0) + encodedSmall(2) + Self.infinityG1).success)
    }

    // MARK: EIP-4844 point evaluation

    /// c-kzg-4844 verify_kzg_proof_case_correct_proof_1ce8e4f69d5df899 (EEST test_external_vectors).
    static let kzgInput = bytes("01ad7666ef9d8f53b5adf54f029b13b6f171b1d0bd346a2ede315d3e243484ef"
        + "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"
        + "0000000000000000000000000000000000000000000000000000000000000000"
        + "93efc82d2017e9c57834a1246463e64774e56183bb247c8fc9dd98c56817e878d97b05f5c8d900acf1fbbbca6f146556"
        + "92c51ff81dd71dab71cefecd79e8274b4b7ba36a0f40e2dc086bc4061c7f63249877db23297212991fd63e07b7ebc348")

    @Test("Point evaluation: a correct proof, then each way to break it")
    func pointEvaluation() {
        let valid = run(0x0a, Self.kzgInput, gasLimit: 60000)
        #expect(valid.success && valid.gasUsed == 50000)
        #expect(valid.output == bytes("0000000000000000000000000000000000000000000000000000000000001000"
                                      + "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"))
        func rejected(_ input: [UInt8], gasLimit: UInt64 = 60000) -> Bool {
            let result = run(0x0a, input, gasLimit: gasLimit)
            return !result.success && result.gasUsed == gasLimit
        }
        #expect(rejected(Self.kzgInput, gasLimit: 49999))
        #expect(rejected(Array(Self.kzgInput.dropLast())))
        var wrongHash = Self.kzgInput
        wrongHash[0] = 0x02  // version byte
        #expect(rejected(wrongHash))
        var wrongY = Self.kzgInput
        wrongY[95] = 1
        #expect(rejected(wrongY))
        var zTooLarge = Self.kzgInput
        zTooLarge[63] = 1  // z = r
        #expect(rejected(zTooLarge))
        var proofFlipped = Self.kzgInput
        proofFlipped[144] ^= 0x20  // the other y for the proof point
        #expect(rejected(proofFlipped))
    }

    @Test("Compressed G1 decoding follows the ZCash rules EIP-4844 uses")
    func compressedG1() {
        func decode(_ input: [UInt8]) -> BLS12381.G1Affine? {
            input.withUnsafeBytes { PointEvaluation.decompressG1($0, offset: 0) }
        }
        let infinity = [0xc0] + [UInt8](repeating: 0, count: 47)
        #expect(decode(infinity) == .infinity)
        #expect(decode([0xe0] + [UInt8](repeating: 0, count: 47)) == nil)  // infinity with the sign flag
        #expect(decode([0x40] + [UInt8](repeating: 0, count: 47)) == nil)  // uncompressed flag
        #expect(decode([0x80] + [UInt8](repeating: 0, count: 47)) == nil)  // x = 0 without the infinity flag
        // The generator: x with flags 0x80 (y is the smaller root).
        var generator = [UInt8]()
        BLS12381.g1Generator.x.appendBigEndian(to: &generator)
        generator[0] |= 0x80
        #expect(decode(generator) == BLS12381.g1Generator)
        generator[0] |= 0x20
        #expect(decode(generator) == BLS12381.g1Generator.negated)
        // A point on the curve outside G1 is rejected.
        var outside = [UInt8]()
        let point = Self.pointOutsideG1()
        point.x.appendBigEndian(to: &outside)
        outside[0] |= point.y.isLexicographicallyLargest ? 0xa0 : 0x80
        #expect(decode(outside) == nil)
    }

    @Test("The stored [τ]₂ recompresses to the mainnet trusted setup's bytes")
    func trustedSetupPoint() {
        let tau = PointEvaluation.tauG2
        var compressed = [UInt8]()
        tau.x.c1.appendBigEndian(to: &compressed)
        tau.x.c0.appendBigEndian(to: &compressed)
        compressed[0] |= 0x80 | (tau.y.isLexicographicallyLargest ? 0x20 : 0)
        #expect(compressed == bytes("b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d2914e5870cb452d2afaaab24f3499f72185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1def2"))
    }

    @Test("The MULX/ADX and the portable Montgomery multiplications agree", .enabled(if: Fp.cpuHasADX))
    func adxAgreesWithPortable() {
        var source = ElementSource(state: 0xadc5)
        let pMinusOne = Fp.one.negated  // the largest element, in Montgomery form
        let edges: [Fp] = [.zero, .one, pMinusOne, Fp.rSquared, pMinusOne * pMinusOne,
                            Fp(l0: .max, l1: .max, l2: .max, l3: .max, l4: .max, l5: 0)]
        for a in edges { for b in edges { #expect(Fp.multipliedWithADX(a, b) == Fp.multipliedPortably(a, b)) } }
        for _ in 0..<20_000 {
            let a = source.fp(), b = source.fp()
            #expect(Fp.multipliedWithADX(a, b) == Fp.multipliedPortably(a, b))
        }
    }

    // MARK: Conformance

    @Test("The EIP-2537 and point-evaluation suites pass through the portable multiplication (as without ADX)",
          .enabled(if: Fixtures.available))
    func portableConformance() {
        let runner = StateTestRunner()
        let root = Fixtures.root!
        let files = StateTestRunner.files(at: root.appendingPathComponent("eest/state_tests/prague/eip2537_bls_12_381_precompiles").path)
            + StateTestRunner.files(at: root.appendingPathComponent("eest/state_tests/cancun/eip4844_blobs").path)
                .filter { file in  // the files whose transactions call 0x0a
                    ["external_vectors", "invalid_inputs", "point_evaluation", "call_opcode_types", "tx_entry_point"]
                        .contains { file.lastPathComponent.contains($0) }
                }
        Fp.forcePortable(true)
        defer { Fp.forcePortable(false) }
        #expect(!Fp.usesADX)
        let results = runWithLargeStack { files.flatMap { runner.run(file: $0) } }
        let failed = results.filter { $0.status == .failed }
        for failure in failed.prefix(10) { print("  FAIL \(failure.file) \(failure.name) \(failure.fork): \(failure.reason)") }
        print("portable multiplication: \(results.count - failed.count) passed, \(failed.count) failed")
        #expect(results.count >= 1_000)
        #expect(failed.isEmpty)
    }

    @Test("EEST eip2537 and eip4844_blobs state tests all pass", .enabled(if: Fixtures.available),
          arguments: ["eest/state_tests/prague/eip2537_bls_12_381_precompiles", "eest/state_tests/cancun/eip4844_blobs"])
    func stateTests(path: String) {
        let runner = StateTestRunner()
        let files = StateTestRunner.files(at: Fixtures.root!.appendingPathComponent(path).path)
        let results = runWithLargeStack { files.flatMap { runner.run(file: $0) } }
        let failed = results.filter { $0.status == .failed }
        for failure in failed.prefix(10) { print("  FAIL \(failure.file) \(failure.name) \(failure.fork): \(failure.reason)") }
        print("\(path): \(results.count - failed.count) passed, \(failed.count) failed")
        #expect(results.count >= (path.contains("eip2537") ? 940 : 1500))
        #expect(failed.isEmpty)
    }
}
