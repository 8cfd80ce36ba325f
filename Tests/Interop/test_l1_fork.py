"""`lockstep l1 --fork-url`: a devnet that continues another chain (here a second `lockstep l1`), checked against
that chain itself: the same transaction at the same timestamp on both must give the same block, state root included.
Also the devnet's historical state queries, which a fork's upstream relies on."""
import tempfile

import pytest
import rlp
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from l1node import L1Node
from test_l1_web3 import ACCOUNTS, CHAIN_ID, GWEI, verify_proof

# A contract that stores every (key, value) pair of its calldata: for i in 0, 64, ...: sstore(cd[i], cd[i+32]).
KV_RUNTIME = bytes.fromhex("60005b8036111560185780602001358135556040016002565b00")
KV_INIT = bytes.fromhex("79") + KV_RUNTIME + bytes.fromhex("600052601a6006f3")
TEN_THOUSAND_ETH = 10_000 * 10**18


def kv_data(pairs):
    return b"".join(key.to_bytes(32, "big") + value.to_bytes(32, "big") for key, value in pairs)


def raw_tx(account, nonce, **fields):
    tx = {"chainId": CHAIN_ID, "nonce": nonce, "gas": 1_000_000, "maxFeePerGas": 50 * GWEI,
          "maxPriorityFeePerGas": GWEI, "value": 0, "data": b""}
    tx.update(fields)
    return account.sign_transaction(tx).raw_transaction


@pytest.fixture(scope="module")
def upstream():
    node = L1Node("--slot-time", "0")
    yield node
    node.stop()


@pytest.fixture(scope="module")
def upstream_w3(upstream):
    return Web3(Web3.HTTPProvider(upstream.url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="module")
def prepared(upstream_w3):
    """The upstream with a key-value contract holding 48 slots and a funded fresh account; returns what the
    tests need."""
    w3 = upstream_w3
    deployer = ACCOUNTS[3]
    nonce = w3.eth.get_transaction_count(deployer.address)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw_tx(deployer, nonce, to=None, data=KV_INIT)))
    contract = receipt["contractAddress"]
    assert w3.eth.get_code(contract) == KV_RUNTIME
    pairs = [(key, key * 1000 + 7) for key in range(1, 49)]
    for start in range(0, len(pairs), 16):
        nonce += 1
        tx_hash = w3.eth.send_raw_transaction(raw_tx(deployer, nonce, to=contract, data=kv_data(pairs[start:start + 16])))
        assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
    fresh = to_checksum_address("0x" + "5a" * 20)
    nonce += 1
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw_tx(deployer, nonce, to=fresh, value=123_456)))
    return {"contract": contract, "fresh": fresh, "pairs": dict(pairs), "block": w3.eth.block_number}


def test_historical_state_queries(upstream_w3, prepared):
    w3 = upstream_w3
    contract, block = prepared["contract"], prepared["block"]
    assert w3.eth.get_storage_at(contract, 5, block) == (5 * 1000 + 7).to_bytes(32, "big")
    # Before the slots were written, they were empty; before the contract was deployed, it had no code.
    deployed = block - 4
    assert w3.eth.get_code(contract, deployed) == KV_RUNTIME
    assert w3.eth.get_code(contract, deployed - 1) == b""
    assert w3.eth.get_storage_at(contract, 40, deployed) == b"\0" * 32
    assert w3.eth.get_balance(prepared["fresh"], block - 1) == 0
    assert w3.eth.get_balance(prepared["fresh"], block) == 123_456
    # A proof at an older block verifies against that block's state root.
    proof = w3.eth.get_proof(contract, [5], deployed + 1)
    root = bytes(w3.eth.get_block(deployed + 1)["stateRoot"])
    account = verify_proof(root, keccak(bytes.fromhex(contract[2:])), proof["accountProof"])
    assert rlp.decode(account)[2] == bytes(proof["storageHash"])


