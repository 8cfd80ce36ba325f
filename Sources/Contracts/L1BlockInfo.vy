# pragma version 0.4.3
"""
@title L1 block info (L2 predeploy at 0x1000…0002)
@notice Specs/protocol.md §4 step 1 and §4.3: the L1 anchor of the current L2 block, set by a system call before
        the block's deposits and transactions. Deployed as runtime code in the L2 genesis: no constructor, no
        immutables. It never reverts on a call from SYSTEM_ADDRESS; the node checks that anchors do not decrease.
"""

SYSTEM_ADDRESS: constant(address) = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE

anchorNumber: public(uint256)
anchorHash: public(bytes32)
# The hash of every anchor ever set, by L1 block number.
anchorHashOf: public(HashMap[uint256, bytes32])


@external
def setAnchor(l1AnchorNumber: uint256, l1AnchorHash: bytes32):
    """@notice Records the L1 anchor (number, hash) of the block being executed. Only SYSTEM_ADDRESS."""
    assert msg.sender == SYSTEM_ADDRESS, "anchor: only the system address"
    self.anchorNumber = l1AnchorNumber
    self.anchorHash = l1AnchorHash
    self.anchorHashOf[l1AnchorNumber] = l1AnchorHash
