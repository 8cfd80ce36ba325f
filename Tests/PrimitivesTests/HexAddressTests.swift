import Foundation
import Testing
@testable import Primitives

/// Strict hex parsing, EIP-55 checksums, hashes and contract addresses.
@Suite("Hex, Address, Hash")
struct HexAddressTests {
    @Test("Hex decoding rejects bad input with a reason", arguments: [
        ("1234", HexError.Code.missingPrefix), ("0x123", .oddLength), ("0x12zz", .invalidCharacter), ("0xg0", .invalidCharacter),
    ])
    func badHex(input: String, code: HexError.Code) {
        do {
            _ = try Hex.decode(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(input) || error.message.contains("hex string"))
        }
    }

    @Test("Hex round trips")
    func roundTrip() throws {
        #expect(try Hex.decode("0x") == [])
        #expect(try Hex.decode("0xDEADbeef") == [0xde, 0xad, 0xbe, 0xef])
        #expect(Hex.encode([0x00, 0xff, 0x10]) == "0x00ff10")
        #expect(Hex.encode([UInt8]()) == "0x" && Hex.encode([UInt8](), prefix: false) == "")
        // Contiguous bytes (written straight into the string) and a plain sequence give the same text.
        let bytes = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let expected = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(Hex.encode(bytes) == "0x" + expected)
        #expect(Hex.encode(bytes[100...], prefix: false) == String(expected.dropFirst(200)))
        #expect(Hex.encode(bytes.lazy.map { $0 }, prefix: false) == expected)
        #expect(try Hex.decode(Hex.encode(bytes)) == bytes)
        #expect(try Hex.decode("abcd", requirePrefix: false) == [0xab, 0xcd])
        #expect(throws: HexError.self) { try Hex.decode("0x00", count: 2) }
        // The messages name the string and the place.
        #expect(throws: HexError(code: .invalidCharacter, message: "hex string \"0x12zz\" has an invalid character 'z' at position 4")) {
            try Hex.decode("0x12zz")
        }
        #expect(throws: HexError(code: .oddLength, message: "hex string \"0x123\" has an odd number of digits (3)")) {
            try Hex.decode("0x123")
        }
        #expect(throws: HexError(code: .missingPrefix, message: "hex string \"12\" does not start with 0x")) { try Hex.decode("12") }
        #expect(throws: HexError.self) { try Hex.decode("0xé1é1") }
        #expect(try Hex.decode("0X" + String(repeating: "aB", count: 300)) == [UInt8](repeating: 0xab, count: 300))
    }

    // EIP-55's own examples.
    @Test("EIP-55 checksums", arguments: [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ])
    func checksums(address: String) throws {
        let parsed = try Address(hex: address)
        #expect(parsed.checksummed == address)
        #expect(try Address(hex: address.lowercased()) == parsed)
    }

    @Test("A wrong checksum is rejected")
    func wrongChecksum() {
        #expect(throws: AddressError.self) { try Address(hex: "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") }
        #expect(throws: HexError.self) { try Address(hex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA") }
    }

    @Test("Hash ordering, words and padding")
    func hashes() throws {
        let low = try Hash(hex: "0x00000000000000000000000000000000000000000000000000000000000000ff")
        let high = try Hash(hex: "0x0100000000000000000000000000000000000000000000000000000000000000")
        #expect(low < high)
        #expect(low.word == U256(255))
        #expect(Hash(word: U256(255)) == low)
        #expect(Hash(leftPadding: [0xff]) == low)
        #expect(Hash.zero.isZero)
    }

    @Test("CREATE and CREATE2 addresses")
    func contractAddresses() throws {
        // CREATE: the first contract of the first development account.
        let deployer = try Address(hex: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        #expect(Address.contractAddress(sender: deployer, nonce: 0).checksummed == "0x5FbDB2315678afecb367f032d93F642f64180aa3")
        // EIP-1014 example 1: address 0, salt 0, initcode 0x00.
        let address = Address.create2Address(sender: .zero, salt: .zero, initcodeHash: Keccak256.hash([0x00]))
        #expect(address.checksummed == "0x4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38")
    }

    @Test("Words convert to addresses by their low 20 bytes")
    func wordAddress() throws {
        let address = try Address(hex: "0x00000000000000000000000000000000deadbeef")
        #expect(address.word == U256(0xdead_beef))
        #expect(Address(word: U256(0xdead_beef)) == address)
    }
}
