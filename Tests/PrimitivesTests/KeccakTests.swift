import Foundation
import FixtureSupport
import Testing
@testable import Primitives

@Suite("Keccak-256")
struct KeccakTests {
    @Test("crypto_vectors/keccak256.json: every vector", .enabled(if: Fixtures.available))
    func vectors() throws {
        let file = try Fixtures.json("crypto_vectors/keccak256.json") as! [String: Any]
        let vectors = file["vectors"] as! [[String: Any]]
        var counts = SuiteCounts(name: "crypto_vectors/keccak256")
        for (index, vector) in vectors.enumerated() {
            let input = try Self.input(of: vector, caseNumber: index / 2)
            let expected = try Hash(hex: vector["hash"] as! String)
            counts.record(Keccak256.hash(input) == expected, "vector \(index) (len \(input.count))")
            // The same input fed in uneven pieces must give the same digest.
            var hasher = Keccak256.Hasher()
            var offset = 0
            var step = 1
            while offset < input.count {
                let end = min(input.count, offset + step)
                input[offset..<end].withUnsafeBytes { hasher.update($0) }
                offset = end
                step = step * 3 + 1
            }
            counts.record(hasher.finalize() == expected, "vector \(index) streamed (len \(input.count))")
        }
        counts.report()
        #expect(counts.failed == 0)
        #expect(counts.passed == 2 * vectors.count)
    }

    /// The vector's input: given inline, or (above 512 bytes) regenerated as the fixture describes: zeros, or
    /// the concatenated SHA-256 digests of "oracles-<case>-<counter>", where each case is a (zeros, prng) pair.
    static func input(of vector: [String: Any], caseNumber: Int) throws -> [UInt8] {
        if let hex = vector["input"] as? String { return try Hex.decode(hex) }
        let length = vector["len"] as! Int
        if vector["kind"] as! String == "zeros" { return [UInt8](repeating: 0, count: length) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length + 32)
        var counter = 0
        while bytes.count < length {
            bytes += SHA256.hash(Array("oracles-\(caseNumber)-\(counter)".utf8))
            counter += 1
        }
        return Array(bytes.prefix(length))
    }

    @Test("hashLanes: the fixture's vectors several at a time, and every length to 700 in groups of 1 to 4",
          .enabled(if: Keccak256.parallelLanes > 0))
    func lanes() throws {
        var messages: [[UInt8]] = []
        if Fixtures.available {
            let file = try Fixtures.json("crypto_vectors/keccak256.json") as! [String: Any]
            for (index, vector) in (file["vectors"] as! [[String: Any]]).enumerated() {
                messages.append(try Self.input(of: vector, caseNumber: index / 2))
            }
        }
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for length in 0...700 {
            messages.append((0..<length).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            })
        }
        // Group messages of equal block counts into batches of 1, 2, 3, 4, 1, 2, … (bounded by the lanes).
        let byBlocks = Dictionary(grouping: messages, by: { $0.count / Keccak256.rate })
        var checked = 0
        var size = 1
        for blocks in byBlocks.keys.sorted() {
            var group = byBlocks[blocks]![...]
            while !group.isEmpty {
                let batch = Array(group.prefix(min(size, Keccak256.parallelLanes)))
                group = group.dropFirst(batch.count)
                size = size % 4 + 1
                let pointers = batch.map { message in
                    let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, message.count))
                    copy.initialize(from: message, count: message.count)
                    return copy
                }
                defer { pointers.forEach { $0.deallocate() } }
                let messagePointers: [UnsafePointer<UInt8>?] = pointers.map { UnsafePointer($0) }
                let lengths = batch.map(\.count)
                var digests = [UInt8](repeating: 0, count: 32 * batch.count)
                messagePointers.withUnsafeBufferPointer { messages in
                    lengths.withUnsafeBufferPointer { lengths in
                        digests.withUnsafeMutableBufferPointer { digests in
                            Keccak256.hashLanes(count: batch.count, messages: messages.baseAddress!,
                                                lengths: lengths.baseAddress!, digests: digests.baseAddress!)
                        }
                    }
                }
                for (lane, message) in batch.enumerated() {
                    #expect(Array(digests[32 * lane..<32 * lane + 32]) == Keccak256.hash(message).bytes,
                            "length \(message.count), lane \(lane) of \(batch.count)")
                    checked += 1
                }
            }
        }
        #expect(checked == messages.count)
    }

    @Test("hashes(of:) equals hashing each message alone, whatever the mix of lengths (empty, block boundaries, many)")
    func manyHashes() {
        var state: UInt64 = 0x2545_f491_4f6c_dd1d
        func message(_ length: Int) -> [UInt8] {
            (0..<length).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 33)
            }
        }
        let lengths = [0, 0, 1, 31, 32, 33, 135, 136, 137, 271, 272, 532, 532, 532, 532, 532, 532, 532, 532, 532, 83, 83, 83]
            + (0..<200).map { ($0 * 37) % 700 }
        let messages = lengths.map(message)
        #expect(Keccak256.hashes(of: messages) == messages.map { Keccak256.hash($0) })
        #expect(Keccak256.hashes(of: []) == [])
        #expect(Keccak256.hashes(of: [[1, 2, 3]]) == [Keccak256.hash([1, 2, 3])])
        #expect(Keccak256.hashes(of: [[], []]) == [Keccak256.hash([UInt8]()), Keccak256.hash([UInt8]())])
        let empties = [[UInt8]](repeating: [], count: 20) + [[7]]
        #expect(Keccak256.hashes(of: empties) == empties.map { Keccak256.hash($0) })
    }

    @Test("SHA-256 known answers")
    func sha256() {
        #expect(SHA256.hash([UInt8]()).hexString == "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8)).hexString == "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "0x248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("Known digests across the block boundary")
    func knownDigests() throws {
        #expect(Keccak256.hash([UInt8]()).hexString == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Keccak256.hash(Array("abc".utf8)).hexString == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        // 135, 136 and 137 bytes straddle the 136-byte rate.
        for length in [135, 136, 137, 272, 1000] {
            let bytes = [UInt8](repeating: 0x61, count: length)
            var hasher = Keccak256.Hasher()
            bytes.withUnsafeBytes { hasher.update($0) }
            #expect(hasher.finalize() == Keccak256.hash(bytes))
        }
    }
}
