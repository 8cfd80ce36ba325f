import JSON
import Primitives

/// The positional parameters of a request, with typed accessors that answer bad input with -32602 naming the
/// parameter and what was wrong.
public struct RPCParams: Sendable {
    public let values: [JSONValue]

    public init(_ values: [JSONValue]) { self.values = values }

    public var count: Int { values.count }

    /// The parameter at `index`, or nil when absent or null.
    public subscript(index: Int) -> JSONValue? {
        guard index < values.count, values[index] != .null else { return nil }
        return values[index]
    }

    /// Fails unless there are between `minimum` and `maximum` parameters.
    public func expectCount(_ minimum: Int, _ maximum: Int) throws(RPCError) {
        if values.count < minimum {
            throw .invalidParams("missing value for required argument \(values.count)")
        }
        if values.count > maximum {
            throw .invalidParams("too many arguments, want at most \(maximum)")
        }
    }

    public func required(_ index: Int, _ name: String) throws(RPCError) -> JSONValue {
        guard let value = self[index] else { throw .invalidParams("missing value for required argument \(index) (\(name))") }
        return value
    }

    public func address(_ index: Int, _ name: String = "address") throws(RPCError) -> Address {
        try Self.address(try required(index, name), name)
    }

    public func quantity(_ index: Int, _ name: String) throws(RPCError) -> U256 {
        try Self.quantity(try required(index, name), name)
    }

    public func data(_ index: Int, _ name: String) throws(RPCError) -> [UInt8] {
        try Self.data(try required(index, name), name)
    }

    public func bool(_ index: Int, _ name: String, default value: Bool) throws(RPCError) -> Bool {
        guard let json = self[index] else { return value }
        guard case .bool(let flag) = json else { throw .invalidParams("\(name): expected a boolean, found \(json.kindDescription)") }
        return flag
    }

    public static func address(_ value: JSONValue, _ name: String) throws(RPCError) -> Address {
        guard case .string(let text) = value else {
            throw .invalidParams("\(name): expected a hex address string, found \(value.kindDescription)")
        }
        do { return try Address(hex: text) } catch { throw .invalidParams("\(name): \(error)") }
    }

    /// A hex quantity; decimal numbers and decimal strings are accepted too, as Flashbots clients send either.
    public static func quantity(_ value: JSONValue, _ name: String) throws(RPCError) -> U256 {
        switch value {
        case .number(let number):
            guard let integer = UInt64(number.text) else {
                throw .invalidParams("\(name): \(number.text) is not a non-negative integer that fits in 64 bits")
            }
            return U256(integer)
        case .string(let text):
            if !text.hasPrefix("0x") && !text.hasPrefix("0X"), let integer = UInt64(text) { return U256(integer) }
            do { return try value.decodeQuantity() } catch { throw .invalidParams("\(name): \(error)") }
        default:
            throw .invalidParams("\(name): expected a hex quantity, found \(value.kindDescription)")
        }
    }

    public static func uint64(_ value: JSONValue, _ name: String) throws(RPCError) -> UInt64 {
        guard let small = try quantity(value, name).uint64 else { throw .invalidParams("\(name): does not fit in 64 bits") }
        return small
    }

    public static func data(_ value: JSONValue, _ name: String) throws(RPCError) -> [UInt8] {
        do { return try value.decodeData() } catch { throw .invalidParams("\(name): \(error)") }
    }

    public static func hash(_ value: JSONValue, _ name: String) throws(RPCError) -> Hash {
        let bytes = try data(value, name)
        guard let hash = Hash(bytes: bytes) else {
            throw .invalidParams("\(name): expected 32 bytes, found \(bytes.count)")
        }
        return hash
    }

    public static func object(_ value: JSONValue, _ name: String) throws(RPCError) -> [String: JSONValue] {
        guard case .object(let object) = value else {
            throw .invalidParams("\(name): expected an object, found \(value.kindDescription)")
        }
        return object
    }

    public static func array(_ value: JSONValue, _ name: String) throws(RPCError) -> [JSONValue] {
        guard case .array(let array) = value else {
            throw .invalidParams("\(name): expected an array, found \(value.kindDescription)")
        }
        return array
    }
}
