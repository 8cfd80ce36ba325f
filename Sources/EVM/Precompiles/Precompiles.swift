import Primitives

/// Result of running a precompile.
public struct PrecompileResult: Sendable {
    /// The return data (empty on failure).
    public var output: [UInt8]
    /// Gas charged; equal to the gas limit when `success` is false.
    public var gasUsed: UInt64
    /// false: the call fails and consumes all gas given to it (out of gas or invalid input).
    public var success: Bool

    /// Creates a result from its parts.
    public init(output: [UInt8], gasUsed: UInt64, success: Bool) {
        self.output = output
        self.gasUsed = gasUsed
        self.success = success
    }

    /// A successful call that charged `gas` and returned `output`.
    static func ok(_ output: [UInt8], gas: UInt64) -> PrecompileResult {
        PrecompileResult(output: output, gasUsed: gas, success: true)
    }

    /// An exceptional halt: out of gas or invalid input, so all of `gasLimit` is consumed.
    static func failure(gasLimit: UInt64) -> PrecompileResult {
        PrecompileResult(output: [], gasUsed: gasLimit, success: false)
    }
}

/// The precompiled contracts: ECRECOVER, SHA256, RIPEMD160, IDENTITY, MODEXP, the BN254 trio, BLAKE2F, the KZG
/// point evaluation, the seven BLS12-381 operations and P256VERIFY, with each fork's gas schedule.
public enum Precompiles {
    /// Whether `address` is a precompile in `fork` (Cancun: 0x01-0x0a; Prague: + 0x0b-0x11; Osaka: + 0x100 P256VERIFY).
    public static func isPrecompile(_ address: Address, fork: Fork) -> Bool {
        guard let number = number(of: address) else { return false }
        return isPrecompile(number: number, fork: fork)
    }

    /// All precompile addresses of `fork` (they are warm from the start of a transaction, EIP-2929).
    public static func addresses(fork: Fork) -> [Address] {
        addressesByFork[fork.rawValue]
    }

    /// Each fork's precompile addresses, by `Fork.rawValue`, made once: every transaction warms them (EIP-2929).
    static let addressesByFork: [[Address]] = {
        var table = [[Address]](repeating: [], count: (Fork.allCases.map(\.rawValue).max() ?? 0) + 1)
        for fork in Fork.allCases {
            table[fork.rawValue] = (UInt64(1)...0x11).filter { isPrecompile(number: $0, fork: fork) }.map(address(number:))
                + (isPrecompile(number: 0x100, fork: fork) ? [address(number: 0x100)] : [])
        }
        return table
    }()

