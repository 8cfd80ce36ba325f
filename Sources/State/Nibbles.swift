/// Nibble (half-byte) paths, as the trie walks keys, and the hex-prefix encoding that stores them in leaf and
/// extension nodes (Yellow Paper, appendix C).
enum Nibbles {
    /// The nibbles of `bytes`, high half first: one array element per nibble.
    static func of(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            nibbles.append(byte >> 4)
            nibbles.append(byte & 0x0f)
        }
        return nibbles
    }

    /// Packs an even number of nibbles back into bytes (the keys a byte-keyed trie stores are always whole bytes).
    static func packed(_ nibbles: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(nibbles.count / 2)
        var index = 0
        while index + 1 < nibbles.count {
            bytes.append(nibbles[index] << 4 | nibbles[index + 1])
            index += 2
        }
        return bytes
    }

    /// The length in bytes of the hex-prefix encoding of a path of `nibbleCount` nibbles.
    @inline(__always)
    static func hexPrefixLength(nibbleCount: Int) -> Int {
        nibbleCount / 2 + 1
    }

    /// Appends the hex-prefix encoding of `path`: a flag nibble (2 for a leaf, plus 1 for an odd length), a padding
    /// nibble when the length is even, then the path nibbles packed two per byte.
    @inline(__always)
    static func appendHexPrefix(_ path: [UInt8], isLeaf: Bool, to output: inout [UInt8]) {
        let flag: UInt8 = isLeaf ? 0x20 : 0x00
        var index = 0
        if path.count & 1 == 1 {
            output.append(flag | 0x10 | path[0])
            index = 1
        } else {
            output.append(flag)
        }
        while index < path.count {
            output.append(path[index] << 4 | path[index + 1])
            index += 2
        }
    }

    /// Decodes a hex-prefix encoded path; `nil` when the flag nibble is not one of the four defined values or an
    /// even-length path has a non-zero padding nibble.
    static func decodeHexPrefix(_ encoded: [UInt8]) -> (path: [UInt8], isLeaf: Bool)? {
        guard let first = encoded.first else { return nil }
        let flag = first >> 4
        guard flag <= 3 else { return nil }
        let isLeaf = flag & 2 != 0
        var path: [UInt8] = []
        path.reserveCapacity(encoded.count * 2)
        if flag & 1 == 1 {
            path.append(first & 0x0f)
        } else if first & 0x0f != 0 {
            return nil
        }
        for byte in encoded.dropFirst() {
            path.append(byte >> 4)
            path.append(byte & 0x0f)
        }
        return (path, isLeaf)
    }
}

/// A read-only view of a byte key as nibbles, so lookups walk the key without building a nibble array.
struct KeyNibbles {
    /// The key bytes.
    let bytes: [UInt8]

    /// Number of nibbles: two per byte.
    @inline(__always)
    var count: Int { bytes.count &* 2 }

    /// The nibble at `index`: the high half of byte `index / 2` for even indices, the low half for odd ones.
    @inline(__always)
    subscript(index: Int) -> UInt8 {
        let byte = bytes[index >> 1]
        return index & 1 == 0 ? byte >> 4 : byte & 0x0f
    }

    /// The nibbles from `start` to the end, as a stored path.
    func suffix(from start: Int) -> [UInt8] {
        var path: [UInt8] = []
        path.reserveCapacity(count - start)
        var index = start
        while index < count {
            path.append(self[index])
            index += 1
        }
        return path
    }

    /// The nibbles in `start..<end`, as a stored path.
    func slice(_ start: Int, _ end: Int) -> [UInt8] {
        var path: [UInt8] = []
        path.reserveCapacity(end - start)
        var index = start
        while index < end {
            path.append(self[index])
            index += 1
        }
        return path
    }

    /// How many nibbles of `path` match the key from `start` on (stopping at the end of either).
    @inline(__always)
    func commonPrefixLength(with path: [UInt8], from start: Int) -> Int {
        let limit = min(path.count, count - start)
        var matched = 0
        while matched < limit && path[matched] == self[start + matched] {
            matched += 1
        }
        return matched
    }
}
