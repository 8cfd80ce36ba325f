# pragma version 0.4.3
"""
@title Lockstep Rollup
@notice The L1 contract of Lockstep protocol v1 (Specs/protocol.md §5, §7, §8.1): it queues deposits, accepts based
        blocks built on a sequencer handoff inside the handoff's L1 block, settles ranges of sequenced blocks, and
        executes withdrawals that a based block or a settled outbox proves.
"""

import IProofVerifier
import modules.LockstepEIP712 as eip712

# §1 parameters
MAX_MESSAGE_DATA: constant(uint256) = 4096
MAX_DEPOSITS: constant(uint256) = 64
MAX_WITHDRAWALS: constant(uint256) = 64
MAX_BLOCK_DATA: constant(uint256) = 65536
MAX_PROOF_DATA: constant(uint256) = 65536
MAX_OUTBOX_DEPTH: constant(uint256) = 32
PROOF_SYSTEMS: constant(uint256) = 3
# Sizes of the verifier call's buffer below the maximum (see submitBased): the larger of blockData and the proof.
CALL_TIER_1: constant(uint256) = 4096
CALL_TIER_2: constant(uint256) = 16384
CALL_TIER_3: constant(uint256) = 32768

DEPOSIT_TAG: constant(bytes32) = keccak256("Lockstep.Deposit.v1")
WITHDRAWAL_TAG: constant(bytes32) = keccak256("Lockstep.Withdrawal.v1")
BASED_TAG: constant(bytes32) = keccak256("Lockstep.PublicInputs.Based.v1")
SETTLEMENT_TAG: constant(bytes32) = keccak256("Lockstep.PublicInputs.Settlement.v1")

HANDOFF_TYPEHASH: constant(bytes32) = keccak256(
    "Handoff(uint256 l2ChainId,uint64 l2BlockNumber,bytes32 l2BlockHash,bytes32 l2StateRoot,"
    "uint64 l1TargetBlockNumber,bytes32 l1ParentHash)"
)

# The selector of IProofVerifier.verify, for raw_call.
VERIFY_SELECTOR: constant(bytes4) = method_id(
    "verify((bytes32,uint256,uint256,bytes32,bytes32,uint256,bytes32,bytes32,bytes32,bytes32,uint256,bytes32,"
    "address,bytes32),bytes32,bytes,bytes)",
    output_type=bytes4,
)

# deposits[id] (§5.2)
DEPOSIT_NONE: constant(uint8) = 0
DEPOSIT_PENDING: constant(uint8) = 1
DEPOSIT_CONSUMED: constant(uint8) = 2

# withdrawals[id] (§5.5)
WITHDRAWAL_NONE: constant(uint8) = 0
WITHDRAWAL_VERIFIED: constant(uint8) = 1
WITHDRAWAL_EXECUTED: constant(uint8) = 2


struct Handoff:
    l2ChainId: uint256
    l2BlockNumber: uint64
    l2BlockHash: bytes32
    l2StateRoot: bytes32
    l1TargetBlockNumber: uint64
    l1ParentHash: bytes32

struct Proof:
    system: uint8
    data: Bytes[MAX_PROOF_DATA]

# An L2 block the contract knows: the settled head, the head, a slot-end block's based successor.
struct BlockRef:
    number: uint256
    hash: bytes32
    stateRoot: bytes32

# The last based block accepted, with the L1 block that accepted it and the slot-end block it builds on (the
# `basedTip()` view; stored as `_tip_l1_block`, `_tip_slot_end` and `basedSuccessor[_tip_slot_end]`).
struct BasedTip:
    l1Block: uint256
    slotEndHash: bytes32
    number: uint256
    hash: bytes32
    stateRoot: bytes32


event DepositQueued:
    depositId: indexed(bytes32)
    origin: address
    originNonce: uint256
    sender: address
    to: address
    value: uint256
    data: Bytes[MAX_MESSAGE_DATA]

event BasedBlock:
    blockHash: indexed(bytes32)
    blockNumber: uint256
    parentHash: bytes32
    postStateRoot: bytes32
    slotEndHash: bytes32
    submitter: address
    blockData: Bytes[MAX_BLOCK_DATA]

