/// A hex string that could not be parsed, with the reason.
public struct HexError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the input, as a category that callers can match on.
    public struct Code: Hashable, Sendable {
        let raw: UInt8
        /// The string does not start with `0x`.
        public static let missingPrefix = Code(raw: 0)
        /// The number of hex digits is odd.
        public static let oddLength = Code(raw: 1)
        /// A character is not a hex digit.
        public static let invalidCharacter = Code(raw: 2)
        /// The decoded value has the wrong number of bytes.
        public static let wrongLength = Code(raw: 3)
    }

    /// The category of the error.
    public let code: Code
    /// A message that says what was wrong and where.
    public let message: String

    public var description: String { message }
}

/// Hexadecimal encoding and strict decoding of byte strings.
public enum Hex {
    /// Decodes a `0x`-prefixed hex string into bytes.
    ///
    /// - Parameters:
    ///   - string: the text; upper and lower case digits are accepted.
    ///   - requirePrefix: when `false`, a missing `0x` is accepted (for fixtures and user input that omit it).
    /// - Throws: `HexError` naming the first problem: missing prefix, odd length or the offending character.
    public static func decode(_ string: String, requirePrefix: Bool = true) throws(HexError) -> [UInt8] {
        // The string's own UTF-8 buffer, read in place (a JSON-RPC answer of trie nodes is hundreds of kilobytes of
        // hex: copying each string into an array first, then decoding it digit by digit, showed in profiles).
        var text = string
        let decoded: Result<[UInt8], HexError> = text.withUTF8 { utf8 in decode(utf8: utf8, requirePrefix: requirePrefix) }
        switch decoded {
        case .success(let bytes): return bytes
        case .failure(let error):
            // The message names the string, which only the failure needs.
            throw HexError(code: error.code, message: error.message.split(separator: "\u{0}", omittingEmptySubsequences: false)
                .joined(separator: Self.excerpt(string)))
        }
    }

    /// `decode` on UTF-8 bytes; the messages hold a NUL where the string's excerpt goes.
    static func decode(utf8: UnsafeBufferPointer<UInt8>, requirePrefix: Bool) -> Result<[UInt8], HexError> {
        var start = 0
        if utf8.count >= 2 && utf8[0] == UInt8(ascii: "0") && (utf8[1] == UInt8(ascii: "x") || utf8[1] == UInt8(ascii: "X")) {
            start = 2
        } else if requirePrefix {
            return .failure(HexError(code: .missingPrefix, message: "hex string \u{0} does not start with 0x"))
        }
        let digits = utf8.count - start
        if digits % 2 != 0 {
            return .failure(HexError(code: .oddLength, message: "hex string \u{0} has an odd number of digits (\(digits))"))
        }
        var bad = -1
        let out = nibbles.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: digits / 2) { buffer, initialized in
            var i = start
            var o = 0
            while i < utf8.count {
                let hi = table[Int(utf8[i])]
                let lo = table[Int(utf8[i + 1])]
                if hi | lo > 0x0f {
                    bad = hi > 0x0f ? i : i + 1
                    break
                }
                buffer[o] = hi << 4 | lo
                i += 2
                o += 1
            }
            initialized = o
            }
        }
        guard bad < 0 else {
            let character = Character(Unicode.Scalar(utf8[bad]))
            return .failure(HexError(code: .invalidCharacter,
                                     message: "hex string \u{0} has an invalid character '\(character)' at position \(bad)"))
        }
        return .success(out)
    }

    /// Each byte's value as a hex digit, 0xff where it is not one.
    static let nibbles: [UInt8] = (0...255).map { nibble(UInt8($0)) ?? 0xff }

    /// Decodes a hex string that must hold exactly `count` bytes.
    /// - Throws: `HexError` if the string is malformed or has the wrong length.
    public static func decode(_ string: String, count: Int, requirePrefix: Bool = true) throws(HexError) -> [UInt8] {
        let bytes = try decode(string, requirePrefix: requirePrefix)
        guard bytes.count == count else {
            throw HexError(code: .wrongLength,
                           message: "hex string \(Self.excerpt(string)) holds \(bytes.count) bytes, expected \(count)")
        }
        return bytes
    }

    /// Encodes bytes as lower-case hex, with a `0x` prefix unless `prefix` is `false`.
    public static func encode<S: Sequence<UInt8>>(_ bytes: S, prefix: Bool = true) -> String {
        if let string = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0, prefix: prefix) }) { return string }
        var out: [UInt8] = prefix ? [UInt8(ascii: "0"), UInt8(ascii: "x")] : []
        out.reserveCapacity(out.count + bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Contiguous bytes written straight into the string's storage (a JSON-RPC answer of trie nodes is hundreds of
    /// kilobytes of hex; appending byte by byte to an array, then copying it into a string, showed in profiles).
    static func encode(buffer: UnsafeBufferPointer<UInt8>, prefix: Bool) -> String {
        let count = buffer.count * 2 + (prefix ? 2 : 0)
        let digits = ("0123456789abcdef" as StaticString).utf8Start
        return String(unsafeUninitializedCapacity: count) { out in
            var index = 0
            if prefix {
                out[0] = UInt8(ascii: "0")
                out[1] = UInt8(ascii: "x")
                index = 2
            }
            for byte in buffer {
                out[index] = digits[Int(byte >> 4)]
                out[index + 1] = digits[Int(byte & 0x0f)]
                index += 2
            }
            return count
        }
    }

    @usableFromInline
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    /// A short quote of user input for error messages (long inputs are cut).
    static func excerpt(_ string: String) -> String {
        string.count <= 24 ? "\"\(string)\"" : "\"\(string.prefix(20))…\" (\(string.count) characters)"
    }
}

extension Array where Element == UInt8 {
    /// The bytes as `0x`-prefixed lower-case hex.
    public var hexString: String { Hex.encode(self) }
}

extension ArraySlice where Element == UInt8 {
    /// The bytes as `0x`-prefixed lower-case hex.
    public var hexString: String { Hex.encode(self) }
}
