"""Recomputes every vector of Specs/vectors/ independently of the Swift code that wrote them.

Only the spec (Specs/protocol.md), the `rlp` package, eth-utils keccak, eth-abi and eth-account's
`encode_typed_data` are used: if the Swift implementation and this file read the spec differently, a vector fails.
"""
import json
import pathlib

import pytest
import rlp
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "Specs" / "vectors"
MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()


def load(name):
    return json.loads((VECTORS / name).read_text())


def b(hex_text):
    return bytes.fromhex(hex_text.removeprefix("0x"))


def q(hex_quantity):
    return int(hex_quantity, 16)


def dev_key(index):
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


# §3.1: the 21 Prague fields, then kind, l1AnchorNumber, l1AnchorHash, inboxHash, outboxRoot.
HEADER_FIELDS = [
    ("parentHash", "bytes"), ("ommersHash", "bytes"), ("coinbase", "bytes"), ("stateRoot", "bytes"),
    ("transactionsRoot", "bytes"), ("receiptsRoot", "bytes"), ("logsBloom", "bytes"), ("difficulty", "int"),
    ("number", "int"), ("gasLimit", "int"), ("gasUsed", "int"), ("timestamp", "int"), ("extraData", "bytes"),
    ("mixHash", "bytes"), ("nonce", "nonce"), ("baseFeePerGas", "int"), ("withdrawalsRoot", "bytes"),
    ("blobGasUsed", "int"), ("excessBlobGas", "int"), ("parentBeaconBlockRoot", "bytes"), ("requestsHash", "bytes"),
    ("kind", "kind"), ("l1AnchorNumber", "int"), ("l1AnchorHash", "bytes"), ("inboxHash", "bytes"),
    ("outboxRoot", "bytes"),
]


def header_items(header):
    items = []
    for name, kind in HEADER_FIELDS:
        value = header[name]
        if kind == "bytes":
            items.append(b(value))
        elif kind == "int":
            items.append(q(value))
        elif kind == "nonce":
            items.append(q(value).to_bytes(8, "big"))  # the header nonce is always 8 bytes
        else:
            items.append(int(value))
    return items


@pytest.mark.parametrize("vector", load("l2-headers.json")["vectors"], ids=lambda v: v["name"])
def test_l2_header_rlp_and_hash(vector):
    header = vector["header"]
    assert header["requestsHash"] == "0x" + __import__("hashlib").sha256(b"").hexdigest()
    encoded = rlp.encode(header_items(header))
    assert "0x" + encoded.hex() == vector["rlp"]
    assert "0x" + keccak(encoded).hex() == vector["hash"]
    assert len(rlp.decode(encoded)) == 26


def typed_data(document, vector):
    types = {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                              {"name": "chainId", "type": "uint256"},
                              {"name": "verifyingContract", "type": "address"}]}
    primary = vector["primaryType"]
    declaration = document["types"][primary]
    inner = declaration[len(primary) + 1:-1]
    types[primary] = [{"name": part.split(" ")[1], "type": part.split(" ")[0]} for part in inner.split(",")]
    message = {}
    for field in types[primary]:
        value = vector["message"][field["name"]]
        message[field["name"]] = b(value) if field["type"] == "bytes32" else value
    return {"types": types, "primaryType": primary, "domain": document["domain"], "message": message}


EIP712 = load("eip712.json")


def test_eip712_types_are_the_spec_types():
    assert EIP712["types"] == {
        "SequencedBlock": "SequencedBlock(uint256 l2ChainId,uint64 l2BlockNumber,bytes32 l2BlockHash)",
        "Handoff": "Handoff(uint256 l2ChainId,uint64 l2BlockNumber,bytes32 l2BlockHash,bytes32 l2StateRoot,"
                   "uint64 l1TargetBlockNumber,bytes32 l1ParentHash)",
        "Attestation": "Attestation(bytes32 publicInputsHash)",
    }
    assert EIP712["domain"]["name"] == "Lockstep" and EIP712["domain"]["version"] == "1"


@pytest.mark.parametrize("vector", EIP712["vectors"], ids=lambda v: v["primaryType"])
def test_eip712_digest_and_signatures(vector):
    signable = encode_typed_data(full_message=typed_data(EIP712, vector))
    # EIP-191 version 0x01: header = domain separator, body = struct hash.
    assert "0x" + signable.header.hex() == EIP712["domainSeparator"]
    assert "0x" + signable.body.hex() == vector["structHash"]
    digest = keccak(b"\x19\x01" + signable.header + signable.body)
    assert "0x" + digest.hex() == vector["digest"]
    for entry in vector["signatures"]:
        account = dev_key(entry["account"])
        assert account.address == entry["signer"]
        signed = account.sign_message(signable)
        assert "0x" + signed.signature.hex().removeprefix("0x") == entry["signature"]  # RFC 6979: deterministic
        assert Account.recover_message(signable, signature=b(entry["signature"])) == entry["signer"]


