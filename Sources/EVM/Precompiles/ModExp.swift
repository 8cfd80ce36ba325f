import CGMP
import Primitives

/// The MODEXP precompile (0x05, EIP-198): `base ^ exp mod modulus` on big-endian integers of any length.
///
/// Input: `base_len ‖ exp_len ‖ mod_len` as 32-byte big-endian words, then the three numbers; the input is
/// right-padded with zeros as far as the lengths reach. Pricing: EIP-198 (Byzantium), EIP-2565 (Berlin),
/// EIP-7883 (Osaka); Osaka also caps each length at 1024 bytes (EIP-7823).
enum ModExp {
    /// EIP-7823: the largest base, exponent or modulus length accepted from Osaka on.
    static let maxLengthOsaka: UInt64 = 1024

    /// Runs the precompile.
    static func run(input: [UInt8], gasLimit: UInt64, fork: Fork) -> PrecompileResult {
        let baseLengthWord = paddedWord(input, offset: 0)
        let expLengthWord = paddedWord(input, offset: 32)
        let modLengthWord = paddedWord(input, offset: 64)
        // Lengths beyond 64 bits make the call unaffordable; clamping them keeps the gas arithmetic in UInt64.
        let baseLength = baseLengthWord.clampedUInt64
        let expLength = expLengthWord.clampedUInt64
        let modLength = modLengthWord.clampedUInt64

        if fork >= .osaka {
            // EIP-7823: an exceptional halt, so all gas is consumed.
            guard baseLength <= maxLengthOsaka, expLength <= maxLengthOsaka, modLength <= maxLengthOsaka else {
                return .failure(gasLimit: gasLimit)
            }
        }

        // The first (up to) 32 bytes of the exponent drive the iteration count.
        let expStart = 96 &+ baseLength
        let expHead: U256
        if expStart >= UInt64(input.count) || baseLength > UInt64(Int.max) - 96 || expLength == 0 {
            expHead = .zero
        } else {
            let headLength = Int(min(32, expLength))
            expHead = U256(bigEndianBytes: paddedSlice(input, offset: Int(expStart), count: headLength)) ?? .zero
        }

        let gas = gasCost(baseLength: baseLength, expLength: expLength, modLength: modLength,
                          expHead: expHead, fork: fork)
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }

        // EIP-198: the output is mod_len bytes; nothing to read when it is empty.
        guard modLength > 0 else { return .ok([], gas: gas) }

        // Having paid, base_len and mod_len are below ~2^36 and exp_len below ~2^63 (the gas formulas grow
        // with them); an exponent longer than 2^32 bytes would need over 10^10 gas, which no block holds, so it
        // is refused rather than allocated.
        guard baseLength <= UInt64(UInt32.max), expLength <= UInt64(UInt32.max), modLength <= UInt64(UInt32.max) else {
            return .failure(gasLimit: gasLimit)
        }
        let base = GMPInteger(bigEndian: paddedSlice(input, offset: 96, count: Int(baseLength)))
        let exponent = GMPInteger(bigEndian: paddedSlice(input, offset: Int(expStart), count: Int(expLength)))
        let modulus = GMPInteger(bigEndian: paddedSlice(input, offset: Int(expStart + expLength), count: Int(modLength)))
        guard !modulus.isZero else {
            // EIP-198: a zero modulus returns zeros.
            return .ok([UInt8](repeating: 0, count: Int(modLength)), gas: gas)
        }
        let result = GMPInteger()
        __gmpz_powm(result.pointer, base.pointer, exponent.pointer, modulus.pointer)
        return .ok(result.bigEndianBytes(count: Int(modLength)), gas: gas)
    }

    /// The gas of a call, saturating at `UInt64.max` (which no caller can afford).
    static func gasCost(baseLength: UInt64, expLength: UInt64, modLength: UInt64, expHead: U256, fork: Fork) -> UInt64 {
        let maxLength = max(baseLength, modLength)
        let headBits = UInt64(expHead.bitWidth)
        // log2 of the exponent, estimated from its length and its first 32 bytes.
        func iterations(multiplier: UInt64) -> UInt64 {
            if expLength <= 32 {
                return headBits == 0 ? 0 : headBits - 1
            }
            let lengthPart = Saturating.multiply(multiplier, expLength - 32)
            return Saturating.add(lengthPart, headBits == 0 ? 0 : headBits - 1)
        }

        if fork >= .osaka {
            // EIP-7883: complexity 16 up to 32 bytes, else 2 * words^2; exponent bytes beyond 32 count 16 each;
            // no division, minimum 500.
            let words = (maxLength + 7) / 8
            let complexity: UInt64 = maxLength <= 32 ? 16 : Saturating.multiply(2, Saturating.multiply(words, words))
            let cost = Saturating.multiply(complexity, max(iterations(multiplier: 16), 1))
            return max(500, cost)
        }
        if fork >= .berlin {
            // EIP-2565: words^2 * max(iterations, 1) / 3, minimum 200.
            let words = maxLength / 8 + (maxLength % 8 == 0 ? 0 : 1)
            let complexity = Saturating.multiply(words, words)
            let product = Saturating.multiply(complexity, max(iterations(multiplier: 8), 1))
            return product == .max ? .max : max(200, product / 3)
        }
        // EIP-198: piecewise quadratic complexity of max(base_len, mod_len), divided by GQUADDIVISOR = 20.
        let x = maxLength
        let square = Saturating.multiply(x, x)
        let complexity: UInt64
        if x <= 64 {
            complexity = square
        } else if x <= 1024 {
            complexity = square / 4 + 96 * x - 3072
        } else if square == .max {
            complexity = .max
        } else {
            complexity = Saturating.add(square / 16, Saturating.multiply(480, x)) - 199_680
        }
        let product = Saturating.multiply(complexity, max(iterations(multiplier: 8), 1))
        return product == .max ? .max : product / 20
    }
}

/// UInt64 arithmetic that sticks at `UInt64.max` instead of trapping, for gas formulas over attacker-chosen lengths.
enum Saturating {
    @inline(__always)
    static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : value
    }

    @inline(__always)
    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : value
    }
}
