/// A JSON number kept as its exact text, so that integers wider than 64 bits and decimals survive a round trip
/// (a `Double` would silently round `2^64 + 1` or a wei amount).
///
/// Two numbers are equal when their text is equal: `1`, `1.0` and `1e0` are different values here.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number as it is written in JSON (RFC 8259 §6 grammar, validated).
    public let text: String

    /// Validates `text` against the JSON number grammar; returns `nil` if it is not a JSON number.
    public init?(text: String) {
        let utf8 = Array(text.utf8)
        let valid = utf8.withUnsafeBufferPointer { JSONNumber.scan($0, from: 0) == $0.count }
        guard valid else { return nil }
        self.text = text
    }

    /// Wraps text already checked by the parser.
    init(validatedText: String) {
        self.text = validatedText
    }

    /// A number holding a signed integer.
    public init(_ value: Int) { self.text = String(value) }

    /// A number holding an unsigned 64-bit integer.
    public init(_ value: UInt64) { self.text = String(value) }

    /// A number holding a finite `Double`, written in Swift's shortest round-tripping form;
    /// `nil` for NaN and infinities, which JSON cannot represent.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        // Swift prints integral doubles as "5.0" and large ones as "1e+20": both are valid JSON.
        self.text = "\(value)"
    }

    /// The message, for logs and string interpolation.

    /// The number's JSON text.
    public var description: String { text }

    /// The value as an `Int`, or `nil` if it has a fraction or exponent or does not fit.
    public var intValue: Int? { Int(text) }

    /// The value as a `UInt64`, or `nil` if it is negative, has a fraction or exponent, or does not fit.
    public var uint64Value: UInt64? { UInt64(text) }

    /// The value as the nearest `Double` (precision may be lost for long integers).
    public var doubleValue: Double? { Double(text) }

    /// Scans a JSON number starting at `start`; returns the index just past it, or `nil` if none starts there.
    /// Grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        let end = bytes.count
        func isDigit(_ i: Int) -> Bool { i < end && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
        if index < end && bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1  // no leading zeros: "012" is not JSON
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { return nil }
            while isDigit(index) { index += 1 }
        }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard isDigit(index) else { return nil }
            while isDigit(index) { index += 1 }
        }
        return index
    }
}
