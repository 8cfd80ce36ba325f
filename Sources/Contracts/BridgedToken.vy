# pragma version 0.4.3
"""
@title Bridged token (L2)
@notice The L2 side of the demo bridge: minted only by deposits the L1 vault sent through the L2 messenger;
        `withdraw` burns and sends a release message to the vault (Specs/protocol.md §5).
"""

import modules.ERC20 as erc20

initializes: erc20
exports: erc20.__interface__

interface IL2Messenger:
    def sendToL1(to: address, data: Bytes[4096]) -> bytes32: payable
    def xDomainMessageSender() -> address: view

event Withdrawn:
    owner: indexed(address)
    to: address
    amount: uint256
    withdrawalId: bytes32

messenger: public(immutable(address))
l1Vault: public(immutable(address))


@deploy
def __init__(name: String[32], symbol: String[16], messenger_: address, l1Vault_: address):
    erc20.__init__(name, symbol, 18)
    messenger = messenger_
    l1Vault = l1Vault_


@external
def mint(to: address, amount: uint256):
    """@notice Mints for a deposit of the L1 vault; only through the messenger."""
    assert msg.sender == messenger, "bridged: only the messenger"
    assert staticcall IL2Messenger(messenger).xDomainMessageSender() == l1Vault, "bridged: not from the L1 vault"
    erc20._mint(to, amount)


@external
def withdraw(to: address, amount: uint256) -> bytes32:
    """
    @notice Burns `amount` of the caller's tokens and asks the L1 vault to release as many to `to`.
    @return The withdrawal id.
    """
    erc20._burn(msg.sender, amount)
    withdrawal_id: bytes32 = extcall IL2Messenger(messenger).sendToL1(
        l1Vault, abi_encode(to, amount, method_id=method_id("release(address,uint256)"))
    )
    log Withdrawn(owner=msg.sender, to=to, amount=amount, withdrawalId=withdrawal_id)
    return withdrawal_id
