import EVM
import Primitives

/// A 2048-bit logs bloom filter (Yellow Paper, section 4.3.1): each log's address and topics set three bits each.
public struct Bloom: Hashable, Sendable, CustomStringConvertible {
    /// The 256 bytes, most significant byte first (as in the header).
    public private(set) var bytes: [UInt8]

    /// The empty bloom (no bits set).
    public static let empty = Bloom()

    /// An empty bloom.
    public init() {
        self.bytes = [UInt8](repeating: 0, count: 256)
    }

    /// A bloom from its 256 bytes; `nil` for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 256 else { return nil }
        self.bytes = Array(bytes)
    }

    /// The bloom of a list of logs.
    public init(logs: some Sequence<Log>) {
        self.init()
        for log in logs { self.add(log) }
    }

    /// Adds a log: its address and every topic.
    public mutating func add(_ log: Log) {
        self.add(entry: log.address.bytes)
        for topic in log.topics { self.add(entry: topic.bytes) }
    }

    /// Adds one entry: the low 11 bits of each of the first three byte pairs of its keccak256 select a bit.
    public mutating func add(entry: [UInt8]) {
        let hash = Keccak256.hash(entry).bytes
        for i in stride(from: 0, to: 6, by: 2) {
            let bit = (Int(hash[i]) << 8 | Int(hash[i + 1])) & 2047
            self.bytes[255 - bit / 8] |= UInt8(1) << (bit % 8)
        }
    }

    /// Merges another bloom into this one (bitwise or).
    public mutating func formUnion(_ other: Bloom) {
        for i in 0..<256 { self.bytes[i] |= other.bytes[i] }
    }

    /// Whether every bit of `other` is set here.
    public func contains(_ other: Bloom) -> Bool {
        for i in 0..<256 where self.bytes[i] & other.bytes[i] != other.bytes[i] { return false }
        return true
    }

    /// Whether the entry may be in the set (false positives possible, false negatives not).
    public func mayContain(entry: [UInt8]) -> Bool {
        var probe = Bloom()
        probe.add(entry: entry)
        return self.contains(probe)
    }

    /// Whether the address may have logged into the set.
    public func mayContain(address: Address) -> Bool { self.mayContain(entry: address.bytes) }

    /// Whether the topic may be in the set.
    public func mayContain(topic: Hash) -> Bool { self.mayContain(entry: topic.bytes) }

    public var description: String { Hex.encode(self.bytes) }
}
