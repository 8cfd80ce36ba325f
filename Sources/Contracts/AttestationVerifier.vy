# pragma version 0.4.3
"""
@title Lockstep attestation verifier (proof system 0)
@notice Specs/protocol.md §8.2: a proof is the concatenation of 65-byte EIP-712 signatures of
        Attestation{publicInputsHash} in the Rollup contract's domain, ordered by strictly increasing signer address.
        It verifies when at least `threshold` configured signers signed and every signature is valid.
"""

import IProofVerifier
import modules.LockstepEIP712 as eip712

implements: IProofVerifier

MAX_SIGNERS: constant(uint256) = 16
MAX_BLOCK_DATA: constant(uint256) = 65536
MAX_PROOF_DATA: constant(uint256) = 65536
SIGNATURE_LENGTH: constant(uint256) = 65
MAX_SIGNATURES: constant(uint256) = MAX_PROOF_DATA // SIGNATURE_LENGTH

ATTESTATION_TYPEHASH: constant(bytes32) = keccak256("Attestation(bytes32 publicInputsHash)")

# The Rollup contract whose EIP-712 domain the attestations are signed in.
rollup: public(immutable(address))
threshold: public(immutable(uint256))
signers: public(DynArray[address, MAX_SIGNERS])
isSigner: public(HashMap[address, bool])


@deploy
def __init__(rollup_: address, signers_: DynArray[address, MAX_SIGNERS], threshold_: uint256):
    assert rollup_ != empty(address), "attestation: no rollup"
    assert threshold_ >= 1 and threshold_ <= len(signers_), "attestation: threshold out of range"
    for signer: address in signers_:
        assert signer != empty(address), "attestation: zero signer"
        assert not self.isSigner[signer], "attestation: repeated signer"
        self.isSigner[signer] = True
    self.signers = signers_
    rollup = rollup_
    threshold = threshold_


@view
@external
def attestationDigest(publicInputsHash: bytes32) -> bytes32:
    """@notice The EIP-712 digest a prover signs for `publicInputsHash`."""
    return self._attestation_digest(publicInputsHash)


@view
@external
def verify(
    inputs: IProofVerifier.PublicInputs,
    publicInputsHash: bytes32,
    blockData: Bytes[MAX_BLOCK_DATA],
    proof: Bytes[MAX_PROOF_DATA],
) -> bool:
    """@notice True when `proof` holds valid signatures of at least `threshold` distinct configured signers."""
    if len(proof) == 0 or len(proof) % SIGNATURE_LENGTH != 0:
        return False
    digest: bytes32 = self._attestation_digest(publicInputsHash)
    count: uint256 = len(proof) // SIGNATURE_LENGTH
    previous: uint256 = 0
    for i: uint256 in range(count, bound=MAX_SIGNATURES):
        offset: uint256 = i * SIGNATURE_LENGTH
        signer: address = eip712.recover(
            digest,
            extract32(proof, offset, output_type=uint256),
            extract32(proof, offset + 32, output_type=uint256),
            convert(slice(proof, offset + 64, 1), uint256),
        )
        # Strictly increasing addresses make every signer count once.
        if signer == empty(address) or not self.isSigner[signer] or convert(signer, uint256) <= previous:
            return False
        previous = convert(signer, uint256)
    return count >= threshold


@view
@internal
def _attestation_digest(public_inputs_hash: bytes32) -> bytes32:
    return eip712.digest(rollup, keccak256(abi_encode(ATTESTATION_TYPEHASH, public_inputs_hash)))
