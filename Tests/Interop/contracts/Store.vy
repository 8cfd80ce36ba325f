# pragma version ^0.4.0
# A small contract for the L1 devnet's web3.py suite: storage, an indexed event, a revert with a reason, and a payable
# function that forwards ether to the block's coinbase (what a searcher's bundle does to pay the builder).

event Stored:
    setter: indexed(address)
    value: uint256

value: public(uint256)
owner: public(address)


@deploy
def __init__(initial: uint256):
    self.value = initial
    self.owner = msg.sender


@external
def store(new_value: uint256):
    assert new_value != 13, "unlucky number"
    self.value = new_value
    log Stored(setter=msg.sender, value=new_value)


@external
@payable
def tip_coinbase():
    send(block.coinbase, msg.value)
