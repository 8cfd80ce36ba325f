# pragma version 0.4.3
"""
@title Lockstep execute verifier (proof system 1)
@notice Specs/protocol.md §8.3: L1 re-executes the L2 blocks itself through the EXECUTE precompile (0x0101).
        The proof is the execution witness (Specs/witness.md). The verifier returns true only when the precompile
        succeeds and its output matches the public inputs and the kind and anchor rules of the tag (§6); it returns
        false, never reverts, when the precompile fails.
"""

import IProofVerifier

implements: IProofVerifier

MAX_BLOCK_DATA: constant(uint256) = 65536
MAX_PROOF_DATA: constant(uint256) = 65536
# Sizes of the precompile call's buffer below the maximum (see verify): the larger of blockData and the proof.
CALL_TIER_1: constant(uint256) = 4096
CALL_TIER_2: constant(uint256) = 16384
CALL_TIER_3: constant(uint256) = 32768
EXECUTE_PRECOMPILE: constant(address) = 0x0000000000000000000000000000000000000101
# abi(parentBlockNumber, parentBlockHash, blockNumber, blockHash, postStateRoot, inboxHash, outboxRoot,
#     l1AnchorNumber, l1AnchorHash, blockCount, kinds)
OUTPUT_LENGTH: constant(uint256) = 11 * 32

BASED_TAG: constant(bytes32) = keccak256("Lockstep.PublicInputs.Based.v1")
SETTLEMENT_TAG: constant(bytes32) = keccak256("Lockstep.PublicInputs.Settlement.v1")

# `kinds` has bit k set when a block of kind k occurs (§3.1: 0 sequenced, 1 slotEnd, 2 based).
KIND_SEQUENCED_BIT: constant(uint256) = 1
KIND_SLOT_END_BIT: constant(uint256) = 2
KIND_BASED_BIT: constant(uint256) = 4

l2ChainId: public(immutable(uint256))


@deploy
def __init__(l2ChainId_: uint256):
    l2ChainId = l2ChainId_


@view
@external
def verify(
    inputs: IProofVerifier.PublicInputs,
    publicInputsHash: bytes32,
    blockData: Bytes[MAX_BLOCK_DATA],
    proof: Bytes[MAX_PROOF_DATA],
) -> bool:
    """@notice Re-executes `blockData` from `inputs.parentStateRoot` with the witness `proof` and compares."""
    if keccak256(abi_encode(inputs)) != publicInputsHash:
        return False
    if inputs.l2ChainId != l2ChainId or keccak256(blockData) != inputs.blockDataHash or inputs.l1BlockNumber == 0:
        return False

    success: bool = False
    output: Bytes[OUTPUT_LENGTH] = b""
    # Vyper allocates the call's buffer at its type's maximum size and the output after it, so a call built from
    # Bytes[MAX_*_DATA] touches 128 KiB of memory whatever the data's length; data that fits a call tier goes
    # through that tier's narrower type instead (`convert` between Bytes types only checks the length).
    size: uint256 = max(len(blockData), len(proof))
    if size <= CALL_TIER_1:
        success, output = raw_call(
            EXECUTE_PRECOMPILE,
            abi_encode(
                l2ChainId, inputs.parentStateRoot, convert(blockData, Bytes[CALL_TIER_1]),
                convert(proof, Bytes[CALL_TIER_1]),
            ),
            max_outsize=OUTPUT_LENGTH, is_static_call=True, revert_on_failure=False,
        )
    elif size <= CALL_TIER_2:
        success, output = raw_call(
            EXECUTE_PRECOMPILE,
            abi_encode(
                l2ChainId, inputs.parentStateRoot, convert(blockData, Bytes[CALL_TIER_2]),
                convert(proof, Bytes[CALL_TIER_2]),
            ),
            max_outsize=OUTPUT_LENGTH, is_static_call=True, revert_on_failure=False,
        )
    elif size <= CALL_TIER_3:
        success, output = raw_call(
            EXECUTE_PRECOMPILE,
            abi_encode(
                l2ChainId, inputs.parentStateRoot, convert(blockData, Bytes[CALL_TIER_3]),
                convert(proof, Bytes[CALL_TIER_3]),
            ),
            max_outsize=OUTPUT_LENGTH, is_static_call=True, revert_on_failure=False,
        )
    else:
        success, output = raw_call(
            EXECUTE_PRECOMPILE,
            abi_encode(l2ChainId, inputs.parentStateRoot, blockData, proof),
            max_outsize=OUTPUT_LENGTH, is_static_call=True, revert_on_failure=False,
        )
    if not success or len(output) != OUTPUT_LENGTH:
        return False

    parent_number: uint256 = 0
    parent_hash: bytes32 = empty(bytes32)
    block_number: uint256 = 0
    block_hash: bytes32 = empty(bytes32)
    post_state_root: bytes32 = empty(bytes32)
    inbox_hash: bytes32 = empty(bytes32)
    outbox_root: bytes32 = empty(bytes32)
    anchor_number: uint256 = 0
    anchor_hash: bytes32 = empty(bytes32)
    block_count: uint256 = 0
    kinds: uint256 = 0
    (
        parent_number, parent_hash, block_number, block_hash, post_state_root, inbox_hash, outbox_root,
        anchor_number, anchor_hash, block_count, kinds
    ) = abi_decode(
        output,
        (uint256, bytes32, uint256, bytes32, bytes32, bytes32, bytes32, uint256, bytes32, uint256, uint256),
    )

    if (
        parent_number != inputs.parentBlockNumber
        or parent_hash != inputs.parentBlockHash
        or block_number != inputs.blockNumber
        or block_hash != inputs.blockHash
        or post_state_root != inputs.postStateRoot
        or inbox_hash != inputs.inboxHash
        or outbox_root != inputs.outboxRoot
    ):
        return False
    # Both tags anchor the last block at (l1BlockNumber − 1, l1ParentHash).
    if anchor_number != inputs.l1BlockNumber - 1 or anchor_hash != inputs.l1ParentHash:
        return False
    if block_count == 0 or block_number != parent_number + block_count:
        return False
    if inputs.tag == BASED_TAG:
        return block_count == 1 and kinds == KIND_BASED_BIT
    if inputs.tag == SETTLEMENT_TAG:
        return kinds & ~(KIND_SEQUENCED_BIT | KIND_SLOT_END_BIT) == 0
    return False
