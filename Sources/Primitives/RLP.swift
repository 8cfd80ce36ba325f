/// Malformed RLP, with the reason and the byte offset where decoding stopped.
public struct RLPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of the error.
    public struct Code: Hashable, Sendable {
        let raw: UInt8
        /// The input ends before the item it announces.
        public static let truncated = Code(raw: 0)
        /// A length is encoded in more bytes than needed, or a long form is used for a short length.
        public static let nonCanonicalLength = Code(raw: 1)
        /// A single byte below 0x80 is wrapped as a one-byte string (it must encode as itself).
        public static let nonCanonicalSingleByte = Code(raw: 2)
        /// Bytes remain after the top-level item, or after the last item of a list.
        public static let trailingBytes = Code(raw: 3)
        /// A list was found where a string was expected.
        public static let expectedString = Code(raw: 4)
        /// A string was found where a list was expected.
        public static let expectedList = Code(raw: 5)
        /// An integer has leading zero bytes or is too large for its type.
        public static let invalidInteger = Code(raw: 6)
        /// A fixed-size value (address, hash) has the wrong length.
        public static let wrongLength = Code(raw: 7)
        /// The input is empty.
        public static let empty = Code(raw: 8)
    }

    /// The category of the error.
    public let code: Code
    /// Byte offset in the input where the problem was found.
    public let offset: Int
    /// What was wrong.
    public let message: String

    public var description: String { "invalid RLP at byte \(offset): \(message)" }
}

// MARK: - Encoding

/// Appends RLP items to a byte buffer.
///
/// Lists are written in place: the payload is appended first and its header inserted in front, so nested lists
/// need no intermediate arrays.
public struct RLPEncoder: Sendable {
    /// The encoded bytes so far.
    public var bytes: [UInt8]

    /// Creates an empty encoder.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends a byte string.
    public mutating func append<C: Collection<UInt8>>(bytes value: C) {
        if value.count == 1, let first = value.first, first < 0x80 {
            bytes.append(first)
            return
        }
        appendHeader(offset: 0x80, length: value.count)
        bytes.append(contentsOf: value)
    }

    /// Appends an unsigned integer as its minimal big-endian bytes (zero is the empty string).
    public mutating func append(_ value: UInt64) {
        if value == 0 {
            bytes.append(0x80)
        } else if value < 0x80 {
            bytes.append(UInt8(value))
        } else {
            let length = (64 - value.leadingZeroBitCount + 7) / 8
            bytes.append(0x80 + UInt8(length))
            for i in stride(from: length - 1, through: 0, by: -1) {
                bytes.append(UInt8(truncatingIfNeeded: value >> (UInt64(i) * 8)))
            }
        }
    }

    /// Appends a 256-bit unsigned integer as its minimal big-endian bytes.
    public mutating func append(_ value: U256) {
        append(bytes: value.minimalBigEndianBytes)
    }

    /// Appends a 20-byte address.
    public mutating func append(_ value: Address) {
        bytes.append(0x80 + 20)
        bytes.append(contentsOf: value.bytes)
    }

