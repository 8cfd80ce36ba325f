# pragma version 0.4.3
"""
@title Lockstep EIP-712
@notice The typed-data domain and signature rules of Specs/protocol.md §3.3, shared by the Rollup contract (handoffs)
        and the attestation verifier (attestations). Stateless: import it, no `initializes` needed.
"""

DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
NAME_HASH: constant(bytes32) = keccak256("Lockstep")
VERSION_HASH: constant(bytes32) = keccak256("1")

# EIP-2: a signature's s must be in the lower half of the secp256k1 order.
SECP256K1N_HALF: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168


@internal
@view
def domain_separator(verifying_contract: address) -> bytes32:
    """The domain {name "Lockstep", version "1", chainId = this chain, verifyingContract} (§3.3)."""
    return keccak256(abi_encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chain.id, verifying_contract))


@internal
@view
def digest(verifying_contract: address, struct_hash: bytes32) -> bytes32:
    """keccak(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message))."""
    return keccak256(concat(x"1901", self.domain_separator(verifying_contract), struct_hash))


@internal
@pure
def recover(digest: bytes32, r: uint256, s: uint256, v: uint256) -> address:
    """
    The signer of `digest`, or the zero address when the signature is not valid under §3.3
    (v not 27 or 28, s above secp256k1n/2, or no key recovers).
    """
    if v != 27 and v != 28:
        return empty(address)
    if r == 0 or s == 0 or s > SECP256K1N_HALF:
        return empty(address)
    return ecrecover(digest, v, r, s)