MESSAGES = load("messages.json")


def word(value):
    return abi_encode(["uint256"], [value])


@pytest.mark.parametrize("deposit", MESSAGES["deposits"], ids=lambda d: d["id"][:10])
def test_deposit_ids_rlp_and_relay_calldata(deposit):
    l2_chain_id = MESSAGES["l2ChainId"]
    assert b(MESSAGES["depositTag"]) == keccak(b"Lockstep.Deposit.v1")
    data = b(deposit["data"])
    encoded = abi_encode(["bytes32", "uint256", "address", "uint256", "address", "address", "uint256", "bytes32"],
                         [keccak(b"Lockstep.Deposit.v1"), l2_chain_id, deposit["origin"], q(deposit["originNonce"]),
                          deposit["sender"], deposit["to"], q(deposit["value"]), keccak(data)])
    assert "0x" + keccak(encoded).hex() == deposit["id"]
    body = rlp.encode([b(deposit["origin"]), q(deposit["originNonce"]), b(deposit["sender"]), b(deposit["to"]),
                       q(deposit["value"]), data])
    assert "0x" + body.hex() == deposit["rlp"]
    selector = keccak(b"relayDeposit(address,uint256,address,address,uint256,bytes)")[:4]
    calldata = selector + abi_encode(["address", "uint256", "address", "address", "uint256", "bytes"],
                                     [deposit["origin"], q(deposit["originNonce"]), deposit["sender"], deposit["to"],
                                      q(deposit["value"]), data])
    assert "0x" + calldata.hex() == deposit["relayCalldata"]


@pytest.mark.parametrize("withdrawal", MESSAGES["withdrawals"], ids=lambda w: w["id"][:10])
def test_withdrawal_ids(withdrawal):
    encoded = abi_encode(["bytes32", "uint256", "bytes32", "uint256", "address", "address", "uint256", "bytes32"],
                         [keccak(b"Lockstep.Withdrawal.v1"), MESSAGES["l2ChainId"], b(withdrawal["originKey"]),
                          q(withdrawal["originNonce"]), withdrawal["sender"], withdrawal["to"],
                          q(withdrawal["value"]), keccak(b(withdrawal["data"]))])
    assert "0x" + keccak(encoded).hex() == withdrawal["id"]


def test_a_withdrawal_during_a_deposit_relay_is_keyed_by_the_deposit_id():
    assert MESSAGES["withdrawals"][2]["originKey"] == MESSAGES["deposits"][1]["id"]


@pytest.mark.parametrize("vector", load("inbox.json")["vectors"], ids=lambda v: f"{len(v['ids'])} ids")
def test_inbox_rolling_hash(vector):
    value = b"\x00" * 32
    for deposit_id in vector["ids"]:
        value = keccak(value + b(deposit_id))
    assert "0x" + value.hex() == vector["inboxHash"]
    ids = [d["id"] for d in MESSAGES["deposits"]]
    assert vector["ids"] == ids[:len(vector["ids"])]


def merkle_levels(leaves):
    size = 1
    while size < len(leaves):
        size *= 2
    level = leaves + [b"\x00" * 32] * (size - len(leaves))
    levels = [level]
    while len(level) > 1:
        level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


@pytest.mark.parametrize("vector", load("outbox.json")["vectors"], ids=lambda v: f"{len(v['leaves'])} leaves")
def test_outbox_root_and_proofs(vector):
    leaves = [b(x) for x in vector["leaves"]]
    assert leaves == [keccak(f"withdrawal {i}".encode()) for i in range(len(leaves))]
    if not leaves:
        assert vector["root"] == "0x" + "00" * 32
        return
    levels = merkle_levels(leaves)
    root = levels[-1][0]
    assert "0x" + root.hex() == vector["root"]
    for index, proof in enumerate(vector["proofs"]):
        expected = [levels[depth][(index >> depth) ^ 1] for depth in range(len(levels) - 1)]
        assert [b(x) for x in proof] == expected
        node = leaves[index]
        for depth, sibling in enumerate(expected):
            node = keccak(node + sibling) if (index >> depth) & 1 == 0 else keccak(sibling + node)
        assert node == root


PUBLIC_INPUTS = load("public-inputs.json")


