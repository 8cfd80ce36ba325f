"""An independent Python implementation of the Lockstep protocol v1 encodings (Specs/protocol.md).

Written from the spec alone, with eth-utils keccak, eth-abi and eth-account's `encode_typed_data`, so that the
contracts and the Swift code can both be checked against it: message ids (§5.1, §5.3), the inbox rolling hash
(§5.2), the outbox Merkle tree (§5.4), the public inputs hash (§6) and the EIP-712 digests and signatures (§3.3).
"""
from dataclasses import astuple, dataclass

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

# §1
L1_CHAIN_ID = 31337
L2_CHAIN_ID = 313370
SYSTEM_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe"
L2_MESSENGER = "0x1000000000000000000000000000000000000001"
L1_BLOCK_INFO = "0x1000000000000000000000000000000000000002"
EXECUTE_PRECOMPILE = "0x0000000000000000000000000000000000000101"
MAX_MESSAGE_DATA = 4096
DEPOSIT_CALL_GAS = 1_000_000


def tag(text: str) -> bytes:
    return keccak(text.encode())


DEPOSIT_TAG = tag("Lockstep.Deposit.v1")
WITHDRAWAL_TAG = tag("Lockstep.Withdrawal.v1")
BASED_TAG = tag("Lockstep.PublicInputs.Based.v1")
SETTLEMENT_TAG = tag("Lockstep.PublicInputs.Settlement.v1")

ZERO32 = b"\x00" * 32

# Development accounts of the `test test … junk` mnemonic (§1: harness and dev mode only).
DEV_MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()


def dev_account(index: int):
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


SEQUENCER = dev_account(9)
BUILDER = dev_account(8)
PROVERS = [dev_account(7), dev_account(6), dev_account(5)]
assert SEQUENCER.key.hex().removeprefix("0x") == "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"
assert SEQUENCER.address == "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"


# §5.1, §5.3
def deposit_id(origin, origin_nonce, sender, to, value, data, l2_chain_id=L2_CHAIN_ID) -> bytes:
    return keccak(abi_encode(
        ["bytes32", "uint256", "address", "uint256", "address", "address", "uint256", "bytes32"],
        [DEPOSIT_TAG, l2_chain_id, origin, origin_nonce, sender, to, value, keccak(data)],
    ))


def withdrawal_id(origin_key, origin_nonce, sender, to, value, data, l2_chain_id=L2_CHAIN_ID) -> bytes:
    return keccak(abi_encode(
        ["bytes32", "uint256", "bytes32", "uint256", "address", "address", "uint256", "bytes32"],
        [WITHDRAWAL_TAG, l2_chain_id, origin_key, origin_nonce, sender, to, value, keccak(data)],
    ))


def origin_key_of(address: str) -> bytes:
    """bytes32(tx.origin): the address left-padded with zeros."""
    return bytes(12) + bytes.fromhex(address.removeprefix("0x"))


# §5.2
def inbox_hash(ids) -> bytes:
    rolling = ZERO32
    for i in ids:
        rolling = keccak(rolling + i)
    return rolling


# §5.4
def _outbox_levels(leaves):
    width = 1
    while width < len(leaves):
        width *= 2
    level = list(leaves) + [ZERO32] * (width - len(leaves))
    levels = [level]
    while len(level) > 1:
        level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def outbox_root(leaves) -> bytes:
    if not leaves:
        return ZERO32
    return _outbox_levels(leaves)[-1][0]


def outbox_proof(leaves, index):
    """The sibling hashes of leaf `index` from the leaf level up."""
    proof = []
    position = index
    for level in _outbox_levels(leaves)[:-1]:
        proof.append(level[position ^ 1])
        position //= 2
    return proof


def verify_outbox_proof(root, leaf, index, proof) -> bool:
    node = leaf
    for k, sibling in enumerate(proof):
        node = keccak(node + sibling) if (index >> k) & 1 == 0 else keccak(sibling + node)
    return node == root


# §6
@dataclass
class PublicInputs:
    tag: bytes
    l2ChainId: int
    parentBlockNumber: int
    parentBlockHash: bytes
    parentStateRoot: bytes
    blockNumber: int
    blockHash: bytes
    postStateRoot: bytes
    inboxHash: bytes
    outboxRoot: bytes
    l1BlockNumber: int
    l1ParentHash: bytes
    submitter: str
    blockDataHash: bytes

    TYPES = ["bytes32", "uint256", "uint256", "bytes32", "bytes32", "uint256", "bytes32", "bytes32", "bytes32",
             "bytes32", "uint256", "bytes32", "address", "bytes32"]

    def as_tuple(self):
        return astuple(self)

    def hash(self) -> bytes:
        return keccak(abi_encode(self.TYPES, list(self.as_tuple())))


