/// A JSON value that does not have the shape or type the caller expected (an RPC result of the wrong type).
public struct JSONValueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was expected and what was found, e.g. `expected a hex quantity string, found an object`.
    public let message: String

    /// The message, for logs and string interpolation.

    /// The message.
    public var description: String { message }
}

extension JSONValue {
    /// The string.
    /// - Throws: `JSONValueError` if the value is not a string.
    public func decodeString() throws(JSONValueError) -> String {
        guard let string = stringValue else {
            throw JSONValueError(message: "expected a string, found \(kindDescription)")
        }
        return string
    }

    /// The member named `key`.
    /// - Throws: `JSONValueError` if the value is not an object or has no member `key`.
    public func member(_ key: String) throws(JSONValueError) -> JSONValue {
        guard case .object(let members) = self else {
            throw JSONValueError(message: "expected an object with member \"\(key)\", found \(kindDescription)")
        }
        guard let value = members[key] else {
            throw JSONValueError(message: "object has no member \"\(key)\"")
        }
        return value
    }
}