@pytest.mark.parametrize("vector", PUBLIC_INPUTS["vectors"], ids=lambda v: v["name"])
def test_public_inputs_hash(vector):
    inputs = vector["inputs"]
    expected_tag = keccak(b"Lockstep.PublicInputs.Based.v1" if vector["name"] == "based"
                          else b"Lockstep.PublicInputs.Settlement.v1")
    assert b(inputs["tag"]) == expected_tag
    encoded = abi_encode(
        ["bytes32", "uint256", "uint256", "bytes32", "bytes32", "uint256", "bytes32", "bytes32", "bytes32", "bytes32",
         "uint256", "bytes32", "address", "bytes32"],
        [expected_tag, q(inputs["l2ChainId"]), q(inputs["parentBlockNumber"]), b(inputs["parentBlockHash"]),
         b(inputs["parentStateRoot"]), q(inputs["blockNumber"]), b(inputs["blockHash"]), b(inputs["postStateRoot"]),
         b(inputs["inboxHash"]), b(inputs["outboxRoot"]), q(inputs["l1BlockNumber"]), b(inputs["l1ParentHash"]),
         inputs["submitter"], b(inputs["blockDataHash"])])
    assert "0x" + encoded.hex() == vector["encoded"]
    assert "0x" + keccak(encoded).hex() == vector["hash"]


def test_attestation_vector_signs_the_based_public_inputs():
    attestation = next(v for v in EIP712["vectors"] if v["primaryType"] == "Attestation")
    assert attestation["message"]["publicInputsHash"] == PUBLIC_INPUTS["vectors"][0]["hash"]


@pytest.mark.parametrize("vector", load("bundles.json")["vectors"], ids=lambda v: v["name"])
def test_bundle_hash(vector):
    legs = []
    for leg in ("l1Before", "l2", "l1After"):
        hashes = b""
        for tx in vector[leg]:
            assert "0x" + keccak(b(tx["raw"])).hex() == tx["hash"]
            decoded = Account.recover_transaction(tx["raw"])
            assert decoded.startswith("0x")
            hashes += b(tx["hash"])
        legs.append(keccak(hashes))
    assert "0x" + keccak(b"".join(legs)).hex() == vector["bundleHash"]


def test_the_same_transaction_in_another_leg_is_another_bundle():
    vectors = {v["name"]: v for v in load("bundles.json")["vectors"]}
    moved = vectors["same transaction in another leg"]
    original = vectors["all three legs"]
    assert moved["l1After"][0]["raw"] == original["l1Before"][0]["raw"]
    assert moved["bundleHash"] != keccak(b(original["l1Before"][0]["hash"])).hex()
    empty = keccak(b"")
    flashbots_style = keccak(b(moved["l1After"][0]["hash"]))
    assert moved["bundleHash"] == "0x" + keccak(empty + empty + flashbots_style).hex()


def test_execute_vector_is_consistent_with_its_public_inputs():
    """Specs/vectors/execute.json, read independently: the ABI input holds the block data and proof, the proof's
    parent header hashes to the parent, the block's header to the block, and the 11 output words restate the public
    inputs (re-execution itself is checked by the Swift suite and, through the real binary, by the boa suite)."""
    from eth_abi import decode as abi_decode
    vector = load("execute.json")
    inputs = vector["publicInputs"]
    l2_chain_id, parent_state_root, block_data, proof = abi_decode(
        ["uint256", "bytes32", "bytes", "bytes"], b(vector["input"]))
    assert l2_chain_id == vector["l2ChainId"] == q(inputs["l2ChainId"])
    assert "0x" + parent_state_root.hex() == inputs["parentStateRoot"]
    assert block_data == b(vector["blockData"]) and proof == b(vector["proof"])
    assert "0x" + keccak(block_data).hex() == inputs["blockDataHash"]
    parent_header, witness = rlp.decode(proof)
    assert rlp.encode(parent_header) == b(vector["parentHeader"])
    assert "0x" + keccak(rlp.encode(parent_header)).hex() == inputs["parentBlockHash"]
    assert "0x" + parent_header[3].hex() == inputs["parentStateRoot"]
    assert witness[0] == parent_state_root  # the witness is against the parent's state root
    (header, transactions, deposits), = rlp.decode(block_data)
    assert "0x" + keccak(rlp.encode(header)).hex() == inputs["blockHash"]
    assert header[21] == b"\x02" and len(deposits) == 1 and len(transactions) == 1
    words = [b(vector["output"])[i:i + 32] for i in range(0, 352, 32)]
    as_int = [int.from_bytes(w, "big") for w in words]
    assert as_int[0] == q(inputs["parentBlockNumber"]) and "0x" + words[1].hex() == inputs["parentBlockHash"]
    assert as_int[2] == q(inputs["blockNumber"]) and "0x" + words[3].hex() == inputs["blockHash"]
    assert "0x" + words[4].hex() == inputs["postStateRoot"] == "0x" + header[3].hex()
    assert "0x" + words[5].hex() == inputs["inboxHash"] and "0x" + words[6].hex() == inputs["outboxRoot"]
    assert as_int[7] == q(inputs["l1BlockNumber"]) - 1 and "0x" + words[8].hex() == inputs["l1ParentHash"]
    assert as_int[9] == 1 and as_int[10] == 1 << 2
