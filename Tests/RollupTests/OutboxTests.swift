import Primitives
import Testing
@testable import Rollup

@Suite("Outbox Merkle tree")
struct OutboxTests {
    static func leaves(_ count: Int) -> [Hash] {
        (0..<count).map { Keccak256.hash(Array("leaf \($0)".utf8)) }
    }

    @Test func emptyOutboxHasZeroRoot() {
        #expect(Outbox.root([]) == .zero)
    }

    @Test func oneLeafIsItsOwnRoot() {
        let leaf = Self.leaves(1)[0]
        #expect(Outbox.root([leaf]) == leaf)
        #expect(Outbox.proof([leaf], index: 0).isEmpty)
        #expect(Outbox.verify(leaf: leaf, index: 0, proof: [], root: leaf))
    }

    @Test(arguments: [2, 3, 4, 5, 8, 9, 33])
    func everyLeafProvesAndNoOtherPositionDoes(count: Int) {
        let leaves = Self.leaves(count)
        let root = Outbox.root(leaves)
        for (index, leaf) in leaves.enumerated() {
            let proof = Outbox.proof(leaves, index: index)
            #expect(Outbox.verify(leaf: leaf, index: UInt64(index), proof: proof, root: root))
            #expect(!Outbox.verify(leaf: leaf, index: UInt64(index ^ 1), proof: proof, root: root))
            #expect(!Outbox.verify(leaf: Keccak256.hash(leaf.bytes), index: UInt64(index), proof: proof, root: root))
        }
    }

    @Test func twoLeavesHashPairwise() {
        let leaves = Self.leaves(2)
        #expect(Outbox.root(leaves) == Keccak256.hash(leaves[0].bytes + leaves[1].bytes))
        let three = Self.leaves(3)
        let left = Keccak256.hash(three[0].bytes + three[1].bytes)
        let right = Keccak256.hash(three[2].bytes + Hash.zero.bytes)
        #expect(Outbox.root(three) == Keccak256.hash(left.bytes + right.bytes))
    }

    @Test func inboxRollsIds() {
        let ids = Self.leaves(3)
        var expected = Hash.zero
        for id in ids { expected = Keccak256.hash(expected.bytes + id.bytes) }
        #expect(InboxHash.of(ids) == expected)
        #expect(InboxHash.of([]) == .zero)
    }
}
