# pragma version 0.4.3
"""
@title Lockstep external verifier slot (proof system 2): a TEST STAND-IN, not a zero-knowledge verifier
@notice Specs/protocol.md §8.4: verifier slot 2 takes an external proof system (a zk verifier implementing
        IProofVerifier). This contract is what the harness puts there to exercise the path end to end, and it says so:
        a proof is one 65-byte EIP-712 signature of ExternalProof{publicInputsHash} in the Rollup contract's domain
        by the configured test prover, which signs only after re-executing the blocks statelessly. It proves nothing
        by itself; never deploy it where a real proof system is meant.
"""

import IProofVerifier
import modules.LockstepEIP712 as eip712

implements: IProofVerifier

MAX_BLOCK_DATA: constant(uint256) = 65536
MAX_PROOF_DATA: constant(uint256) = 65536
SIGNATURE_LENGTH: constant(uint256) = 65

EXTERNAL_PROOF_TYPEHASH: constant(bytes32) = keccak256("ExternalProof(bytes32 publicInputsHash)")

# The Rollup contract whose EIP-712 domain the test prover signs in.
rollup: public(immutable(address))
# The test prover's address.
prover: public(immutable(address))
# True: this verifier checks a signature, not a zero-knowledge proof.
isTestStandIn: public(constant(bool)) = True


@deploy
def __init__(rollup_: address, prover_: address):
    assert rollup_ != empty(address), "external: no rollup"
    assert prover_ != empty(address), "external: no prover"
    rollup = rollup_
    prover = prover_


@view
@external
def proofDigest(publicInputsHash: bytes32) -> bytes32:
    """@notice The EIP-712 digest the test prover signs for `publicInputsHash`."""
    return self._digest(publicInputsHash)


@view
@external
def verify(
    inputs: IProofVerifier.PublicInputs,
    publicInputsHash: bytes32,
    blockData: Bytes[MAX_BLOCK_DATA],
    proof: Bytes[MAX_PROOF_DATA],
) -> bool:
    """@notice True when `proof` is the test prover's valid signature over `publicInputsHash`."""
    if len(proof) != SIGNATURE_LENGTH:
        return False
    signer: address = eip712.recover(
        self._digest(publicInputsHash),
        extract32(proof, 0, output_type=uint256),
        extract32(proof, 32, output_type=uint256),
        convert(slice(proof, 64, 1), uint256),
    )
    return signer != empty(address) and signer == prover


@view
@internal
def _digest(public_inputs_hash: bytes32) -> bytes32:
    return eip712.digest(rollup, keccak256(abi_encode(EXTERNAL_PROOF_TYPEHASH, public_inputs_hash)))
