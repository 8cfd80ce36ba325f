import Primitives

/// A value of the Solidity ABI, for the calldata Lockstep sends to its contracts (`RollupCalls`): static words,
/// byte strings, arrays and tuples, encoded with the standard head/tail layout.
public indirect enum ABIValue: Hashable, Sendable {
    /// A static 32-byte word (`uint…`, `bytes32`, `address`, `bool`).
    case word(U256)
    /// `bytes` (dynamic).
    case bytes([UInt8])
    /// `T[]` (dynamic).
    case array([ABIValue])
    /// `T[k]`: static when its elements are.
    case fixedArray([ABIValue])
    /// `(T₁, …, Tₙ)`: static when its elements are.
    case tuple([ABIValue])

    public static func uint(_ value: UInt64) -> ABIValue { .word(U256(value)) }
    public static func uint(_ value: U256) -> ABIValue { .word(value) }
    public static func address(_ value: Address) -> ABIValue { .word(value.word) }
    public static func bytes32(_ value: Hash) -> ABIValue { .word(value.word) }
    public static func bool(_ value: Bool) -> ABIValue { .word(value ? .one : .zero) }

    /// Whether the type is dynamic (encoded in the tail with an offset in the head).
    public var isDynamic: Bool {
        switch self {
        case .word: false
        case .bytes, .array: true
        case .fixedArray(let items), .tuple(let items): items.contains(where: \.isDynamic)
        }
    }

    /// The encoding of the value on its own (as the body of `abi.encode(value)` for a tuple of arguments).
    public var encoded: [UInt8] {
        switch self {
        case .word(let value):
            return value.bigEndianBytes
        case .bytes(let data):
            return U256(UInt64(data.count)).bigEndianBytes + data
                + [UInt8](repeating: 0, count: (32 - data.count % 32) % 32)
        case .array(let items):
            return U256(UInt64(items.count)).bigEndianBytes + Self.encodeSequence(items)
        case .fixedArray(let items), .tuple(let items):
            return Self.encodeSequence(items)
        }
    }

    /// Heads then tails: the layout of a tuple's (or array's) elements.
    static func encodeSequence(_ items: [ABIValue]) -> [UInt8] {
        let headSize = items.reduce(0) { $0 + ($1.isDynamic ? 32 : $1.encoded.count) }
        var head: [UInt8] = []
        var tail: [UInt8] = []
        for item in items {
            if item.isDynamic {
                head += U256(UInt64(headSize + tail.count)).bigEndianBytes
                tail += item.encoded
            } else {
                head += item.encoded
            }
        }
        return head + tail
    }

    /// `abi.encode(arguments…)`.
    public static func encode(_ arguments: [ABIValue]) -> [UInt8] { encodeSequence(arguments) }

    /// Calldata: the 4-byte selector of `signature` (`"transfer(address,uint256)"`) and the encoded arguments.
    public static func call(_ signature: String, _ arguments: [ABIValue]) -> [UInt8] {
        selector(signature) + encode(arguments)
    }

    /// The first four bytes of `keccak(signature)`.
    public static func selector(_ signature: String) -> [UInt8] {
        Array(Keccak256.digest(Array(signature.utf8)).prefix(4))
    }
}