    /// Appends a 32-byte hash.
    public mutating func append(_ value: Hash) {
        bytes.append(0x80 + 32)
        value.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Appends an already-encoded RLP item verbatim.
    public mutating func append(encoded: some Collection<UInt8>) {
        bytes.append(contentsOf: encoded)
    }

    /// Appends a list whose items `body` appends.
    public mutating func appendList(_ body: (inout RLPEncoder) throws -> Void) rethrows {
        let start = bytes.count
        try body(&self)
        let length = bytes.count - start
        var header: [UInt8] = []
        RLPEncoder.writeHeader(into: &header, offset: 0xc0, length: length)
        bytes.insert(contentsOf: header, at: start)
    }

    mutating func appendHeader(offset: UInt8, length: Int) {
        RLPEncoder.writeHeader(into: &bytes, offset: offset, length: length)
    }

    static func writeHeader(into out: inout [UInt8], offset: UInt8, length: Int) {
        if length < 56 {
            out.append(offset + UInt8(length))
        } else {
            let lengthBytes = (64 - UInt64(length).leadingZeroBitCount + 7) / 8
            out.append(offset + 55 + UInt8(lengthBytes))
            for i in stride(from: lengthBytes - 1, through: 0, by: -1) {
                out.append(UInt8(truncatingIfNeeded: length >> (i * 8)))
            }
        }
    }
}

/// A decoded RLP item tree, for generic inspection (tests, tools). Hot paths use `RLPReader` directly.
public indirect enum RLPItem: Hashable, Sendable {
    /// A byte string.
    case bytes([UInt8])
    /// A list of items.
    case list([RLPItem])

    /// The canonical encoding of the item.
    public var encoded: [UInt8] {
        var encoder = RLPEncoder()
        encode(into: &encoder)
        return encoder.bytes
    }

    func encode(into encoder: inout RLPEncoder) {
        switch self {
        case .bytes(let b): encoder.append(bytes: b)
        case .list(let items): encoder.appendList { list in for item in items { item.encode(into: &list) } }
        }
    }

    /// Strictly decodes exactly one item spanning all of `input`.
    /// - Throws: `RLPError` for any non-canonical or truncated encoding, or trailing bytes.
    public static func decode(_ input: [UInt8]) throws(RLPError) -> RLPItem {
        var reader = RLPReader(input)
        let item = try reader.readItem()
        try reader.finish()
        return item
    }
}

// MARK: - Decoding

/// A strict, zero-copy RLP cursor over a byte array.
///
/// `readList()` returns a reader confined to the list payload; call `finish()` on it to reject trailing items.
public struct RLPReader: Sendable {
    /// The whole input (shared, not copied).
    public let input: [UInt8]
    /// Current position.
    public private(set) var position: Int
    /// End of the region this reader may read (exclusive).
    public let end: Int

    /// A reader over all of `input`.
    public init(_ input: [UInt8]) {
        self.input = input
        self.position = 0
        self.end = input.count
    }

    init(input: [UInt8], position: Int, end: Int) {
        self.input = input
        self.position = position
        self.end = end
    }

    /// Whether any bytes remain in this reader's region.
    public var hasMore: Bool { position < end }

    /// Throws unless the region is fully consumed.
    public func finish() throws(RLPError) {
        if position != end {
            throw RLPError(code: .trailingBytes, offset: position,
                           message: "\(end - position) unexpected trailing bytes")
        }
    }

    /// The header of the next item: whether it is a list, where its payload starts and how long it is.
    public func peekHeader() throws(RLPError) -> (isList: Bool, payloadStart: Int, payloadLength: Int) {
        guard position < end else {
            throw RLPError(code: position == 0 && end == 0 ? .empty : .truncated, offset: position,
                           message: position == 0 && end == 0 ? "empty input" : "expected an item, found end of input")
        }
        let prefix = input[position]
        switch prefix {
        case 0x00...0x7f:
            return (false, position, 1)
        case 0x80...0xb7:
            let length = Int(prefix - 0x80)
            let start = position + 1
            if length == 1 {
                guard start < end else { throw truncated(at: start, need: 1) }
                if input[start] < 0x80 {
                    throw RLPError(code: .nonCanonicalSingleByte, offset: position,
                                   message: "single byte 0x\(String(input[start], radix: 16)) must not be wrapped as a string")
                }
            }
            guard end - start >= length else { throw truncated(at: start, need: length) }
            return (false, start, length)
        case 0xb8...0xbf:
            let (start, length) = try readLongLength(lengthOfLength: Int(prefix - 0xb7))
            return (false, start, length)
        case 0xc0...0xf7:
            let length = Int(prefix - 0xc0)
            let start = position + 1
            guard end - start >= length else { throw truncated(at: start, need: length) }
            return (true, start, length)
        default:
            let (start, length) = try readLongLength(lengthOfLength: Int(prefix - 0xf7))
            return (true, start, length)
        }
    }