# §3.3
def domain(verifying_contract: str, chain_id: int = L1_CHAIN_ID) -> dict:
    return {"name": "Lockstep", "version": "1", "chainId": chain_id,
            "verifyingContract": to_checksum_address(verifying_contract)}


DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
HANDOFF_TYPE = [
    {"name": "l2ChainId", "type": "uint256"},
    {"name": "l2BlockNumber", "type": "uint64"},
    {"name": "l2BlockHash", "type": "bytes32"},
    {"name": "l2StateRoot", "type": "bytes32"},
    {"name": "l1TargetBlockNumber", "type": "uint64"},
    {"name": "l1ParentHash", "type": "bytes32"},
]
SEQUENCED_BLOCK_TYPE = [
    {"name": "l2ChainId", "type": "uint256"},
    {"name": "l2BlockNumber", "type": "uint64"},
    {"name": "l2BlockHash", "type": "bytes32"},
]
ATTESTATION_TYPE = [{"name": "publicInputsHash", "type": "bytes32"}]


def _typed(primary: str, fields: list, message: dict, verifying_contract: str, chain_id: int):
    return encode_typed_data(full_message={
        "types": {"EIP712Domain": DOMAIN_TYPE, primary: fields},
        "primaryType": primary,
        "domain": domain(verifying_contract, chain_id),
        "message": message,
    })


def domain_separator(verifying_contract: str, chain_id: int = L1_CHAIN_ID) -> bytes:
    return keccak(abi_encode(
        ["bytes32", "bytes32", "bytes32", "uint256", "address"],
        [keccak(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
         keccak(b"Lockstep"), keccak(b"1"), chain_id, verifying_contract],
    ))


@dataclass
class Handoff:
    l2ChainId: int
    l2BlockNumber: int
    l2BlockHash: bytes
    l2StateRoot: bytes
    l1TargetBlockNumber: int
    l1ParentHash: bytes

    def as_tuple(self):
        return astuple(self)

    def signable(self, rollup: str, chain_id: int = L1_CHAIN_ID):
        return _typed("Handoff", HANDOFF_TYPE, self.__dict__, rollup, chain_id)


def sequenced_block_signable(l2_block_number: int, l2_block_hash: bytes, rollup: str,
                             chain_id: int = L1_CHAIN_ID, l2_chain_id: int = L2_CHAIN_ID):
    message = {"l2ChainId": l2_chain_id, "l2BlockNumber": l2_block_number, "l2BlockHash": l2_block_hash}
    return _typed("SequencedBlock", SEQUENCED_BLOCK_TYPE, message, rollup, chain_id)


def attestation_signable(public_inputs_hash: bytes, rollup: str, chain_id: int = L1_CHAIN_ID):
    return _typed("Attestation", ATTESTATION_TYPE, {"publicInputsHash": public_inputs_hash}, rollup, chain_id)


EXTERNAL_PROOF_TYPE = [{"name": "publicInputsHash", "type": "bytes32"}]


def external_proof_signable(public_inputs_hash: bytes, rollup: str, chain_id: int = L1_CHAIN_ID):
    """§8.4: what the external-proof slot's test stand-in signs (not a zero-knowledge proof)."""
    return _typed("ExternalProof", EXTERNAL_PROOF_TYPE, {"publicInputsHash": public_inputs_hash}, rollup, chain_id)


def digest(signable) -> bytes:
    """keccak(0x19 ‖ version ‖ header ‖ body) of an encoded typed-data message."""
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign(account, signable) -> bytes:
    """A 65-byte r ‖ s ‖ v signature (v ∈ {27, 28}, low s)."""
    signed = account.sign_message(signable)
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def attestation_proof(accounts, public_inputs_hash: bytes, rollup: str, chain_id: int = L1_CHAIN_ID) -> bytes:
    """The attestation proof of §8.2: signatures ordered by strictly increasing signer address."""
    ordered = sorted(accounts, key=lambda a: int(a.address, 16))
    return b"".join(sign(a, attestation_signable(public_inputs_hash, rollup, chain_id)) for a in ordered)
