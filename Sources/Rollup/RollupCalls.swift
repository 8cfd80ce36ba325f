import Primitives

/// Calldata of the Rollup contract's functions (`Specs/protocol.md` §5, §7; ABI in
/// `Sources/Contracts/artifacts/Rollup.json`).
public enum RollupCalls {
    /// One proof of a submission: the system (0 attestation, 1 execute, 2 external) and its bytes.
    public struct Proof: Hashable, Sendable {
        public var system: UInt8
        public var data: [UInt8]

        public init(system: UInt8, data: [UInt8]) {
            self.system = system
            self.data = data
        }

        public static let attestationSystem: UInt8 = 0
        public static let executeSystem: UInt8 = 1
        public static let externalSystem: UInt8 = 2

        var abi: ABIValue { .tuple([.uint(UInt64(self.system)), .bytes(self.data)]) }
    }

    static func handoffTuple(_ handoff: Handoff) -> ABIValue {
        .tuple([.uint(handoff.l2ChainId), .uint(handoff.l2BlockNumber), .bytes32(handoff.l2BlockHash),
                .bytes32(handoff.l2StateRoot), .uint(handoff.l1TargetBlockNumber), .bytes32(handoff.l1ParentHash)])
    }

    /// The Rollup constructor's arguments (appended to its deployment bytecode).
    public static func constructorArguments(sequencer: Address, l2ChainId: UInt64, genesisHash: Hash,
                                            genesisStateRoot: Hash, verifiers: [Address], threshold: UInt64) -> [UInt8] {
        precondition(verifiers.count == 3, "the Rollup contract has three verifier slots")
        return ABIValue.encode([.address(sequencer), .uint(l2ChainId), .bytes32(genesisHash),
                                .bytes32(genesisStateRoot), .fixedArray(verifiers.map(ABIValue.address)),
                                .uint(threshold)])
    }

    /// `sendToL2(to, data)`, payable.
    public static func sendToL2(to: Address, data: [UInt8]) -> [UInt8] {
        ABIValue.call("sendToL2(address,bytes)", [.address(to), .bytes(data)])
    }

    /// `submitBased(handoff, sequencerSignature, blockHash, postStateRoot, depositIds, withdrawalIds, blockData, proofs)`.
    public static func submitBased(handoff: Handoff, sequencerSignature: [UInt8], blockHash: Hash, postStateRoot: Hash,
                                   depositIds: [Hash], withdrawalIds: [Hash], blockData: [UInt8],
                                   proofs: [Proof]) -> [UInt8] {
        ABIValue.call(
            "submitBased((uint256,uint64,bytes32,bytes32,uint64,bytes32),bytes,bytes32,bytes32,bytes32[],bytes32[],bytes,(uint8,bytes)[])",
            [handoffTuple(handoff), .bytes(sequencerSignature), .bytes32(blockHash), .bytes32(postStateRoot),
             .array(depositIds.map(ABIValue.bytes32)), .array(withdrawalIds.map(ABIValue.bytes32)), .bytes(blockData),
             .array(proofs.map(\.abi))])
    }

    /// `settle(blockNumber, blockHash, postStateRoot, l1BlockNumber, depositIds, outboxRoot, blockData, proofs)`.
    public static func settle(blockNumber: UInt64, blockHash: Hash, postStateRoot: Hash, l1BlockNumber: UInt64,
                              depositIds: [Hash], outboxRoot: Hash, blockData: [UInt8], proofs: [Proof]) -> [UInt8] {
        ABIValue.call(
            "settle(uint256,bytes32,bytes32,uint256,bytes32[],bytes32,bytes,(uint8,bytes)[])",
            [.uint(blockNumber), .bytes32(blockHash), .bytes32(postStateRoot), .uint(l1BlockNumber),
             .array(depositIds.map(ABIValue.bytes32)), .bytes32(outboxRoot), .bytes(blockData),
             .array(proofs.map(\.abi))])
    }

    /// `proveWithdrawal(l2BlockHash, withdrawalId, index, proof)`.
    public static func proveWithdrawal(l2BlockHash: Hash, withdrawalId: Hash, index: UInt64, proof: [Hash]) -> [UInt8] {
        ABIValue.call("proveWithdrawal(bytes32,bytes32,uint256,bytes32[])",
                      [.bytes32(l2BlockHash), .bytes32(withdrawalId), .uint(index), .array(proof.map(ABIValue.bytes32))])
    }

    /// `executeFromL2(originKey, originNonce, sender, to, value, data)`.
    public static func executeFromL2(_ withdrawal: WithdrawalMessage) -> [UInt8] {
        ABIValue.call("executeFromL2(bytes32,uint256,address,address,uint256,bytes)",
                      [.bytes32(withdrawal.originKey), .uint(withdrawal.originNonce), .address(withdrawal.sender),
                       .address(withdrawal.to), .uint(withdrawal.value), .bytes(withdrawal.data)])
    }

    /// The attestation proof: 65-byte signatures of `Attestation{publicInputsHash}` by `keys`, ordered by strictly
    /// increasing signer address (§8.2).
    public static func attestationProof(publicInputsHash: Hash, domain: RollupDomain, keys: [PrivateKey]) -> [UInt8] {
        keys.sorted { $0.address < $1.address }
            .flatMap { domain.sign(Attestation(publicInputsHash: publicInputsHash), key: $0) }
    }
}
