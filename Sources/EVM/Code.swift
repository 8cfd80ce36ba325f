#if canImport(Glibc)
import Glibc
#endif
import Primitives
import Synchronization

/// Contract code prepared for execution: padded so that PUSH reads past the end see zeros (and an implicit STOP),
/// with its JUMPDEST bitmap computed once.
///
/// A class so that frames share it without copying; immutable after creation, hence `Sendable`.
public final class Code: @unchecked Sendable {
    /// The code as deployed.
    public let bytes: [UInt8]
    /// Keccak-256 of `bytes`.
    public let hash: Hash
    /// `bytes` followed by 33 zero bytes.
    @usableFromInline let padded: UnsafeMutablePointer<UInt8>
    /// One bit per byte offset: set where a JUMPDEST opcode (not PUSH data) sits.
    @usableFromInline let jumpdests: UnsafeMutablePointer<UInt64>

    /// The empty code.
    public static let empty = Code(bytes: [], hash: Keccak256.hash([UInt8]()))

    /// Prepares code whose hash is already known.
    public init(bytes: [UInt8], hash: Hash) {
        self.bytes = bytes
        self.hash = hash
        let count = bytes.count
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: count + 33)
        buffer.initialize(repeating: 0, count: count + 33)
        if count > 0 { bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: count) } }
        padded = buffer
        let words = (count + 63) / 64 + 1
        jumpdests = .allocate(capacity: words)
        jumpdests.initialize(repeating: 0, count: words)
        var pc = 0
        while pc < count {
            let op = padded[pc]
            if op == 0x5b {
                jumpdests[pc >> 6] |= 1 << UInt64(pc & 63)
            } else if op >= 0x60 && op <= 0x7f {
                pc += Int(op - 0x5f)
            }
            pc += 1
        }
    }

    /// Prepares code, hashing it.
    public convenience init(bytes: [UInt8]) {
        self.init(bytes: bytes, hash: Keccak256.hash(bytes))
    }

    deinit {
        padded.deallocate()
        jumpdests.deallocate()
    }

    /// Prepared code shared by every execution in the process, by hash: each execution used to prepare (copy, pad and
    /// scan for JUMPDESTs) every contract it ran, a thousand times over for a builder's drafts of the same contracts.
    /// Only code whose bytes hash to its key is shared. Emptied when it reaches `sharedLimit` entries.
    static let shared = Mutex<[Hash: Code]>([:])
    static let sharedLimit = 4_096

    /// `bytes` (what the backend has for `hash`; nil when it has nothing: empty code) prepared for execution, or the
    /// same bytes prepared before. The backend is always asked, so what runs is what it has: a stateless witness
    /// without the code still runs empty code.
    public static func prepared(hash: Hash, bytes: [UInt8]?) -> Code {
        guard let bytes else { return Code(bytes: [], hash: hash) }
        if let code = shared.withLock({ $0[hash] }), Self.equal(code.bytes, bytes) { return code }
        let code = Code(bytes: bytes, hash: hash)
        if Keccak256.hash(bytes) == hash {
            shared.withLock { cache in
                if cache.count >= sharedLimit { cache.removeAll(keepingCapacity: true) }
                cache[hash] = code
            }
        }
        return code
    }

    /// Byte-for-byte equality with memcmp (`Array.==` compares element by element once the storage differs, and
    /// each fork's copy of a contract's code is its own storage).
    static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.count == rhs.count && lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 }
        }
    }

    /// The number of bytes of code.
    @inlinable public var count: Int { bytes.count }

    /// Whether `destination` is a JUMPDEST that is not inside PUSH data.
    @inlinable @inline(__always)
    public func isJumpdest(_ destination: Int) -> Bool {
        guard destination >= 0 && destination < bytes.count else { return false }
        return jumpdests[destination >> 6] & (1 << UInt64(destination & 63)) != 0
    }

    /// EIP-7702: the delegation target when this code is a delegation designator `0xef0100 ‖ address`.
    public var delegationTarget: Address? {
        guard bytes.count == 23, bytes[0] == 0xef, bytes[1] == 0x01, bytes[2] == 0x00 else { return nil }
        return Address(bytes: bytes[3..<23])
    }
}

extension Code {
    /// EIP-7702: the 23-byte designator that delegates an account's code to `target`.
    public static func delegationDesignator(to target: Address) -> [UInt8] {
        [0xef, 0x01, 0x00] + target.bytes
    }
}
