#if canImport(Glibc)
import Glibc
#endif

/// Bytes as a dictionary or set key, hashed in one pass. `[UInt8]`'s own `hash(into:)` feeds the hasher one byte at a
/// time (about a microsecond for a 532-byte trie node), which showed in every place that deduplicates trie nodes.
public struct ByteKey: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: ByteKey, rhs: ByteKey) -> Bool {
        lhs.bytes.count == rhs.bytes.count && lhs.bytes.withUnsafeBytes { left in
            rhs.bytes.withUnsafeBytes { right in left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 }
        }
    }
}

extension Array where Element == [UInt8] {
    /// The byte strings in order, each only the first time it appears (trie nodes shared by several proofs).
    public func removingDuplicates() -> [[UInt8]] {
        var seen = Set<ByteKey>(minimumCapacity: count)
        return filter { seen.insert(ByteKey($0)).inserted }
    }
}