event Settled:
    blockHash: indexed(bytes32)
    blockNumber: uint256
    parentHash: bytes32
    postStateRoot: bytes32
    outboxRoot: bytes32
    blockData: Bytes[MAX_BLOCK_DATA]

event WithdrawalProven:
    withdrawalId: indexed(bytes32)
    l2BlockHash: bytes32
    index: uint256

event WithdrawalExecuted:
    withdrawalId: indexed(bytes32)
    originKey: bytes32
    originNonce: uint256
    sender: address
    to: address
    value: uint256


sequencer: public(immutable(address))
l2ChainId: public(immutable(uint256))
# §8.1: slot 0 attestation, 1 execute, 2 external; zero when not configured.
verifiers: public(immutable(address[PROOF_SYSTEMS]))
threshold: public(immutable(uint256))

settledHead: public(BlockRef)
head: public(BlockRef)
# The last based block accepted: the L1 block that accepted it and the slot-end block it builds on. The block itself
# is basedSuccessor[_tip_slot_end] (both are written together), so it is not stored twice.
_tip_l1_block: uint256
_tip_slot_end: bytes32
# Per slot-end block hash: the state root its handoff claimed, and the last based block accepted on it.
handoffStateRoot: public(HashMap[bytes32, bytes32])
basedSuccessor: public(HashMap[bytes32, BlockRef])

deposits: public(HashMap[bytes32, uint8])
depositNonce: public(HashMap[address, uint256])
withdrawals: public(HashMap[bytes32, uint8])
# The outbox root of each settled range, under the range's last block hash.
outboxRoots: public(HashMap[bytes32, bytes32])

# The L2 sender of the withdrawal executing now (EIP-1153: gone after the transaction).
_l2_sender: transient(address)


@deploy
def __init__(
    sequencer_: address,
    l2ChainId_: uint256,
    genesisHash: bytes32,
    genesisStateRoot: bytes32,
    verifiers_: address[PROOF_SYSTEMS],
    threshold_: uint256,
):
    assert sequencer_ != empty(address), "rollup: no sequencer"
    configured: uint256 = 0
    for verifier: address in verifiers_:
        if verifier != empty(address):
            configured += 1
    assert threshold_ >= 1 and threshold_ <= configured, "rollup: threshold out of range"

    sequencer = sequencer_
    l2ChainId = l2ChainId_
    verifiers = verifiers_
    threshold = threshold_

    genesis: BlockRef = BlockRef(number=0, hash=genesisHash, stateRoot=genesisStateRoot)
    self.settledHead = genesis
    self.head = genesis


# ---------------------------------------------------------------------------------------------------------------
# Deposits (§5.1)

@payable
@external
def sendToL2(to: address, data: Bytes[MAX_MESSAGE_DATA]) -> bytes32:
    """
    @notice Queues a deposit for the L2: `to` is called with `data` and `msg.value` by the L2 messenger.
    @return The deposit id (§5.1).
    """
    origin: address = tx.origin
    origin_nonce: uint256 = self.depositNonce[origin]
    self.depositNonce[origin] = origin_nonce + 1
    deposit_id: bytes32 = self._deposit_id(origin, origin_nonce, msg.sender, to, msg.value, data)
    self.deposits[deposit_id] = DEPOSIT_PENDING
    log DepositQueued(
        depositId=deposit_id,
        origin=origin,
        originNonce=origin_nonce,
        sender=msg.sender,
        to=to,
        value=msg.value,
        data=data,
    )
    return deposit_id


@view
@external
def depositId(
    origin: address, originNonce: uint256, sender: address, to: address, amount: uint256, data: Bytes[MAX_MESSAGE_DATA]
) -> bytes32:
    """@notice keccak(abi(DEPOSIT_TAG, L2_CHAIN_ID, origin, originNonce, sender, to, value, keccak(data)))."""
    return self._deposit_id(origin, originNonce, sender, to, amount, data)


