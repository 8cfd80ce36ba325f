import EVM
import Primitives
import State

/// The L1 `EXECUTE` precompile (`Specs/protocol.md` §8.3, after EIP-8079): L1 re-executes L2 blocks statelessly
/// and returns what they establish, or fails.
///
/// Input: `abi(uint256 l2ChainId, bytes32 parentStateRoot, bytes blockData, bytes executeProof)` where
/// `executeProof = rlp([parentHeader, witness])`. Output: 11 words (`L2RangeExecution`). Gas: 50,000 + 4 per input
/// byte + the blocks' declared gas used.
public struct ExecutePrecompile: CustomPrecompile {
    public var name: String { "EXECUTE" }

    public init() {}

    public static let baseGas: UInt64 = 50_000
    public static let gasPerInputByte: UInt64 = 4

    public func run(input: [UInt8], gasLimit: UInt64) -> PrecompileResult {
        switch Self.execute(input: input, gasLimit: gasLimit) {
        case .success(let (output, gas)):
            return PrecompileResult(output: output, gasUsed: gas, success: true)
        case .failure:
            return PrecompileResult(output: [], gasUsed: gasLimit, success: false)
        }
    }

    /// Runs the precompile and says why it failed; `run` keeps only the verdict.
    public static func execute(input: [UInt8],
                               gasLimit: UInt64 = .max) -> Result<(output: [UInt8], gas: UInt64), L2BlockError> {
        do throws(L2BlockError) {
            let call = try ExecuteCall.decode(input)
            var gas = baseGas + gasPerInputByte * UInt64(input.count)
            for block in call.blocks {
                gas = gas.addingReportingOverflow(block.header.base.gasUsed).partialValue
            }
            guard gas <= gasLimit else {
                throw L2BlockError("EXECUTE needs \(gas) gas, the call gave \(gasLimit)")
            }
            guard call.parent.stateRoot == call.parentStateRoot else {
                throw L2BlockError("the parent header's state root is \(call.parent.stateRoot), the input says \(call.parentStateRoot)")
            }
            let range = try L2StatelessExecutor.execute(l2ChainId: call.l2ChainId, parent: call.parent,
                                                        blocks: call.blocks, witness: call.witness)
            return .success((encodeOutput(range), gas))
        } catch {
            return .failure(error)
        }
    }

    /// The 11 output words.
    public static func encodeOutput(_ range: L2RangeExecution) -> [UInt8] {
        var words = ABIWords(capacity: 11)
        words.append(range.parentBlockNumber)
        words.append(range.parentBlockHash)
        words.append(range.blockNumber)
        words.append(range.blockHash)
        words.append(range.postStateRoot)
        words.append(range.inboxHash)
        words.append(range.outboxRoot)
        words.append(range.l1AnchorNumber)
        words.append(range.l1AnchorHash)
        words.append(UInt64(range.blockCount))
        words.append(range.kinds)
        return words.bytes
    }
}

/// A decoded `EXECUTE` input.
public struct ExecuteCall: Sendable {
    public var l2ChainId: UInt64
    public var parentStateRoot: Hash
    public var parent: L2Header
    public var blocks: [L2Block]
    public var blockData: [UInt8]
    public var witness: ExecutionWitness

    /// A call for `blocks` on top of `parent` (the state root and block data taken from them).
    public init(l2ChainId: UInt64, parent: L2Header, blocks: [L2Block], witness: ExecutionWitness) {
        self.init(l2ChainId: l2ChainId, parentStateRoot: parent.stateRoot, parent: parent, blocks: blocks,
                  blockData: BlockData.encode(blocks), witness: witness)
    }

    init(l2ChainId: UInt64, parentStateRoot: Hash, parent: L2Header, blocks: [L2Block], blockData: [UInt8],
         witness: ExecutionWitness) {
        self.l2ChainId = l2ChainId
        self.parentStateRoot = parentStateRoot
        self.parent = parent
        self.blocks = blocks
        self.blockData = blockData
        self.witness = witness
    }

    /// `rlp([parentHeader, witness])`: the proof bytes an `ExecuteVerifier` passes on.
    public static func executeProof(parent: L2Header, witness: ExecutionWitness) -> [UInt8] {
        var encoder = RLPEncoder(capacity: 8192)
        encoder.appendList { list in
            parent.encode(into: &list)
            witness.encode(into: &list)
        }
        return encoder.bytes
    }

    /// The precompile's input.
    public var encoded: [UInt8] {
        ABIWords.encode(words: [U256(self.l2ChainId), self.parentStateRoot.word],
                        dynamic: [self.blockData, Self.executeProof(parent: self.parent, witness: self.witness)])
    }

    /// Decodes an execute proof, `rlp([parentHeader, witness])`.
    /// - Throws: `L2BlockError` naming what is malformed.
    public static func decodeProof(_ bytes: [UInt8]) throws(L2BlockError) -> (parent: L2Header, witness: ExecutionWitness) {
        var reader = RLPReader(bytes)
        do {
            var list = try reader.readList()
            try reader.finish()
            let parent = try L2Header.decode(from: &list)
            let witness: ExecutionWitness
            do {
                witness = try ExecutionWitness.decode(from: &list)
            } catch {
                throw L2BlockError("EXECUTE proof: \(error.description)")
            }
            try list.finish()
            return (parent, witness)
        } catch let error as L2BlockError {
            throw error
        } catch {
            throw L2BlockError("EXECUTE proof: \(error)")
        }
    }

    /// Decodes the precompile's input.
    public static func decode(_ input: [UInt8]) throws(L2BlockError) -> ExecuteCall {
        let decoded: (words: [U256], dynamic: [[UInt8]])
        do {
            decoded = try ABIWords.decode(input, words: 2, dynamic: 2, maxDynamicLength: 1 << 24)
        } catch {
            throw L2BlockError("EXECUTE input: \(error.description)")
        }
        guard let l2ChainId = decoded.words[0].uint64 else {
            throw L2BlockError("EXECUTE input: l2ChainId \(decoded.words[0].hexString) is above 2^64-1")
        }
        let blockData = decoded.dynamic[0]
        let blocks = try BlockData.decode(blockData)
        let (parent, witness) = try decodeProof(decoded.dynamic[1])
        return ExecuteCall(l2ChainId: l2ChainId, parentStateRoot: Hash(word: decoded.words[1]), parent: parent,
                           blocks: blocks, blockData: blockData, witness: witness)
    }
}
