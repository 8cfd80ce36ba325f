import Primitives

/// Solidity's `abi.encode` for the static values the protocol hashes (every value one 32-byte word), and the
/// standard encoding of the `EXECUTE` precompile's two dynamic byte arrays.
public struct ABIWords: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 8) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity * 32)
    }

    /// Appends a `uint256`.
    public mutating func append(_ value: U256) { self.bytes += value.bigEndianBytes }
    /// Appends a `uint256` from a 64-bit value.
    public mutating func append(_ value: UInt64) { self.append(U256(value)) }
    /// Appends an address, left-padded.
    public mutating func append(_ value: Address) { self.bytes += Hash(leftPadding: value.bytes).bytes }
    /// Appends a `bytes32`.
    public mutating func append(_ value: Hash) { self.bytes += value.bytes }

    /// `keccak` of the words.
    public var keccak: Hash { Keccak256.hash(self.bytes) }

    /// `abi.encode(head words…, bytes, bytes, …)`: static words followed by dynamic byte arrays, each in the
    /// standard layout (an offset word in the head, then length and data padded to 32 bytes in the tail).
    public static func encode(words: [U256], dynamic: [[UInt8]]) -> [UInt8] {
        var head: [UInt8] = []
        var tail: [UInt8] = []
        let headSize = 32 * (words.count + dynamic.count)
        for word in words { head += word.bigEndianBytes }
        for data in dynamic {
            head += U256(UInt64(headSize + tail.count)).bigEndianBytes
            tail += U256(UInt64(data.count)).bigEndianBytes
            tail += data
            tail += [UInt8](repeating: 0, count: (32 - data.count % 32) % 32)
        }
        return head + tail
    }

    /// Reads `abi.encode(word₁, …, wordₙ, bytes₁, …, bytesₘ)` strictly: offsets in range, lengths in range.
    /// - Throws: `ABIError` saying which part is wrong.
    public static func decode(_ input: [UInt8], words count: Int, dynamic dynamicCount: Int,
                              maxDynamicLength: Int) throws(ABIError) -> (words: [U256], dynamic: [[UInt8]]) {
        func word(at offset: Int) throws(ABIError) -> U256 {
            guard offset >= 0, offset + 32 <= input.count else {
                throw ABIError("input too short: needs a word at byte \(offset), has \(input.count) bytes")
            }
            return U256(bigEndianBytes: input[offset..<offset + 32])!
        }
        var words: [U256] = []
        for index in 0..<count { words.append(try word(at: 32 * index)) }
        var dynamic: [[UInt8]] = []
        for index in 0..<dynamicCount {
            let offsetWord = try word(at: 32 * (count + index))
            guard let offset = offsetWord.uint64.flatMap(Int.init(exactly:)), offset <= input.count else {
                throw ABIError("dynamic argument \(index): offset \(offsetWord.hexString) is outside the input")
            }
            let lengthWord = try word(at: offset)
            guard let length = lengthWord.uint64.flatMap(Int.init(exactly:)), length <= maxDynamicLength else {
                throw ABIError("dynamic argument \(index): length \(lengthWord.hexString) is above \(maxDynamicLength)")
            }
            guard offset + 32 + length <= input.count else {
                throw ABIError("dynamic argument \(index): \(length) bytes at byte \(offset + 32) run past the input")
            }
            dynamic.append(Array(input[(offset + 32)..<(offset + 32 + length)]))
        }
        return (words, dynamic)
    }
}

/// A malformed ABI encoding.
public struct ABIError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
