import Primitives
import Testing
import JSON

struct JSONValueTests {
    @Test func parsesEveryKindOfValue() throws {
        let text = #" { "a" : [1, -2.5e3, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00" } "#
        let value = try JSONValue(parsing: text)
        #expect(value == ["a": [1, .number(try #require(JSONNumber(text: "-2.5e3"))), true, false, nil],
                          "b": "x\"\\/\né😀"])
    }

    @Test func numbersKeepTheirExactText() throws {
        let big = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        let value = try JSONValue(parsing: "[\(big), 0.1000, 1E+2]")
        #expect(value[0]?.numberValue?.text == big)
        #expect(value[1]?.numberValue?.text == "0.1000")
        #expect(value.serializedString() == "[\(big),0.1000,1E+2]")
        #expect(value[0]?.intValue == nil)  // too large, but not rounded
        #expect(JSONNumber(text: "01") == nil)
        #expect(JSONNumber(text: "-0.5e-7")?.doubleValue == -0.5e-7)
    }

    @Test func serializationIsCompactSortedAndEscaped() {
        let value: JSONValue = ["b": 1, "a": ["x\u{1}\"\t", nil, true]]
        #expect(value.serializedString() == #"{"a":["x\u0001\"\t",null,true],"b":1}"#)
    }

    @Test func roundTripsThroughText() throws {
        let value: JSONValue = ["jsonrpc": "2.0", "id": 7, "params": [["to": "0xabc", "data": "0x"], "latest", 1.5]]
        #expect(try JSONValue(parsing: value.serializedBytes) == value)
    }

    @Test(arguments: [
        ("", "unexpected end of input"),
        ("[1,]", "expected a value"),
        ("{\"a\":1,}", "expected a string key"),
        ("01", "leading zeros"),
        ("1.", "invalid number"),
        ("[1 2]", "expected ',' or ']'"),
        ("\"abc", "unterminated string"),
        ("\"a\u{1}b\"", "unescaped control character"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\ud800\"", "unpaired UTF-16 surrogate"),
        ("{\"a\":1,\"a\":2}", "duplicate object key \"a\""),
        ("nul", "expected null"),
        ("{} x", "after the JSON value"),
        ("'a'", "unexpected '''"),
    ])
    func rejectsInvalidJSONWithAClearMessage(input: String, message: String) {
        #expect {
            try JSONValue(parsing: input)
        } throws: { error in
            (error as? JSONParseError)?.message.contains(message) == true
        }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xff, 0x22]) }
    }

    @Test func rejectsNestingBeyondTheLimitInsteadOfCrashing() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        let depth = JSONValue.maximumDepth
        let allowed = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(throws: Never.self) { try JSONValue(parsing: allowed) }
    }

    @Test func errorsNameTheByteOffset() {
        do {
            _ = try JSONValue(parsing: #"{"a": tru}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 6)
            #expect(error.description == "invalid JSON at byte 6: invalid literal, expected true")
        }
    }

    @Test func ethereumQuantitiesAndData() throws {
        #expect(JSONValue.quantity(U256.zero) == "0x0")
        #expect(JSONValue.quantity(UInt64(255)) == "0xff")
        #expect(JSONValue.quantity(U256.max).quantityValue == U256.max)
        #expect(JSONValue.data([]) == "0x")
        #expect(JSONValue.data([0x00, 0xab]).dataValue == [0x00, 0xab])
        #expect(JSONValue("0x10000000000000000").uint64QuantityValue == nil)  // 2^64
        #expect(JSONValue("0xffffffffffffffff").uint64QuantityValue == .max)
        #expect(JSONValue("10").quantityValue == nil)  // quantities need 0x
        #expect(JSONValue(16).quantityValue == nil)  // and are strings, not numbers
        do {
            _ = try JSONValue.array(["x"]).decodeQuantity()
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "expected a hex quantity string, found an array")
        }
    }
}
