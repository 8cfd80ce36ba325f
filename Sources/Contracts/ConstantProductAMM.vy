# pragma version 0.4.3
"""
@title Constant-product AMM (L1 and L2)
@notice An ETH/token pool with x·y = k and a 0.3% fee on the input. Reserves are tracked, not read from balances,
        so a donation does not move the price.
"""

from ethereum.ercs import IERC20

FEE_NUMERATOR: constant(uint256) = 997
FEE_DENOMINATOR: constant(uint256) = 1000

event LiquidityAdded:
    provider: indexed(address)
    ethAmount: uint256
    tokenAmount: uint256
    shares: uint256

event LiquidityRemoved:
    provider: indexed(address)
    ethAmount: uint256
    tokenAmount: uint256
    shares: uint256

event Swap:
    sender: indexed(address)
    to: indexed(address)
    ethIn: uint256
    tokenIn: uint256
    ethOut: uint256
    tokenOut: uint256

token: public(immutable(address))
ethReserve: public(uint256)
tokenReserve: public(uint256)
totalShares: public(uint256)
shares: public(HashMap[address, uint256])


@deploy
def __init__(token_: address):
    token = token_


@payable
@external
@nonreentrant
def addLiquidity(maxTokens: uint256) -> uint256:
    """
    @notice Adds `msg.value` wei and the matching tokens (all of `maxTokens` for the first deposit, which sets the
            price; otherwise at the pool's ratio, rounded up, at most `maxTokens`).
    @return The shares minted.
    """
    assert msg.value > 0, "amm: no ETH"
    eth_reserve: uint256 = self.ethReserve
    token_reserve: uint256 = self.tokenReserve
    token_amount: uint256 = maxTokens
    minted: uint256 = msg.value
    if self.totalShares > 0:
        token_amount = msg.value * token_reserve // eth_reserve + 1
        minted = msg.value * self.totalShares // eth_reserve
    assert token_amount > 0 and token_amount <= maxTokens, "amm: token amount above maxTokens"
    assert extcall IERC20(token).transferFrom(msg.sender, self, token_amount, default_return_value=True)
    self.ethReserve = eth_reserve + msg.value
    self.tokenReserve = token_reserve + token_amount
    self.totalShares += minted
    self.shares[msg.sender] += minted
    log LiquidityAdded(provider=msg.sender, ethAmount=msg.value, tokenAmount=token_amount, shares=minted)
    return minted


@external
@nonreentrant
def removeLiquidity(amount: uint256, minEth: uint256, minTokens: uint256) -> (uint256, uint256):
    """@notice Burns `amount` shares for their part of both reserves."""
    assert amount > 0 and amount <= self.shares[msg.sender], "amm: not enough shares"
    total: uint256 = self.totalShares
    eth_out: uint256 = amount * self.ethReserve // total
    token_out: uint256 = amount * self.tokenReserve // total
    assert eth_out >= minEth and token_out >= minTokens, "amm: below minimum"
    self.shares[msg.sender] -= amount
    self.totalShares = total - amount
    self.ethReserve -= eth_out
    self.tokenReserve -= token_out
    assert extcall IERC20(token).transfer(msg.sender, token_out, default_return_value=True)
    raw_call(msg.sender, b"", value=eth_out)
    log LiquidityRemoved(provider=msg.sender, ethAmount=eth_out, tokenAmount=token_out, shares=amount)
    return eth_out, token_out


@payable
@external
@nonreentrant
def swapEthForToken(minOut: uint256, to: address) -> uint256:
    """@notice Swaps `msg.value` wei for tokens sent to `to`; reverts below `minOut`."""
    token_out: uint256 = self._amount_out(msg.value, self.ethReserve, self.tokenReserve)
    assert token_out > 0, "amm: zero output"
    assert token_out >= minOut, "amm: output below minOut"
    self.ethReserve += msg.value
    self.tokenReserve -= token_out
    assert extcall IERC20(token).transfer(to, token_out, default_return_value=True)
    log Swap(sender=msg.sender, to=to, ethIn=msg.value, tokenIn=0, ethOut=0, tokenOut=token_out)
    return token_out


@external
@nonreentrant
def swapTokenForEth(amountIn: uint256, minOut: uint256, to: address) -> uint256:
    """@notice Swaps `amountIn` tokens (approved to the pool) for wei sent to `to`; reverts below `minOut`."""
    eth_out: uint256 = self._amount_out(amountIn, self.tokenReserve, self.ethReserve)
    assert eth_out > 0, "amm: zero output"
    assert eth_out >= minOut, "amm: output below minOut"
    assert extcall IERC20(token).transferFrom(msg.sender, self, amountIn, default_return_value=True)
    self.tokenReserve += amountIn
    self.ethReserve -= eth_out
    raw_call(to, b"", value=eth_out)
    log Swap(sender=msg.sender, to=to, ethIn=0, tokenIn=amountIn, ethOut=eth_out, tokenOut=0)
    return eth_out


@pure
@external
def getAmountOut(amountIn: uint256, reserveIn: uint256, reserveOut: uint256) -> uint256:
    """@notice The output of a swap of `amountIn` against the reserves, after the 0.3% fee."""
    return self._amount_out(amountIn, reserveIn, reserveOut)


@view
@external
def getEthToTokenOut(ethIn: uint256) -> uint256:
    """@notice Tokens a swap of `ethIn` wei returns now."""
    return self._amount_out(ethIn, self.ethReserve, self.tokenReserve)


@view
@external
def getTokenToEthOut(tokenIn: uint256) -> uint256:
    """@notice Wei a swap of `tokenIn` tokens returns now."""
    return self._amount_out(tokenIn, self.tokenReserve, self.ethReserve)


@pure
@internal
def _amount_out(amount_in: uint256, reserve_in: uint256, reserve_out: uint256) -> uint256:
    if amount_in == 0 or reserve_in == 0 or reserve_out == 0:
        return 0
    amount_in_with_fee: uint256 = amount_in * FEE_NUMERATOR
    return amount_in_with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + amount_in_with_fee)
