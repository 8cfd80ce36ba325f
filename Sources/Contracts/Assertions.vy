# pragma version 0.4.3
"""
@title Assertions
@notice Post-assertions for cross-layer bundles: a call that reverts, with the reason, unless a balance reached a
        minimum. Put last in a bundle's L1 (or L2) transactions, it makes the whole bundle land only if the bundle
        achieved what its sender wanted (`lockstep demo` uses it on L1).
"""

from ethereum.ercs import IERC20


@view
@external
def tokenBalanceAtLeast(token: address, account: address, minimum: uint256) -> uint256:
    """@notice Reverts unless `account` holds at least `minimum` of `token`; returns the balance."""
    balance: uint256 = staticcall IERC20(token).balanceOf(account)
    assert balance >= minimum, "assertion: token balance below minimum"
    return balance


@view
@external
def balanceAtLeast(account: address, minimum: uint256) -> uint256:
    """@notice Reverts unless `account` holds at least `minimum` wei; returns the balance."""
    assert account.balance >= minimum, "assertion: balance below minimum"
    return account.balance

