# pragma version 0.4.3
"""
@title Demo token (L1)
@notice A plain ERC-20 whose whole supply is minted to the deployer; the token the demo bridge locks.
"""

import modules.ERC20 as erc20

initializes: erc20
exports: erc20.__interface__


@deploy
def __init__(name: String[32], symbol: String[16], supply: uint256):
    erc20.__init__(name, symbol, 18)
    erc20._mint(msg.sender, supply)