@view
@external
def withdrawalId(
    originKey: bytes32, originNonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
) -> bytes32:
    """@notice keccak(abi(WITHDRAWAL_TAG, L2_CHAIN_ID, originKey, originNonce, sender, to, value, keccak(data)))."""
    return self._withdrawal_id(originKey, originNonce, sender, to, amount, data)


# ---------------------------------------------------------------------------------------------------------------
# Based submissions (§7.2, §7.3)

@external
def submitBased(
    handoff: Handoff,
    sequencerSignature: Bytes[65],
    blockHash: bytes32,
    postStateRoot: bytes32,
    depositIds: DynArray[bytes32, MAX_DEPOSITS],
    withdrawalIds: DynArray[bytes32, MAX_WITHDRAWALS],
    blockData: Bytes[MAX_BLOCK_DATA],
    proofs: DynArray[Proof, PROOF_SYSTEMS],
):
    """
    @notice Accepts a based block built on the handoff's slot-end block (or on the based block this L1 block
            already accepted on it), with proofs for its public inputs.
    """
    self._check_handoff(handoff, sequencerSignature)

    slot_end_hash: bytes32 = handoff.l2BlockHash
    parent: BlockRef = empty(BlockRef)
    chained: bool = self._tip_l1_block == block.number
    if chained:
        # One handoff per L1 block: based blocks chain on the one this block already accepted.
        assert self._tip_slot_end == slot_end_hash, "based: another handoff was used in this L1 block"
        parent = self.basedSuccessor[slot_end_hash]
    else:
        # A slot-end block is extended inside one L1 block only; a later block would fork the L2.
        assert self.basedSuccessor[slot_end_hash].hash == empty(bytes32), "based: slot-end block already extended"
        parent = BlockRef(
            number=convert(handoff.l2BlockNumber, uint256), hash=slot_end_hash, stateRoot=handoff.l2StateRoot
        )

    inputs: IProofVerifier.PublicInputs = IProofVerifier.PublicInputs(
        tag=BASED_TAG,
        l2ChainId=l2ChainId,
        parentBlockNumber=parent.number,
        parentBlockHash=parent.hash,
        parentStateRoot=parent.stateRoot,
        blockNumber=parent.number + 1,
        blockHash=blockHash,
        postStateRoot=postStateRoot,
        inboxHash=self._consume_deposits(depositIds),
        outboxRoot=self._outbox_root(withdrawalIds),
        l1BlockNumber=block.number,
        l1ParentHash=handoff.l1ParentHash,
        submitter=msg.sender,
        blockDataHash=keccak256(blockData),
    )
    # §8.1, inline rather than in an internal function: passing `blockData` and `proofs` to one would copy 512 KiB
    # of statically sized arguments into a second frame, and memory expansion is quadratic.
    systems: DynArray[uint8, PROOF_SYSTEMS] = []
    for i: uint256 in range(len(proofs), bound=PROOF_SYSTEMS):
        systems.append(proofs[i].system)
    self._check_proof_systems(systems)
    public_inputs_hash: bytes32 = keccak256(abi_encode(inputs))
    accepted: uint256 = 0
    for i: uint256 in range(len(proofs), bound=PROOF_SYSTEMS):
        if accepted >= threshold:
            break
        verifier: address = verifiers[convert(proofs[i].system, uint256)]
        size: uint256 = max(len(blockData), len(proofs[i].data))
        success: bool = False
        response: Bytes[32] = b""
        # A verifier that reverts or answers anything but true counts as false. raw_call, not a typed call: Vyper
        # sends a typed call's arguments at their maximum size, raw_call at their length. The call's buffer is
        # allocated at its type's maximum size and the returned word after it, so a call built from
        # Bytes[MAX_*_DATA] touches 128 KiB of memory whatever the data's length; data that fits a call tier goes
        # through that tier's narrower type instead (`convert` between Bytes types only checks the length).
        if size <= CALL_TIER_1:
            success, response = raw_call(
                verifier,
                abi_encode(
                    inputs, public_inputs_hash, convert(blockData, Bytes[CALL_TIER_1]),
                    convert(proofs[i].data, Bytes[CALL_TIER_1]), method_id=VERIFY_SELECTOR,
                ),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        elif size <= CALL_TIER_2:
            success, response = raw_call(
                verifier,
                abi_encode(
                    inputs, public_inputs_hash, convert(blockData, Bytes[CALL_TIER_2]),
                    convert(proofs[i].data, Bytes[CALL_TIER_2]), method_id=VERIFY_SELECTOR,
                ),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        elif size <= CALL_TIER_3:
            success, response = raw_call(
                verifier,
                abi_encode(
                    inputs, public_inputs_hash, convert(blockData, Bytes[CALL_TIER_3]),
                    convert(proofs[i].data, Bytes[CALL_TIER_3]), method_id=VERIFY_SELECTOR,
                ),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        else:
            success, response = raw_call(
                verifier,
                abi_encode(inputs, public_inputs_hash, blockData, proofs[i].data, method_id=VERIFY_SELECTOR),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        if success and len(response) == 32 and convert(response, uint256) == 1:
            accepted += 1
    assert accepted >= threshold, "proofs: below threshold"

    for withdrawal_id: bytes32 in withdrawalIds:
        # Ids are unique along one chain; never move an executed withdrawal back to VERIFIED.
        if self.withdrawals[withdrawal_id] == WITHDRAWAL_NONE:
            self.withdrawals[withdrawal_id] = WITHDRAWAL_VERIFIED

    based: BlockRef = BlockRef(number=parent.number + 1, hash=blockHash, stateRoot=postStateRoot)
    if not chained:
        self._tip_l1_block = block.number
        self._tip_slot_end = slot_end_hash
    self.basedSuccessor[slot_end_hash] = based
    self.handoffStateRoot[slot_end_hash] = handoff.l2StateRoot
    self.head = based
    log BasedBlock(
        blockHash=blockHash,
        blockNumber=based.number,
        parentHash=parent.hash,
        postStateRoot=postStateRoot,
        slotEndHash=slot_end_hash,
        submitter=msg.sender,
        blockData=blockData,
    )


# ---------------------------------------------------------------------------------------------------------------
# Settlement (§7.4)

@external
def settle(
    blockNumber: uint256,
    blockHash: bytes32,
    postStateRoot: bytes32,
    l1BlockNumber: uint256,
    depositIds: DynArray[bytes32, MAX_DEPOSITS],
    outboxRoot: bytes32,
    blockData: Bytes[MAX_BLOCK_DATA],
    proofs: DynArray[Proof, PROOF_SYSTEMS],
):
    """
    @notice Settles the range of sequenced and slot-end blocks from the settled head to `blockHash`. Permissionless:
            it needs only proofs.
    """
    settled: BlockRef = self.settledHead
    assert blockNumber > settled.number, "settle: not beyond the settled head"
    assert l1BlockNumber <= block.number, "settle: L1 block in the future"
    # BLOCKHASH sees the last 256 blocks: l1BlockNumber - 1 >= block.number - 256.
    assert l1BlockNumber >= 1 and l1BlockNumber + 255 >= block.number, "settle: L1 block too old"
    l1_parent_hash: bytes32 = blockhash(l1BlockNumber - 1)
    assert l1_parent_hash != empty(bytes32), "settle: L1 block too old"

    inputs: IProofVerifier.PublicInputs = IProofVerifier.PublicInputs(
        tag=SETTLEMENT_TAG,
        l2ChainId=l2ChainId,
        parentBlockNumber=settled.number,
        parentBlockHash=settled.hash,
        parentStateRoot=settled.stateRoot,
        blockNumber=blockNumber,
        blockHash=blockHash,
        postStateRoot=postStateRoot,
        inboxHash=self._consume_deposits(depositIds),
        outboxRoot=outboxRoot,
        l1BlockNumber=l1BlockNumber,
        l1ParentHash=l1_parent_hash,
        submitter=msg.sender,
        blockDataHash=keccak256(blockData),
    )
    # §8.1, inline rather than in an internal function: passing `blockData` and `proofs` to one would copy 512 KiB
    # of statically sized arguments into a second frame, and memory expansion is quadratic.
    systems: DynArray[uint8, PROOF_SYSTEMS] = []
    for i: uint256 in range(len(proofs), bound=PROOF_SYSTEMS):
        systems.append(proofs[i].system)
    self._check_proof_systems(systems)
    public_inputs_hash: bytes32 = keccak256(abi_encode(inputs))
    accepted: uint256 = 0
    for i: uint256 in range(len(proofs), bound=PROOF_SYSTEMS):
        if accepted >= threshold:
            break
        verifier: address = verifiers[convert(proofs[i].system, uint256)]
        size: uint256 = max(len(blockData), len(proofs[i].data))
        success: bool = False
        response: Bytes[32] = b""
        # A verifier that reverts or answers anything but true counts as false. raw_call, not a typed call: Vyper
        # sends a typed call's arguments at their maximum size, raw_call at their length. The call's buffer is
        # allocated at its type's maximum size and the returned word after it, so a call built from
        # Bytes[MAX_*_DATA] touches 128 KiB of memory whatever the data's length; data that fits a call tier goes
        # through that tier's narrower type instead (`convert` between Bytes types only checks the length).
        if size <= CALL_TIER_1:
            success, response = raw_call(
                verifier,
                abi_encode(
                    inputs, public_inputs_hash, convert(blockData, Bytes[CALL_TIER_1]),
                    convert(proofs[i].data, Bytes[CALL_TIER_1]), method_id=VERIFY_SELECTOR,
                ),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        elif size <= CALL_TIER_2:
            success, response = raw_call(
                verifier,
                abi_encode(
                    inputs, public_inputs_hash, convert(blockData, Bytes[CALL_TIER_2]),
                    convert(proofs[i].data, Bytes[CALL_TIER_2]), method_id=VERIFY_SELECTOR,
                ),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        elif size <= CALL_TIER_3:
            success, response = raw_call(
                verifier,
                abi_encode(
                    inputs, public_inputs_hash, convert(blockData, Bytes[CALL_TIER_3]),
                    convert(proofs[i].data, Bytes[CALL_TIER_3]), method_id=VERIFY_SELECTOR,
                ),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        else:
            success, response = raw_call(
                verifier,
                abi_encode(inputs, public_inputs_hash, blockData, proofs[i].data, method_id=VERIFY_SELECTOR),
                max_outsize=32, is_static_call=True, revert_on_failure=False,
            )
        if success and len(response) == 32 and convert(response, uint256) == 1:
            accepted += 1
    assert accepted >= threshold, "proofs: below threshold"

    new_settled: BlockRef = BlockRef(number=blockNumber, hash=blockHash, stateRoot=postStateRoot)
    if self.basedSuccessor[blockHash].hash != empty(bytes32):
        # Based blocks were proven against the state the handoff claimed: the proven one must be that state.
        assert postStateRoot == self.handoffStateRoot[blockHash], "settle: false handoff state root"
        new_settled = self.basedSuccessor[blockHash]
    self.settledHead = new_settled
    if new_settled.number >= self.head.number:
        self.head = new_settled
    self.outboxRoots[blockHash] = outboxRoot
    log Settled(
        blockHash=blockHash,
        blockNumber=blockNumber,
        parentHash=settled.hash,
        postStateRoot=postStateRoot,
        outboxRoot=outboxRoot,
        blockData=blockData,
    )


# ---------------------------------------------------------------------------------------------------------------
# Withdrawals (§5.5)

@external
def proveWithdrawal(l2BlockHash: bytes32, withdrawalId: bytes32, index: uint256, proof: DynArray[bytes32, MAX_OUTBOX_DEPTH]):
    """@notice Marks a withdrawal of a settled range VERIFIED by its inclusion proof in the range's outbox (§5.4)."""
    root: bytes32 = self.outboxRoots[l2BlockHash]
    assert root != empty(bytes32), "outbox: no settled outbox for that block"
    assert index < 1 << len(proof), "outbox: index beyond the proof's depth"
    assert self._fold_outbox_proof(withdrawalId, index, proof) == root, "outbox: bad proof"
    status: uint8 = self.withdrawals[withdrawalId]
    assert status != WITHDRAWAL_EXECUTED, "withdrawal: already executed"
    if status == WITHDRAWAL_NONE:
        self.withdrawals[withdrawalId] = WITHDRAWAL_VERIFIED
        log WithdrawalProven(withdrawalId=withdrawalId, l2BlockHash=l2BlockHash, index=index)


@payable
@external
def executeFromL2(
    originKey: bytes32, originNonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
):
    """
    @notice Executes a verified withdrawal: calls `to` with `data` and `amount` from the deposited ETH, with
            `l2Sender()` = `sender` during the call. A failing call reverts; the withdrawal stays executable.
    """
    withdrawal_id: bytes32 = self._withdrawal_id(originKey, originNonce, sender, to, amount, data)
    status: uint8 = self.withdrawals[withdrawal_id]
    assert status != WITHDRAWAL_EXECUTED, "withdrawal: already executed"
    assert status == WITHDRAWAL_VERIFIED, "withdrawal: not verified"
    self.withdrawals[withdrawal_id] = WITHDRAWAL_EXECUTED

    outer_sender: address = self._l2_sender
    self._l2_sender = sender
    success: bool = raw_call(to, data, value=amount, revert_on_failure=False)
    self._l2_sender = outer_sender
    assert success, "withdrawal: call failed"
    log WithdrawalExecuted(
        withdrawalId=withdrawal_id, originKey=originKey, originNonce=originNonce, sender=sender, to=to, value=amount
    )


@view
@external
def basedTip() -> BasedTip:
    """@notice The last based block accepted, the L1 block that accepted it and the slot-end block it builds on."""
    slot_end_hash: bytes32 = self._tip_slot_end
    tip: BlockRef = self.basedSuccessor[slot_end_hash]
    return BasedTip(
        l1Block=self._tip_l1_block, slotEndHash=slot_end_hash, number=tip.number, hash=tip.hash, stateRoot=tip.stateRoot
    )


@view
@external
def l2Sender() -> address:
    """@notice The L2 sender of the withdrawal executing now; the zero address outside `executeFromL2`."""
    return self._l2_sender


# ---------------------------------------------------------------------------------------------------------------
# Views for clients

@view
@external
def domainSeparator() -> bytes32:
    """@notice The EIP-712 domain separator of §3.3 (this contract is the verifying contract)."""
    return eip712.domain_separator(self)


@view
@external
def handoffDigest(handoff: Handoff) -> bytes32:
    """@notice The EIP-712 digest the sequencer signs for `handoff`."""
    return self._handoff_digest(handoff)


@pure
@external
def publicInputsHash(inputs: IProofVerifier.PublicInputs) -> bytes32:
    """@notice keccak(abi(tag, l2ChainId, …, blockDataHash)) (§6)."""
    return keccak256(abi_encode(inputs))


@pure
@external
def inboxHash(depositIds: DynArray[bytes32, MAX_DEPOSITS]) -> bytes32:
    """@notice The rolling hash of deposit ids (§5.2)."""
    rolling: bytes32 = empty(bytes32)
    for deposit_id: bytes32 in depositIds:
        rolling = keccak256(concat(rolling, deposit_id))
    return rolling


@pure
@external
def outboxRoot(withdrawalIds: DynArray[bytes32, MAX_WITHDRAWALS]) -> bytes32:
    """@notice The Merkle root of withdrawal ids (§5.4)."""
    return self._outbox_root(withdrawalIds)


# ---------------------------------------------------------------------------------------------------------------
# Internals

@view
@internal
def _deposit_id(
    origin: address, origin_nonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
) -> bytes32:
    return keccak256(
        abi_encode(DEPOSIT_TAG, l2ChainId, origin, origin_nonce, sender, to, amount, keccak256(data))
    )


@view
@internal
def _withdrawal_id(
    origin_key: bytes32, origin_nonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
) -> bytes32:
    return keccak256(
        abi_encode(WITHDRAWAL_TAG, l2ChainId, origin_key, origin_nonce, sender, to, amount, keccak256(data))
    )


@view
@internal
def _handoff_digest(handoff: Handoff) -> bytes32:
    struct_hash: bytes32 = keccak256(
        abi_encode(
            HANDOFF_TYPEHASH,
            handoff.l2ChainId,
            handoff.l2BlockNumber,
            handoff.l2BlockHash,
            handoff.l2StateRoot,
            handoff.l1TargetBlockNumber,
            handoff.l1ParentHash,
        )
    )
    return eip712.digest(self, struct_hash)


@view
@internal
def _check_handoff(handoff: Handoff, signature: Bytes[65]):
    """§7.2."""
    assert len(signature) == 65, "handoff: signature is not 65 bytes"
    signer: address = eip712.recover(
        self._handoff_digest(handoff),
        extract32(signature, 0, output_type=uint256),
        extract32(signature, 32, output_type=uint256),
        convert(slice(signature, 64, 1), uint256),
    )
    assert signer == sequencer and signer != empty(address), "handoff: wrong signer"
    assert handoff.l2ChainId == l2ChainId, "handoff: wrong L2 chain"
    assert convert(handoff.l1TargetBlockNumber, uint256) == block.number, "handoff: wrong L1 block"
    assert blockhash(block.number - 1) == handoff.l1ParentHash, "handoff: wrong L1 parent"
    assert convert(handoff.l2BlockNumber, uint256) >= self.settledHead.number, "handoff: behind the settled head"


@internal
def _consume_deposits(deposit_ids: DynArray[bytes32, MAX_DEPOSITS]) -> bytes32:
    """Marks each id CONSUMED (each must be PENDING) and returns their rolling hash (§5.2)."""
    rolling: bytes32 = empty(bytes32)
    for deposit_id: bytes32 in deposit_ids:
        status: uint8 = self.deposits[deposit_id]
        assert status != DEPOSIT_NONE, "deposit: never sent"
        assert status == DEPOSIT_PENDING, "deposit: already consumed"
        self.deposits[deposit_id] = DEPOSIT_CONSUMED
        rolling = keccak256(concat(rolling, deposit_id))
    return rolling


@pure
@internal
def _outbox_root(layer: DynArray[bytes32, MAX_WITHDRAWALS]) -> bytes32:
    """
    §5.4: zero for no leaves; else the leaves padded with zero words to 2^d, hashed pairwise. It hashes in place in
    its argument (a copy of the caller's leaves), so the frame holds one array of leaves, not two.
    """
    count: uint256 = len(layer)
    if count == 0:
        return empty(bytes32)
    width: uint256 = 1
    for _: uint256 in range(7):
        if width >= count:
            break
        width <<= 1
    for _: uint256 in range(width - count, bound=MAX_WITHDRAWALS):
        layer.append(empty(bytes32))
    for _: uint256 in range(6):
        if width == 1:
            break
        width >>= 1
        for i: uint256 in range(width, bound=MAX_WITHDRAWALS // 2):
            layer[i] = keccak256(concat(layer[2 * i], layer[2 * i + 1]))
    return layer[0]


@pure
@internal
def _fold_outbox_proof(leaf: bytes32, index: uint256, siblings: DynArray[bytes32, MAX_OUTBOX_DEPTH]) -> bytes32:
    node: bytes32 = leaf
    position: uint256 = index
    for sibling: bytes32 in siblings:
        if position & 1 == 0:
            node = keccak256(concat(node, sibling))
        else:
            node = keccak256(concat(sibling, node))
        position >>= 1
    return node


@view
@internal
def _check_proof_systems(systems: DynArray[uint8, PROOF_SYSTEMS]):
    """§8.1: each system at most once, and configured."""
    seen: uint256 = 0
    for system_id: uint8 in systems:
        system: uint256 = convert(system_id, uint256)
        assert system < PROOF_SYSTEMS, "proofs: unknown system"
        assert seen & (1 << system) == 0, "proofs: repeated system"
        seen |= 1 << system
        assert verifiers[system] != empty(address), "proofs: system not configured"
