import Testing
@testable import Primitives

@Suite("U256")
struct U256Tests {
    static let minSigned = U256(w0: 0, w1: 0, w2: 0, w3: 1 << 63)

    static func random(_ generator: inout SplitMix, limbs: Int) -> U256 {
        var value = U256.zero
        for i in 0..<limbs { value[limb: i] = generator.next() }
        return value
    }

    @Test("Parsing and printing: hex, decimal, bytes")
    func text() throws {
        let max = try U256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(max == U256.max)
        #expect(max.hexString == "0x" + String(repeating: "f", count: 64))
        #expect(U256.max.decimalString == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(throws: IntegerParseError.self) {
            try U256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639936")
        }
        #expect(throws: IntegerParseError.self) { try U256(decimal: "12a") }
        #expect(throws: HexError.self) { try U256(hex: "12") }
        #expect(throws: HexError.self) { try U256(hex: "0x") }
        #expect(throws: HexError.self) { try U256(hex: "0x1" + String(repeating: "0", count: 64)) }
        #expect(try U256(hex: "0x00ff") == U256(255))
        #expect(U256.zero.hexString == "0x0")
        #expect(U256(0x1234).hexString == "0x1234")
        #expect(U256(0x123).hexString == "0x123")
        #expect(U256(256).minimalBigEndianBytes == [1, 0])
        #expect(U256.zero.minimalBigEndianBytes == [])
        #expect(U256(bigEndianBytes: [1, 0]) == U256(256))
        #expect(U256(bigEndianBytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(try U256(parsing: "0x10") == U256(16))
        #expect(try U256(parsing: "10") == U256(10))
    }

    @Test("Division identities hold for random operands of every width")
    func divisionIdentity() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<20_000 {
            let a = Self.random(&generator, limbs: Int(generator.next() % 4) + 1)
            var b = Self.random(&generator, limbs: Int(generator.next() % 4) + 1)
            if generator.next() % 4 == 0 { b = b >> Int(generator.next() % 200) }
            if b.isZero { continue }
            let (q, r) = a.quotientAndRemainder(dividingBy: b)
            #expect(r < b)
            let (high, low) = U256.multipliedFullWidth(q, b)
            #expect(high.isZero)
            #expect(low &+ r == a)
        }
    }

    @Test("MULMOD and ADDMOD against their definitions")
    func modularArithmetic() {
        var generator = SplitMix(seed: 11)
        for _ in 0..<5_000 {
            let a = Self.random(&generator, limbs: 4)
            let b = Self.random(&generator, limbs: 4)
            let m = Self.random(&generator, limbs: Int(generator.next() % 4) + 1) | U256.one
            let product = U256.mulMod(a, b, m)
            #expect(product < m)
            // (a mod m)(b mod m) ≡ ab (mod m)
            #expect(U256.mulMod(a % m, b % m, m) == product)
            // a·b mod m computed by distributing b = b1 + b2.
            let b1 = b >> 1, b2 = b &- b1
            #expect(U256.addMod(U256.mulMod(a, b1, m), U256.mulMod(a, b2, m), m) == product)
            #expect(U256.addMod(a, b, m) == U256.addMod(a % m, b % m, m))
        }
        // Known values: (2^256-1)^2 mod (2^256-2) = 1; addmod(max, max, 7).
        let max = U256.max
        #expect(U256.mulMod(max, max, max &- U256.one) == U256.one)
        #expect(U256.addMod(max, max, U256(7)) == U256(2))  // 2·(2^256−1) mod 7 = (2·2 − 2) mod 7
        #expect(U256.mulMod(U256(10), U256(10), U256(8)) == U256(4))
        #expect(U256.mulMod(U256(10), U256(10), .zero) == .zero)
    }

    @Test("Signed division and modulo follow the EVM's SDIV and SMOD")
    func signed() {
        let minusOne = U256.max
        let minusTen = U256(10).negated
        #expect(U256.signedDivide(minusTen, U256(3)) == U256(3).negated)
        #expect(U256.signedModulo(minusTen, U256(3)) == U256.one.negated)
        #expect(U256.signedModulo(U256(10), U256(3).negated) == U256.one)
        #expect(U256.signedDivide(Self.minSigned, minusOne) == Self.minSigned)
        #expect(U256.signedDivide(U256(5), .zero) == .zero)
        #expect(U256.signedLessThan(minusOne, .zero))
        #expect(!U256.signedLessThan(.zero, minusOne))
    }

    @Test("Shifts, BYTE, SIGNEXTEND, EXP, CLZ")
    func bitOperations() {
        let one = U256.one
        #expect(one << 255 == Self.minSigned)
        #expect(one << 256 == .zero)
        #expect((Self.minSigned >> 255) == one)
        #expect(U256.arithmeticShiftRight(Self.minSigned, by: 255) == U256.max)
        #expect(U256.arithmeticShiftRight(Self.minSigned, by: 300) == U256.max)
        #expect(U256.arithmeticShiftRight(U256(16), by: 2) == U256(4))
        let x = U256(w0: 0x1122_3344_5566_7788, w1: 0, w2: 0, w3: 0xaabb_0000_0000_0000)
        #expect(x.byte(at: U256(0)) == U256(0xaa))
        #expect(x.byte(at: U256(31)) == U256(0x88))
        #expect(x.byte(at: U256(32)) == .zero)
        #expect(U256(0xff).signExtended(fromByte: .zero) == U256.max)
        #expect(U256(0x7f).signExtended(fromByte: .zero) == U256(0x7f))
        #expect(U256(0x1_80).signExtended(fromByte: .zero) == U256(0x80).signExtended(fromByte: .zero))
        #expect(U256.power(U256(2), U256(255)) == Self.minSigned)
        #expect(U256.power(U256(2), U256(256)) == .zero)
        #expect(U256.power(U256(3), U256(5)) == U256(243))
        #expect(U256.power(.zero, .zero) == one)
        #expect(U256.zero.leadingZeroBitCount == 256)
        #expect(one.leadingZeroBitCount == 255)
        #expect(U256.max.leadingZeroBitCount == 0)
        #expect(U256(0x100).byteCount == 2)
    }

    @Test("Multiplication: low half and full width agree")
    func multiplication() {
        var generator = SplitMix(seed: 3)
        for _ in 0..<10_000 {
            let a = Self.random(&generator, limbs: 4)
            let b = Self.random(&generator, limbs: 4)
            #expect(U256.multipliedFullWidth(a, b).low == a &* b)
            #expect(a &* b == b &* a)
            #expect((a &+ b) &- b == a)
        }
        #expect(U256.max &* U256.max == U256.one)
    }
}

/// A small deterministic generator for test operands.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
