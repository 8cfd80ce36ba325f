# pragma version 0.4.3
"""
@title Token vault (L1)
@notice The L1 side of the demo bridge: locks a token and sends a deposit that mints it on the L2's bridged
        token; releases it when the Rollup contract executes a withdrawal whose L2 sender is that token.
"""

from ethereum.ercs import IERC20

interface IRollup:
    def sendToL2(to: address, data: Bytes[4096]) -> bytes32: payable
    def l2Sender() -> address: view

event Locked:
    sender: indexed(address)
    l2Recipient: address
    amount: uint256
    depositId: bytes32

event Released:
    to: indexed(address)
    amount: uint256

token: public(immutable(address))
rollup: public(immutable(address))
deployer: immutable(address)
# The bridged token on the L2, set once by the deployer (it is deployed knowing this vault's address).
l2Token: public(address)


@deploy
def __init__(token_: address, rollup_: address):
    token = token_
    rollup = rollup_
    deployer = msg.sender


@external
def setL2Token(l2Token_: address):
    """@notice Binds the vault to its L2 token; once, by the deployer."""
    assert msg.sender == deployer, "vault: only the deployer"
    assert self.l2Token == empty(address), "vault: L2 token already set"
    assert l2Token_ != empty(address), "vault: zero L2 token"
    self.l2Token = l2Token_


@external
def deposit(amount: uint256, l2Recipient: address) -> bytes32:
    """
    @notice Locks `amount` of the caller's tokens (approved to this vault) and mints as many to `l2Recipient` on L2.
    @return The deposit id.
    """
    l2_token: address = self.l2Token
    assert l2_token != empty(address), "vault: L2 token not set"
    assert extcall IERC20(token).transferFrom(msg.sender, self, amount, default_return_value=True)
    deposit_id: bytes32 = extcall IRollup(rollup).sendToL2(
        l2_token, abi_encode(l2Recipient, amount, method_id=method_id("mint(address,uint256)"))
    )
    log Locked(sender=msg.sender, l2Recipient=l2Recipient, amount=amount, depositId=deposit_id)
    return deposit_id


@external
def release(to: address, amount: uint256):
    """@notice Releases tokens for a withdrawal of the L2 token; only from the Rollup contract's executeFromL2."""
    assert msg.sender == rollup, "vault: only the rollup"
    assert staticcall IRollup(rollup).l2Sender() == self.l2Token, "vault: not from the L2 token"
    assert extcall IERC20(token).transfer(to, amount, default_return_value=True)
    log Released(to=to, amount=amount)
