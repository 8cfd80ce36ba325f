# pragma version 0.4.3
"""
@title L2 messenger (L2 predeploy at 0x1000…0001)
@notice Specs/protocol.md §5: relays deposits from L1 (system calls, §4 step 2) and emits withdrawals to L1.
        Deployed as runtime code in the L2 genesis: no constructor, no immutables; the L2 chain id is chain.id.
        `relayDeposit` never reverts on a well-formed system call of a deposit not relayed before: a failing
        target keeps its value here and the deposit can be retried.
"""

SYSTEM_ADDRESS: constant(address) = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE
MAX_MESSAGE_DATA: constant(uint256) = 4096
DEPOSIT_CALL_GAS: constant(uint256) = 1_000_000

DEPOSIT_TAG: constant(bytes32) = keccak256("Lockstep.Deposit.v1")
WITHDRAWAL_TAG: constant(bytes32) = keccak256("Lockstep.Withdrawal.v1")


event DepositRelayed:
    depositId: indexed(bytes32)
    success: bool

event SentToL1:
    withdrawalId: indexed(bytes32)
    originKey: bytes32
    originNonce: uint256
    sender: address
    to: address
    value: uint256
    data: Bytes[MAX_MESSAGE_DATA]


# Deposits relayed at least once, and those whose call failed and may be retried.
relayed: public(HashMap[bytes32, bool])
failedDeposits: public(HashMap[bytes32, bool])
withdrawalNonce: public(HashMap[bytes32, uint256])

# The deposit being delivered and its L1 sender (EIP-1153: gone after the transaction).
_relaying_deposit_id: transient(bytes32)
_x_domain_sender: transient(address)


@external
def relayDeposit(
    origin: address, originNonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
):
    """
    @notice Delivers a deposit: calls `to` with `data`, `amount` and DEPOSIT_CALL_GAS gas, with
            xDomainMessageSender() = `sender`. Only SYSTEM_ADDRESS; the state minted `amount` to this contract first.
    """
    assert msg.sender == SYSTEM_ADDRESS, "messenger: only the system address"
    deposit_id: bytes32 = self._deposit_id(origin, originNonce, sender, to, amount, data)
    assert not self.relayed[deposit_id], "messenger: deposit already relayed"
    self.relayed[deposit_id] = True
    success: bool = self._deliver(deposit_id, sender, to, amount, data, DEPOSIT_CALL_GAS)
    if not success:
        self.failedDeposits[deposit_id] = True
    log DepositRelayed(depositId=deposit_id, success=success)


@external
def retryDeposit(
    origin: address, originNonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
):
    """@notice Delivers a failed deposit again with the caller's gas; succeeds at most once, reverts if the call fails."""
    deposit_id: bytes32 = self._deposit_id(origin, originNonce, sender, to, amount, data)
    assert self.failedDeposits[deposit_id], "messenger: deposit not failed"
    self.failedDeposits[deposit_id] = False
    assert self._deliver(deposit_id, sender, to, amount, data, msg.gas), "messenger: deposit call failed"
    log DepositRelayed(depositId=deposit_id, success=True)


@payable
@external
def sendToL1(to: address, data: Bytes[MAX_MESSAGE_DATA]) -> bytes32:
    """
    @notice Emits a withdrawal to L1: `to` is called with `data` and `msg.value` by the Rollup contract once the
            withdrawal is proven. The value stays here.
    @return The withdrawal id (§5.3).
    """
    origin_key: bytes32 = self._relaying_deposit_id
    if origin_key == empty(bytes32):
        origin_key = convert(tx.origin, bytes32)
    origin_nonce: uint256 = self.withdrawalNonce[origin_key]
    self.withdrawalNonce[origin_key] = origin_nonce + 1
    withdrawal_id: bytes32 = self._withdrawal_id(origin_key, origin_nonce, msg.sender, to, msg.value, data)
    log SentToL1(
        withdrawalId=withdrawal_id,
        originKey=origin_key,
        originNonce=origin_nonce,
        sender=msg.sender,
        to=to,
        value=msg.value,
        data=data,
    )
    return withdrawal_id


@view
@external
def xDomainMessageSender() -> address:
    """@notice The L1 sender of the deposit being delivered; the zero address outside a delivery."""
    return self._x_domain_sender


@view
@external
def relayingDepositId() -> bytes32:
    """@notice The id of the deposit being delivered; zero outside a delivery."""
    return self._relaying_deposit_id


@view
@external
def depositId(
    origin: address, originNonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
) -> bytes32:
    """@notice keccak(abi(DEPOSIT_TAG, chain.id, origin, originNonce, sender, to, value, keccak(data)))."""
    return self._deposit_id(origin, originNonce, sender, to, amount, data)


@view
@external
def withdrawalId(
    originKey: bytes32, originNonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
) -> bytes32:
    """@notice keccak(abi(WITHDRAWAL_TAG, chain.id, originKey, originNonce, sender, to, value, keccak(data)))."""
    return self._withdrawal_id(originKey, originNonce, sender, to, amount, data)


@internal
def _deliver(
    deposit_id: bytes32, sender: address, to: address, amount: uint256, data: Bytes[MAX_MESSAGE_DATA], call_gas: uint256
) -> bool:
    outer_deposit_id: bytes32 = self._relaying_deposit_id
    outer_sender: address = self._x_domain_sender
    self._relaying_deposit_id = deposit_id
    self._x_domain_sender = sender
    success: bool = raw_call(to, data, value=amount, gas=call_gas, revert_on_failure=False)
    self._relaying_deposit_id = outer_deposit_id
    self._x_domain_sender = outer_sender
    return success


@view
@internal
def _deposit_id(
    origin: address, origin_nonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
) -> bytes32:
    return keccak256(abi_encode(DEPOSIT_TAG, chain.id, origin, origin_nonce, sender, to, amount, keccak256(data)))


@view
@internal
def _withdrawal_id(
    origin_key: bytes32, origin_nonce: uint256, sender: address, to: address, amount: uint256,
    data: Bytes[MAX_MESSAGE_DATA],
) -> bytes32:
    return keccak256(
        abi_encode(WITHDRAWAL_TAG, chain.id, origin_key, origin_nonce, sender, to, amount, keccak256(data))
    )