def test_fork_reads_the_upstream_and_mines_the_same_blocks(upstream, upstream_w3, prepared):
    up = upstream_w3
    block = prepared["block"]
    with tempfile.TemporaryDirectory() as data_dir:
        fork = L1Node("--slot-time", "0", "--fork-url", upstream.url, "--fork-block-number", str(block), data_dir=data_dir)
        try:
            w3 = Web3(Web3.HTTPProvider(fork.url, request_kwargs={"timeout": 120}))
            assert w3.eth.chain_id == CHAIN_ID
            assert w3.eth.block_number == block
            assert w3.eth.get_block(block)["hash"] == up.eth.get_block(block)["hash"]
            # The fork block itself comes with the upstream's transactions (the fork knows only its header).
            assert w3.eth.get_block("latest")["transactions"] == up.eth.get_block(block)["transactions"] != []
            assert len(w3.eth.fee_history(5, "latest", [50])["baseFeePerGas"]) == 2  # history starts at the fork
            assert w3.eth.get_block(block - 2)["hash"] == up.eth.get_block(block - 2)["hash"]
            contract = prepared["contract"]
            assert w3.eth.get_code(contract) == KV_RUNTIME
            assert w3.eth.get_storage_at(contract, 17) == (17 * 1000 + 7).to_bytes(32, "big")
            assert w3.eth.get_balance(prepared["fresh"]) == 123_456
            # The development accounts are funded on the fork, as on a fresh devnet.
            assert all(w3.eth.get_balance(a.address) == TEN_THOUSAND_ETH for a in ACCOUNTS)

            # Give the upstream the same funding, then the same transaction at the same timestamp on both: a
            # write of new slots, rewrites, and zeroing of half the slots (which collapses trie branches whose
            # other child no proof of the written keys shows).
            for account in ACCOUNTS:
                up.provider.make_request("anvil_setBalance", [account.address, hex(TEN_THOUSAND_ETH)])
            timestamp = up.eth.get_block(block)["timestamp"] + 100
            sender = ACCOUNTS[3]
            nonce = up.eth.get_transaction_count(sender.address)
            assert w3.eth.get_transaction_count(sender.address) == nonce
            writes = [(key, 0) for key in range(1, 49, 2)] + [(key, 99) for key in range(2, 49, 6)] + [(1000, 1), (77, 5)]
            transactions = [raw_tx(sender, nonce, to=contract, data=kv_data(writes)),
                            raw_tx(sender, nonce + 1, to=prepared["fresh"], value=10**18),
                            raw_tx(ACCOUNTS[5], up.eth.get_transaction_count(ACCOUNTS[5].address), to=None, data=KV_INIT)]
            for raw in transactions:
                for node_w3 in (up, w3):
                    node_w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])
                    tx_hash = node_w3.eth.send_raw_transaction(raw)
                    assert node_w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
                timestamp += 12
                mined_up, mined_fork = up.eth.get_block("latest"), w3.eth.get_block("latest")
                assert mined_fork["number"] == mined_up["number"]
                assert mined_fork["stateRoot"] == mined_up["stateRoot"]
                assert mined_fork["hash"] == mined_up["hash"]
            status = w3.provider.make_request("lockstep_forkStatus", [])["result"]
            assert int(status["blockNumber"], 16) == block and status["url"] == upstream.url
            # Zeroing half the slots needed siblings that no proof of a written key showed.
            assert int(status["siblingSearches"], 16) > 0 and int(status["proofRequests"], 16) > 0
            assert w3.eth.get_storage_at(contract, 1) == b"\0" * 32
            assert w3.eth.get_storage_at(contract, 2) == (99).to_bytes(32, "big")

            # eth_getProof on the fork verifies against the fork's own state root, for a changed account, an
            # untouched one and an absent one.
            root = bytes(w3.eth.get_block("latest")["stateRoot"])
            proof = w3.eth.get_proof(contract, [1, 2, 4], "latest")
            account = verify_proof(root, keccak(bytes.fromhex(contract[2:])), proof["accountProof"])
            assert rlp.decode(account)[2] == bytes(proof["storageHash"])
            for entry in proof["storageProof"]:
                key = bytes(entry["key"]).rjust(32, b"\0")
                value = verify_proof(bytes(proof["storageHash"]), keccak(key), entry["proof"])
                expected = int.from_bytes(bytes(entry["value"]), "big") if not isinstance(entry["value"], int) else entry["value"]
                assert (rlp.decode(value) if value else b"") == expected.to_bytes(32, "big").lstrip(b"\0")
            untouched = ACCOUNTS[9].address
            proof = w3.eth.get_proof(untouched, [], "latest")
            assert verify_proof(root, keccak(bytes.fromhex(untouched[2:])), proof["accountProof"]) is not None
            absent = w3.eth.get_proof(to_checksum_address("0x" + "ab" * 20), [], "latest")
            assert verify_proof(root, keccak(b"\xab" * 20), absent["accountProof"]) is None
            head = w3.eth.get_block("latest")
        finally:
            fork.stop(kill=True)

        # A restart continues the fork from its data directory (and the logged upstream).
        again = L1Node("--slot-time", "0", data_dir=data_dir)
        try:
            w3 = Web3(Web3.HTTPProvider(again.url, request_kwargs={"timeout": 120}))
            assert w3.eth.get_block("latest")["hash"] == head["hash"]
            assert w3.eth.get_storage_at(prepared["contract"], 2) == (99).to_bytes(32, "big")
            assert any("forked from" in line for line in again.output)
        finally:
            again.stop()


def test_fork_refuses_nonsense(upstream, lockstep):
    result = lockstep("l1", "--fork-url", "ftp://example", check=False)
    assert result.returncode != 0 and "--fork-url must be an http" in result.stderr
    result = lockstep("l1", "--fork-block-number", "3", "--port", "0", check=False)
    assert result.returncode != 0 and "--fork-block-number needs --fork-url" in result.stderr
    result = lockstep("l1", "--port", "0", "--fork-url", upstream.url, "--fork-block-number", "999999", check=False)
    assert result.returncode != 0 and "has no block 999999" in result.stderr