    private func readLongLength(lengthOfLength: Int) throws(RLPError) -> (Int, Int) {
        let lengthStart = position + 1
        guard end - lengthStart >= lengthOfLength else { throw truncated(at: lengthStart, need: lengthOfLength) }
        if input[lengthStart] == 0 {
            throw RLPError(code: .nonCanonicalLength, offset: lengthStart, message: "length has a leading zero byte")
        }
        if lengthOfLength > 7 {
            throw RLPError(code: .truncated, offset: lengthStart, message: "length of \(lengthOfLength) bytes exceeds any input")
        }
        var length = 0
        for i in 0..<lengthOfLength { length = length << 8 | Int(input[lengthStart + i]) }
        if length < 56 {
            throw RLPError(code: .nonCanonicalLength, offset: position,
                           message: "long form used for a length of \(length) (below 56)")
        }
        let start = lengthStart + lengthOfLength
        guard end - start >= length else { throw truncated(at: start, need: length) }
        return (start, length)
    }

    private func truncated(at offset: Int, need: Int) -> RLPError {
        RLPError(code: .truncated, offset: offset,
                 message: "item needs \(need) bytes but only \(max(0, end - offset)) remain")
    }

    /// Reads the next item as a byte string.
    public mutating func readBytes() throws(RLPError) -> ArraySlice<UInt8> {
        let header = try peekHeader()
        if header.isList {
            throw RLPError(code: .expectedString, offset: position, message: "expected a byte string, found a list")
        }
        position = header.payloadStart + header.payloadLength
        return input[header.payloadStart..<position]
    }

    /// Reads the next item as a list and returns a reader over its payload.
    public mutating func readList() throws(RLPError) -> RLPReader {
        let header = try peekHeader()
        if !header.isList {
            throw RLPError(code: .expectedList, offset: position, message: "expected a list, found a byte string")
        }
        position = header.payloadStart + header.payloadLength
        return RLPReader(input: input, position: header.payloadStart, end: position)
    }

    /// Reads the next item, whatever it is, as its raw encoding (header included).
    public mutating func readEncoded() throws(RLPError) -> ArraySlice<UInt8> {
        let start = position
        let header = try peekHeader()
        position = header.payloadStart + header.payloadLength
        return input[start..<position]
    }

    /// Reads the next item as a tree.
    public mutating func readItem() throws(RLPError) -> RLPItem {
        let header = try peekHeader()
        if header.isList {
            var inner = try readList()
            var items: [RLPItem] = []
            while inner.hasMore { items.append(try inner.readItem()) }
            return .list(items)
        }
        return .bytes(Array(try readBytes()))
    }

    /// Reads a canonical unsigned integer of at most 64 bits (no leading zeros).
    public mutating func readUInt64(_ field: String = "integer") throws(RLPError) -> UInt64 {
        let start = position
        let bytes = try readBytes()
        if bytes.count > 8 {
            throw RLPError(code: .invalidInteger, offset: start, message: "\(field) is \(bytes.count) bytes, more than 64 bits")
        }
        if let first = bytes.first, first == 0 {
            throw RLPError(code: .invalidInteger, offset: start, message: "\(field) has a leading zero byte")
        }
        var value: UInt64 = 0
        for b in bytes { value = value << 8 | UInt64(b) }
        return value
    }

    /// Reads a canonical unsigned integer of at most 256 bits (no leading zeros).
    public mutating func readU256(_ field: String = "integer") throws(RLPError) -> U256 {
        let start = position
        let bytes = try readBytes()
        if bytes.count > 32 {
            throw RLPError(code: .invalidInteger, offset: start, message: "\(field) is \(bytes.count) bytes, more than 256 bits")
        }
        if let first = bytes.first, first == 0 {
            throw RLPError(code: .invalidInteger, offset: start, message: "\(field) has a leading zero byte")
        }
        return U256(bigEndianBytes: bytes)!
    }

    /// Reads a 20-byte address.
    public mutating func readAddress(_ field: String = "address") throws(RLPError) -> Address {
        let start = position
        let bytes = try readBytes()
        guard let address = Address(bytes: bytes) else {
            throw RLPError(code: .wrongLength, offset: start, message: "\(field) is \(bytes.count) bytes, expected 20")
        }
        return address
    }

    /// Reads a 32-byte hash.
    public mutating func readHash(_ field: String = "hash") throws(RLPError) -> Hash {
        let start = position
        let bytes = try readBytes()
        guard let hash = Hash(bytes: bytes) else {
            throw RLPError(code: .wrongLength, offset: start, message: "\(field) is \(bytes.count) bytes, expected 32")
        }
        return hash
    }
}
