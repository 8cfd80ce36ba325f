/// Keccak-256 as Ethereum uses it: the original Keccak padding (`0x01 … 0x80`), not SHA3-256's (`0x06`).
///
/// The permutation lives in `KeccakF1600.swift`, generated fully unrolled over local lanes so that the state stays in
/// registers (an array-based loop is about 15 times slower in Swift).
public enum Keccak256 {
    /// The sponge rate in bytes: 1600 - 2 × 256 bits.
    public static let rate = 136

    /// The Keccak-256 digest of a byte buffer.
    @inlinable
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> Hash {
        var hasher = Hasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// The Keccak-256 digest of bytes.
    @inlinable
    public static func hash(_ bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The Keccak-256 digest of any byte collection.
    @inlinable
    public static func hash<C: Collection<UInt8>>(_ bytes: C) -> Hash {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { hash($0) }
    }

    /// The Keccak-256 digest as 32 bytes.
    @inlinable
    public static func digest<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
        hash(bytes).bytes
    }

    /// The Keccak-256 digest of a byte buffer as 32 bytes.
    @inlinable
    public static func digest(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        hash(buffer).bytes
    }

    /// An incremental Keccak-256: feed bytes with `update`, then `finalize` once.
    ///
    /// The state is a fixed 25-lane array held inline, so hashing allocates nothing.
    @frozen
    public struct Hasher {
        @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                      UInt64, UInt64, UInt64, UInt64, UInt64)
        /// Bytes absorbed into the current (partial) block.
        @usableFromInline var partial: Int

        /// Creates a hasher with the empty state.
        @inlinable
        public init() {
            state = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            partial = 0
        }

        /// Absorbs bytes.
        @inlinable
        public mutating func update(_ buffer: UnsafeRawBufferPointer) {
            guard var input = buffer.baseAddress, buffer.count > 0 else { return }
            var remaining = buffer.count
            withUnsafeMutablePointer(to: &state) { tuple in
                tuple.withMemoryRebound(to: UInt64.self, capacity: 25) { lanes in
                    let bytes = UnsafeMutableRawPointer(lanes)
                    // Finish a partial block byte by byte (lanes are little-endian on every platform we run on).
                    while partial != 0 && remaining > 0 {
                        bytes.storeBytes(of: bytes.load(fromByteOffset: partial, as: UInt8.self) ^ input.load(as: UInt8.self),
                                         toByteOffset: partial, as: UInt8.self)
                        partial += 1
                        input += 1
                        remaining -= 1
                        if partial == Keccak256.rate {
                            Keccak256.permute(lanes)
                            partial = 0
                        }
                    }
                    // Whole blocks: 17 little-endian lanes each.
                    while remaining >= Keccak256.rate {
                        for i in 0..<17 {
                            lanes[i] ^= UInt64(littleEndian: input.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                        }
                        Keccak256.permute(lanes)
                        input += Keccak256.rate
                        remaining -= Keccak256.rate
                    }
                    // The tail starts a new partial block: whole lanes first, then single bytes.
                    guard remaining > 0 else { return }
                    var i = 0
                    while i + 8 <= remaining {
                        lanes[i >> 3] ^= UInt64(littleEndian: input.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                        i += 8
                    }
                    while i < remaining {
                        bytes.storeBytes(of: bytes.load(fromByteOffset: i, as: UInt8.self) ^ input.load(fromByteOffset: i, as: UInt8.self),
                                         toByteOffset: i, as: UInt8.self)
                        i += 1
                    }
                    partial = remaining
                }
            }
        }

        /// Absorbs bytes.
        @inlinable
        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// Pads, permutes and returns the digest. The hasher must not be used afterwards.
        @inlinable
        public mutating func finalize() -> Hash {
            withUnsafeMutablePointer(to: &state) { tuple in
                tuple.withMemoryRebound(to: UInt64.self, capacity: 25) { lanes in
                    let bytes = UnsafeMutableRawPointer(lanes)
                    bytes.storeBytes(of: bytes.load(fromByteOffset: partial, as: UInt8.self) ^ 0x01,
                                     toByteOffset: partial, as: UInt8.self)
                    bytes.storeBytes(of: bytes.load(fromByteOffset: Keccak256.rate - 1, as: UInt8.self) ^ 0x80,
                                     toByteOffset: Keccak256.rate - 1, as: UInt8.self)
                    Keccak256.permute(lanes)
                    return Hash(loading: UnsafeRawPointer(lanes))
                }
            }
        }
    }
}
