import Chain
import EVM
import Primitives
import State
import Testing
@testable import Rollup

/// The EXECUTE precompile's encoding, gas and verdicts (`Specs/protocol.md` §8.3).
@Suite("EXECUTE precompile")
struct ExecutePrecompileTests {
    static func basedCall() throws -> (ExecuteCall, L2Block) {
        let chain = InMemoryL2Chain()
        try chain.produce(kind: .slotEnd, l1AnchorNumber: 4, l1AnchorHash: Keccak256.hash([4]))
        chain.startRange()
        let deposit = DepositMessage(origin: DevAccounts.addresses[0], originNonce: .zero,
                                     sender: DevAccounts.addresses[0], to: DevAccounts.addresses[5],
                                     value: U256(7), data: [])
        let block = try chain.produce(kind: .based, deposits: [deposit], transactions: [
            chain.transaction(key: 1, nonce: 0, to: DevAccounts.addresses[2], value: U256(1)),
        ], coinbase: DevAccounts.addresses[8], l1AnchorNumber: 5, l1AnchorHash: Keccak256.hash([5]))
        return (ExecuteCall(l2ChainId: chain.l2ChainId, parent: chain.rangeParent, blocks: [block],
                            witness: chain.witness()), block)
    }

    @Test func aBasedBlockExecutesAndTheOutputStatesWhatItEstablished() throws {
        let (call, block) = try Self.basedCall()
        let input = call.encoded
        let result = ExecutePrecompile().run(input: input, gasLimit: 10_000_000)
        #expect(result.success)
        let words = stride(from: 0, to: result.output.count, by: 32).map { U256(bigEndianBytes: result.output[$0..<$0 + 32])! }
        #expect(words.count == 11)
        #expect(words[0] == U256(block.number - 1))
        #expect(Hash(word: words[1]) == call.parent.hash)
        #expect(words[2] == U256(block.number))
        #expect(Hash(word: words[3]) == block.hash)
        #expect(Hash(word: words[4]) == block.header.stateRoot)
        #expect(Hash(word: words[5]) == block.header.inboxHash)
        #expect(Hash(word: words[6]) == block.header.outboxRoot)
        #expect(words[7] == U256(5) && Hash(word: words[8]) == Keccak256.hash([5]))
        #expect(words[9] == U256(1) && words[10] == U256(1 << 2))
        let expectedGas = ExecutePrecompile.baseGas + 4 * UInt64(input.count) + block.header.base.gasUsed
        #expect(result.gasUsed == expectedGas)
    }

    @Test func tooLittleGasFailsAndConsumesIt() throws {
        let (call, block) = try Self.basedCall()
        let input = call.encoded
        let needed = ExecutePrecompile.baseGas + 4 * UInt64(input.count) + block.header.base.gasUsed
        let result = ExecutePrecompile().run(input: input, gasLimit: needed - 1)
        #expect(!result.success && result.gasUsed == needed - 1)
    }

    @Test func aParentStateRootThatIsNotTheParentHeadersFails() throws {
        var (call, _) = try Self.basedCall()
        call.parentStateRoot = Keccak256.hash([9])
        guard case .failure(let error) = ExecutePrecompile.execute(input: call.encoded) else {
            Issue.record("accepted")
            return
        }
        #expect(error.message.contains("state root"))
    }

    @Test func malformedInputFailsWithAReason() throws {
        let (call, _) = try Self.basedCall()
        for input in [[UInt8](), Array(call.encoded.prefix(100)), Array(call.encoded.dropLast(40)),
                      [UInt8](repeating: 0xff, count: 200)] {
            guard case .failure = ExecutePrecompile.execute(input: input) else {
                Issue.record("malformed input accepted")
                continue
            }
        }
    }

    @Test func inputDecodesToWhatWasEncoded() throws {
        let (call, block) = try Self.basedCall()
        let decoded = try ExecuteCall.decode(call.encoded)
        #expect(decoded.blocks == [block])
        #expect(decoded.parent == call.parent)
        #expect(decoded.witness == call.witness)
        #expect(decoded.l2ChainId == call.l2ChainId)
        #expect(try ExecutionWitness.decode(rlp: call.witness.rlpEncoded) == call.witness)
    }

    @Test func theL1CallsItThroughTheEVMWhenConfigured() throws {
        let (call, _) = try Self.basedCall()
        let l1 = L1TestChain(execute: true)
        let output = l1.call(RollupProtocol.executePrecompileAddress, call.encoded)
        #expect(output.count == 11 * 32)
        let plain = L1TestChain(execute: false)
        #expect(plain.call(RollupProtocol.executePrecompileAddress, call.encoded).isEmpty)
    }
}
