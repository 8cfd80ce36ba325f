import Primitives

// Ethereum JSON-RPC encodes integers as "quantities" (`0x`-prefixed hex without leading zeros, `0x0` for zero)
// and byte strings as "data" (`0x`-prefixed hex with two digits per byte): see the execution-apis spec.

extension JSONValue {
    /// A quantity value: `value` as minimal `0x` hex.
    public static func quantity(_ value: U256) -> JSONValue { .string(value.hexString) }

    /// A quantity value: `value` as minimal `0x` hex.
    public static func quantity(_ value: UInt64) -> JSONValue { .string("0x" + String(value, radix: 16)) }

    /// A data value: `bytes` as `0x` hex, two digits per byte (`0x` for none).
    public static func data(_ bytes: [UInt8]) -> JSONValue { .string(Hex.encode(bytes)) }

    /// The quantity as a `U256`, or `nil` if the value is not a `0x` hex string below 2^256.
    public var quantityValue: U256? { try? decodeQuantity() }

    /// The quantity as a `UInt64`, or `nil` if the value is not a `0x` hex string below 2^64.
    public var uint64QuantityValue: UInt64? { try? decodeUInt64Quantity() }

    /// The bytes of a data value, or `nil` if the value is not an even-length `0x` hex string.
    public var dataValue: [UInt8]? { try? decodeData() }

    /// Decodes a quantity. Leading zeros are accepted, as some nodes send them.
    /// - Throws: `JSONValueError` if the value is not a string, lacks `0x`, has a non-hex digit or is 2^256 or more.
    public func decodeQuantity() throws(JSONValueError) -> U256 {
        guard case .string(let text) = self else {
            throw JSONValueError(message: "expected a hex quantity string, found \(kindDescription)")
        }
        do {
            return try U256(hex: text)
        } catch {
            throw JSONValueError(message: "invalid quantity: \(error.message)")
        }
    }

    /// Decodes a quantity that must fit in 64 bits (block numbers, nonces, gas).
    /// - Throws: `JSONValueError` if the value is not a hex quantity or is 2^64 or more.
    public func decodeUInt64Quantity() throws(JSONValueError) -> UInt64 {
        let value = try decodeQuantity()
        guard let small = value.uint64 else {
            throw JSONValueError(message: "quantity \(value.hexString) does not fit in 64 bits")
        }
        return small
    }

    /// Decodes a data value into bytes.
    /// - Throws: `JSONValueError` if the value is not a string, lacks `0x`, has an odd length or a non-hex digit.
    public func decodeData() throws(JSONValueError) -> [UInt8] {
        guard case .string(let text) = self else {
            throw JSONValueError(message: "expected a hex data string, found \(kindDescription)")
        }
        do {
            return try Hex.decode(text)
        } catch {
            throw JSONValueError(message: "invalid data: \(error.message)")
        }
    }
}