    /// Runs precompile `address` on `input` with `gasLimit` available.
    ///
    /// An address that is not a precompile in `fork` behaves like an account without code: success, no output,
    /// no gas (callers are expected to check `isPrecompile` first).
    public static func run(_ address: Address, input: [UInt8], gasLimit: UInt64, fork: Fork) -> PrecompileResult {
        guard let number = number(of: address), isPrecompile(number: number, fork: fork) else {
            return .ok([], gas: 0)
        }
        switch number {
        case 0x01:
            return fixedCost(3000, gasLimit: gasLimit) { Secp256k1.ecrecover(input: input) }
        case 0x02:
            return fixedCost(wordCost(base: 60, perWord: 12, length: input.count), gasLimit: gasLimit) {
                SHA256.hash(input)
            }
        case 0x03:
            // RIPEMD-160's 20-byte digest is returned left-padded to a 32-byte word.
            return fixedCost(wordCost(base: 600, perWord: 120, length: input.count), gasLimit: gasLimit) {
                [UInt8](repeating: 0, count: 12) + RIPEMD160.hash(input)
            }
        case 0x04:
            return fixedCost(wordCost(base: 15, perWord: 3, length: input.count), gasLimit: gasLimit) { input }
        case 0x05:
            return ModExp.run(input: input, gasLimit: gasLimit, fork: fork)
        case 0x06:
            return BN254Precompiles.add(input: input, gasLimit: gasLimit, fork: fork)
        case 0x07:
            return BN254Precompiles.multiply(input: input, gasLimit: gasLimit, fork: fork)
        case 0x08:
            return BN254Precompiles.pairing(input: input, gasLimit: gasLimit, fork: fork)
        case 0x09:
            return Blake2F.run(input: input, gasLimit: gasLimit)
        case 0x0a:
            return PointEvaluation.run(input: input, gasLimit: gasLimit)
        case 0x0b:
            return BLS12381Precompiles.g1Add(input: input, gasLimit: gasLimit)
        case 0x0c:
            return BLS12381Precompiles.g1MSM(input: input, gasLimit: gasLimit)
        case 0x0d:
            return BLS12381Precompiles.g2Add(input: input, gasLimit: gasLimit)
        case 0x0e:
            return BLS12381Precompiles.g2MSM(input: input, gasLimit: gasLimit)
        case 0x0f:
            return BLS12381Precompiles.pairingCheck(input: input, gasLimit: gasLimit)
        case 0x10:
            return BLS12381Precompiles.mapFpToG1(input: input, gasLimit: gasLimit)
        case 0x11:
            return BLS12381Precompiles.mapFp2ToG2(input: input, gasLimit: gasLimit)
        case 0x100:
            return P256Verify.run(input: input, gasLimit: gasLimit)
        default:
            // isPrecompile admits no other number.
            return .ok([], gas: 0)
        }
    }

    /// The precompile number of an address whose top 18 bytes are zero, else nil.
    static func number(of address: Address) -> UInt64? {
        let word = address.word
        guard word.w1 == 0, word.w2 == 0, word.w3 == 0, word.w0 <= 0xffff else { return nil }
        return word.w0
    }

    /// The address of precompile `number`.
    static func address(number: UInt64) -> Address {
        Address(word: U256(number))
    }

    /// Fork activation of each precompile.
    static func isPrecompile(number: UInt64, fork: Fork) -> Bool {
        switch number {
        case 0x01...0x04: return true
        case 0x05...0x08: return fork >= .byzantium  // EIP-196, EIP-197, EIP-198
        case 0x09: return fork >= .istanbul  // EIP-152
        case 0x0a: return fork >= .cancun  // EIP-4844
        case 0x0b...0x11: return fork >= .prague  // EIP-2537
        case 0x100: return fork >= .osaka  // EIP-7951
        default: return false
        }
    }

    /// `base + perWord * ceil(length / 32)`, the pricing of SHA256, RIPEMD160 and IDENTITY.
    static func wordCost(base: UInt64, perWord: UInt64, length: Int) -> UInt64 {
        base + perWord * ((UInt64(length) + 31) / 32)
    }

    /// Charges `gas` up front, then runs `body` (which cannot fail).
    @inline(__always)
    static func fixedCost(_ gas: UInt64, gasLimit: UInt64, _ body: () -> [UInt8]) -> PrecompileResult {
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        return .ok(body(), gas: gas)
    }
}

/// Reads `count` bytes of `input` starting at `offset`, with zeros past its end: precompiles treat their input
/// as right-padded with zeros (the yellow paper's "input data is padded with zeros").
@inline(__always)
func paddedSlice(_ input: [UInt8], offset: Int, count: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    if offset < input.count {
        let available = min(count, input.count - offset)
        for i in 0..<available { out[i] = input[offset + i] }
    }
    return out
}

/// The big-endian 256-bit word at `offset` of `input`, zero-padded past its end.
@inline(__always)
func paddedWord(_ input: [UInt8], offset: Int) -> U256 {
    var word = U256.zero
    if offset < input.count {
        let end = min(offset + 32, input.count)
        var value = U256.zero
        for i in offset..<end { value = (value << 8) | U256(UInt64(input[i])) }
        // Missing trailing bytes are zeros, which shift the value left.
        word = value << (8 * (32 - (end - offset)))
    }
    return word
}
