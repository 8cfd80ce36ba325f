/// The BLAKE2F precompile (0x09, EIP-152): the BLAKE2b compression function F with a caller-chosen round count.
enum Blake2F {
    /// EIP-152: `rounds (4, BE) ‖ h (64) ‖ m (128) ‖ t (16) ‖ f (1)`.
    static let inputLength = 213

    /// Gas per round (EIP-152 `GFROUND`).
    static let gasPerRound: UInt64 = 1

    /// Runs the precompile: any input length other than 213 or a final-block flag other than 0 or 1 is an error
    /// that consumes all gas (EIP-152).
    static func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        guard input.count == inputLength else { return .failure(gasLimit: gasLimit) }
        let rounds = UInt32(input[0]) << 24 | UInt32(input[1]) << 16 | UInt32(input[2]) << 8 | UInt32(input[3])
        let gas = UInt64(rounds) * gasPerRound
        guard gas <= gasLimit else { return .failure(gasLimit: gasLimit) }
        let finalFlag = input[212]
        guard finalFlag <= 1 else { return .failure(gasLimit: gasLimit) }

        var h = (0..<8).map { littleEndianWord(input, at: 4 + 8 * $0) }
        let m = (0..<16).map { littleEndianWord(input, at: 68 + 8 * $0) }
        let t0 = littleEndianWord(input, at: 196)
        let t1 = littleEndianWord(input, at: 204)
        h.withUnsafeMutableBufferPointer { state in
            m.withUnsafeBufferPointer { message in
                compress(rounds: rounds, state: state.baseAddress!, message: message.baseAddress!, t0: t0, t1: t1,
                         isFinal: finalFlag == 1)
            }
        }

        var output = [UInt8]()
        output.reserveCapacity(64)
        for word in h {
            for i in 0..<8 { output.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
        }
        return .ok(output, gas: gas)
    }

    @inline(__always)
    static func littleEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var word: UInt64 = 0
        for i in 0..<8 { word |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return word
    }

}
