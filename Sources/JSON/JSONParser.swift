/// JSON text that could not be parsed, with the byte offset where the problem was found.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The byte offset into the input where parsing stopped.
    public let offset: Int
    /// What was wrong there.
    public let message: String

    /// The message, for logs and string interpolation.

    /// The message with the byte offset, e.g. `invalid JSON at byte 6: invalid literal, expected true`.
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

extension JSONValue {
    /// Parses one JSON value (RFC 8259) from UTF-8 bytes, strictly: no trailing commas, comments, leading zeros,
    /// single quotes, unescaped control characters, lone surrogates, invalid UTF-8, duplicate object keys or
    /// trailing data; nesting deeper than `JSONValue.maximumDepth` is rejected rather than overflowing the stack.
    /// - Throws: `JSONParseError` with the byte offset and what was expected there.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        self = try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            var parser = JSONParser(buffer)
            return try parser.parseDocument()
        }
    }

    /// Parses one JSON value from a string.
    /// - Throws: `JSONParseError` with the byte offset (in UTF-8) and what was expected there.
    public init(parsing text: String) throws(JSONParseError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The deepest nesting of arrays and objects the parser accepts; deeper input is an error, not a crash.
    public static let maximumDepth = 512
}

/// A recursive-descent parser over a byte buffer that is only valid during one `JSONValue(parsing:)` call.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else {
            throw error("unexpected \(describeByte(at: index)) after the JSON value")
        }
        return value
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected \(describeByte(at: index)), expected a value")
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1  // "{"
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describeByte(at: index)), expected a string key")
            }
            let keyOffset = index
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("unexpected \(describeByte(at: index)), expected ':' after object key")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            // Duplicate keys make the meaning depend on the parser; reject them instead of picking one.
            guard members.updateValue(value, forKey: key) == nil else {
                throw JSONParseError(offset: keyOffset, message: "duplicate object key \"\(key)\"")
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input, expected ',' or '}' in object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(members)
            } else {
                throw error("unexpected \(describeByte(at: index)), expected ',' or '}' in object")
            }
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1  // "["
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input, expected ',' or ']' in array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(elements)
            } else {
                throw error("unexpected \(describeByte(at: index)), expected ',' or ']' in array")
            }
        }
    }

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        guard depth <= JSONValue.maximumDepth else {
            throw error("arrays and objects nested more than \(JSONValue.maximumDepth) levels deep")
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        guard let end = JSONNumber.scan(bytes, from: start) else {
            // Find where the grammar broke for the message: first byte after the longest valid-looking prefix.
            var bad = start
            if bad < bytes.count && bytes[bad] == UInt8(ascii: "-") { bad += 1 }
            while bad < bytes.count && (bytes[bad] >= UInt8(ascii: "0") && bytes[bad] <= UInt8(ascii: "9")
                || bytes[bad] == UInt8(ascii: ".") || bytes[bad] == UInt8(ascii: "e") || bytes[bad] == UInt8(ascii: "E")
                || bytes[bad] == UInt8(ascii: "+") || bytes[bad] == UInt8(ascii: "-")) {
                bad += 1
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<bad]), as: UTF8.self)
            throw JSONParseError(offset: start, message: "invalid number \"\(text)\"")
        }
        // A leading zero followed by more digits ("012") stops the grammar early; report it rather than
        // a confusing "unexpected '1' after the JSON value".
        if end < bytes.count && bytes[end] >= UInt8(ascii: "0") && bytes[end] <= UInt8(ascii: "9") {
            throw JSONParseError(offset: start, message: "invalid number: leading zeros are not allowed")
        }
        index = end
        return JSONNumber(validatedText: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let open = index
        index += 1  // opening quote
        let contentStart = index
        // Fast path: no escapes, so the content is the bytes themselves (UTF-8 still validated unless all ASCII).
        var highBits: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeBufferPointer(rebasing: bytes[contentStart..<index])
                index += 1
                // Hex strings and keys are ASCII, and ASCII needs no validation (the generic validator is slow).
                if highBits < 0x80 { return String(decoding: content, as: UTF8.self) }
                return try decodeUTF8(content, at: contentStart)
            }
            highBits |= byte
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("unescaped control character \(describeByte(at: index)) in string") }
            index += 1
        }
        guard index < bytes.count else {
            throw JSONParseError(offset: open, message: "unterminated string")
        }
        // Slow path: copy, decoding escapes.
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[contentStart..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return try utf8.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> String in
                    try decodeUTF8(buffer, at: contentStart)
                }
            }
            if byte < 0x20 { throw error("unescaped control character \(describeByte(at: index)) in string") }
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                index += 1
                continue
            }
            let escapeOffset = index
            index += 1
            guard index < bytes.count else { break }
            switch bytes[index] {
            case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0c)
            case UInt8(ascii: "n"): utf8.append(0x0a)
            case UInt8(ascii: "r"): utf8.append(0x0d)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                index += 1
                var scalar = try parseHex4()
                if scalar >= 0xd800 && scalar < 0xdc00 {
                    // UTF-16 high surrogate: must be followed by an escaped low surrogate.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                          bytes[index + 1] == UInt8(ascii: "u") else {
                        throw JSONParseError(offset: escapeOffset, message: "unpaired UTF-16 surrogate in string escape")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard low >= 0xdc00 && low < 0xe000 else {
                        throw JSONParseError(offset: escapeOffset, message: "unpaired UTF-16 surrogate in string escape")
                    }
                    scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                } else if scalar >= 0xdc00 && scalar < 0xe000 {
                    throw JSONParseError(offset: escapeOffset, message: "unpaired UTF-16 surrogate in string escape")
                }
                // Not a surrogate after the checks above, so this always succeeds.
                guard let unicodeScalar = Unicode.Scalar(scalar) else {
                    throw JSONParseError(offset: escapeOffset, message: "invalid Unicode escape")
                }
                UTF8.encode(unicodeScalar) { utf8.append($0) }
                continue  // parseHex4 already moved past the digits
            default:
                throw error("invalid escape \\\(describeByte(at: index)) in string")
            }
            index += 1
        }
        throw JSONParseError(offset: open, message: "unterminated string")
    }

    /// Reads four hex digits of a `\u` escape.
    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end of input in \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit \(describeByte(at: index)) in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private func decodeUTF8(_ content: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONParseError) -> String {
        guard let string = String(validating: content, as: UTF8.self) else {
            throw JSONParseError(offset: offset, message: "string is not valid UTF-8")
        }
        return string
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let matches = index + count <= bytes.count && literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal, expected \(literal)") }
        index += count
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    private func error(_ message: String) -> JSONParseError {
        JSONParseError(offset: index, message: message)
    }

    /// A byte named for an error message: a quoted printable character, else its hex value.
    private func describeByte(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let byte = bytes[offset]
        if byte >= 0x20 && byte < 0x7f { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }
}
