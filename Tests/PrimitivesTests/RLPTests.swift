import Foundation
import FixtureSupport
import Testing
@testable import Primitives

/// ethereum/tests RLPTests: canonical encodings, rejected malformed inputs, and random valid round trips.
@Suite("RLP")
struct RLPTests {
    /// Builds the item a fixture's "in" describes: strings, integers, "#bigint" strings and nested lists.
    static func item(from value: Any) throws -> RLPItem {
        if let list = value as? [Any] { return .list(try list.map(item(from:))) }
        if let text = value as? String {
            if text.hasPrefix("#") { return .bytes(Self.bigEndianBytes(ofDecimal: String(text.dropFirst()))) }
            return .bytes(Array(text.utf8))
        }
        if let number = value as? NSNumber {
            return .bytes(U256(number.uint64Value).minimalBigEndianBytes)
        }
        throw RLPError(code: .empty, offset: 0, message: "unsupported fixture value \(value)")
    }

    /// Minimal big-endian bytes of a decimal integer of any size (the fixtures include 2^256, beyond a U256).
    static func bigEndianBytes(ofDecimal text: String) -> [UInt8] {
        var bytes: [UInt8] = []  // little-endian while building
        for digit in text.utf8 {
            var carry = Int(digit - UInt8(ascii: "0"))
            for i in bytes.indices {
                let value = Int(bytes[i]) * 10 + carry
                bytes[i] = UInt8(value & 0xff)
                carry = value >> 8
            }
            while carry > 0 { bytes.append(UInt8(carry & 0xff)); carry >>= 8 }
        }
        return bytes.reversed()
    }

    @Test("rlptest.json: encode and decode every valid case", .enabled(if: Fixtures.available))
    func validCases() throws {
        let tests = try Fixtures.json("ethtests/RLPTests/rlptest.json") as! [String: [String: Any]]
        var counts = SuiteCounts(name: "RLPTests/rlptest")
        for (name, test) in tests.sorted(by: { $0.key < $1.key }) {
            let expected = try Hex.decode(test["out"] as! String, requirePrefix: false)
            let item = try Self.item(from: test["in"]!)
            let encodedMatches = item.encoded == expected
            let decoded = try? RLPItem.decode(expected)
            counts.record(encodedMatches && decoded == item, name)
        }
        counts.report()
        #expect(counts.failed == 0, "failures: \(counts.failures)")
        #expect(counts.passed > 0)
    }

    @Test("invalidRLPTest.json: every malformed input is rejected", .enabled(if: Fixtures.available))
    func invalidCases() throws {
        let tests = try Fixtures.json("ethtests/RLPTests/invalidRLPTest.json") as! [String: [String: Any]]
        var counts = SuiteCounts(name: "RLPTests/invalidRLPTest")
        for (name, test) in tests.sorted(by: { $0.key < $1.key }) {
            let bytes = try Hex.decode(test["out"] as! String, requirePrefix: false)
            var rejected = false
            do { _ = try RLPItem.decode(bytes) } catch { rejected = true }
            counts.record(rejected, name)
        }
        counts.report()
        #expect(counts.failed == 0, "accepted malformed inputs: \(counts.failures)")
    }

    @Test("RandomRLPTests: valid random encodings decode and re-encode identically", .enabled(if: Fixtures.available))
    func randomCases() throws {
        var counts = SuiteCounts(name: "RLPTests/RandomRLPTests")
        for file in Fixtures.jsonFiles(under: "ethtests/RLPTests/RandomRLPTests") {
            let tests = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: [String: Any]]
            for (name, test) in tests {
                let bytes = try Hex.decode(test["out"] as! String, requirePrefix: false)
                let decoded = try? RLPItem.decode(bytes)
                counts.record(decoded?.encoded == bytes, name)
            }
        }
        counts.report()
        #expect(counts.failed == 0)
    }

    @Test("Errors say what is wrong")
    func errorMessages() {
        #expect(throws: RLPError.self) { try RLPItem.decode([0x81, 0x05]) }
        do {
            _ = try RLPItem.decode([0x83, 0x01])
            Issue.record("truncated input accepted")
        } catch {
            #expect(error.code == .truncated)
            #expect(error.description.contains("needs 3 bytes"))
        }
        do {
            _ = try RLPItem.decode([0x01, 0x02])
            Issue.record("trailing bytes accepted")
        } catch {
            #expect(error.code == .trailingBytes)
        }
        var reader = RLPReader([0x82, 0x00, 0x01])
        #expect(throws: RLPError.self) { try reader.readUInt64() }
    }

    static let integerVectors: [(UInt64, [UInt8])] = [
        (0, [0x80]), (1, [0x01]), (0x7f, [0x7f]), (0x80, [0x81, 0x80]),
        (0x0400, [0x82, 0x04, 0x00]), (UInt64.max, [0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ]

    @Test("Integers encode minimally", arguments: integerVectors)
    func integers(value: UInt64, expected: [UInt8]) throws {
        var encoder = RLPEncoder()
        encoder.append(value)
        #expect(encoder.bytes == expected)
        var reader = RLPReader(expected)
        #expect(try reader.readUInt64() == value)
        var wide = RLPEncoder()
        wide.append(U256(value))
        #expect(wide.bytes == expected)
    }

    @Test("Long lists get long headers")
    func longList() throws {
        let item = RLPItem.list((0..<30).map { _ in .bytes([1, 2]) })
        let encoded = item.encoded
        #expect(encoded[0] == 0xf8 && encoded[1] == 90)
        #expect(try RLPItem.decode(encoded) == item)
    }
}
