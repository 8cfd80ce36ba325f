import Testing
import JSON

struct JSONOutputTests {
    @Test func rendersObjectsInTheirKeyOrderWithTwoSpaceIndentation() {
        let output = JSONOutput.object([("z", .number("1")), ("a", .array([.bool(true), .null])), ("e", .object([]))])
        #expect(output.rendered() == "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null\n  ],\n  \"e\": {}\n}")
    }

    @Test func escapesQuotesBackslashesAndControlCharacters() {
        #expect(JSONOutput.quote("a\"b\\c\n\r\t\u{1}\u{1f}é") == #""a\"b\\c\n\r\t\u0001\u001fé""#)
    }
}
