"""Deposits on the slow path (Specs/protocol.md §5.2): `lockstep l2 --l1-url` follows `lockstep l1`, where the
contracts are deployed as the harness deploys them; a `sendToL2` on L1 is delivered by the sequencer's next block,
once, across a kill -9 of the L2, and a deposit sent while the L2 is down is delivered after it restarts."""
import json
import os
import tempfile
import time

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from l1node import L1Node, L2Node

MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()
ACCOUNTS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(10)]
L1_CHAIN_ID, L2_CHAIN_ID = 31337, 313370
GWEI, ETHER = 10**9, 10**18
ARTIFACTS = os.path.join(os.path.dirname(__file__), "../../Sources/Contracts/artifacts")
DEPOSIT_QUEUED = keccak(b"DepositQueued(bytes32,address,uint256,address,address,uint256,bytes)")


def artifact(name):
    with open(os.path.join(ARTIFACTS, f"{name}.json")) as file:
        return json.load(file)


def transact(w3, account, tx):
    tx = dict(tx, chainId=w3.eth.chain_id, nonce=w3.eth.get_transaction_count(account.address, "pending"),
              maxFeePerGas=20 * GWEI, maxPriorityFeePerGas=GWEI)
    tx.setdefault("gas", 8_000_000)
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.1)
    assert receipt["status"] == 1, receipt
    return receipt


def deploy(l1, l2):
    """The harness's deployment by development account 0: the two verifiers, then the Rollup at nonce 2, whose
    genesis is the L2's block 0."""
    deployer = ACCOUNTS[0]
    assert l1.eth.get_transaction_count(deployer.address) == 0
    rollup = to_checksum_address(keccak(bytes.fromhex("d694" + deployer.address[2:].lower() + "02"))[12:])
    verifiers = []
    for name, args in [("AttestationVerifier", [rollup, [a.address for a in ACCOUNTS[5:8]][::-1], 2]),
                       ("ExecuteVerifier", [L2_CHAIN_ID])]:
        contract = l1.eth.contract(abi=artifact(name)["abi"], bytecode=artifact(name)["bytecode"])
        receipt = transact(l1, deployer, contract.constructor(*args).build_transaction({"from": deployer.address}))
        verifiers.append(receipt["contractAddress"])
    genesis = l2.eth.get_block(0)
    rollup_artifact = artifact("Rollup")
    contract = l1.eth.contract(abi=rollup_artifact["abi"], bytecode=rollup_artifact["bytecode"])
    receipt = transact(l1, deployer, contract.constructor(
        ACCOUNTS[9].address, L2_CHAIN_ID, bytes(genesis["hash"]), bytes(genesis["stateRoot"]),
        [verifiers[0], verifiers[1], "0x" + "00" * 20], 2).build_transaction({"from": deployer.address}))
    assert receipt["contractAddress"] == rollup
    return l1.eth.contract(address=rollup, abi=rollup_artifact["abi"])


def deposit(l1, rollup, sender, to, value):
    receipt = transact(l1, sender, rollup.functions.sendToL2(to, b"").build_transaction(
        {"from": sender.address, "value": value, "gas": 300_000}))
    ids = [bytes(log["topics"][1]) for log in receipt["logs"] if bytes(log["topics"][0]) == DEPOSIT_QUEUED]
    assert len(ids) == 1
    return ids[0], receipt["blockNumber"]


def wait_for_balance(l2, address, expected, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if l2.eth.get_balance(address) == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"{address} holds {l2.eth.get_balance(address)} on the L2, expected {expected}")


def test_slow_path_deposits_are_delivered_once_across_a_crash():
    with tempfile.TemporaryDirectory() as l2_dir:
        l1_node = L1Node("--slot-time", "1")
        l2_args = ["--dev", "--block-time", "0.2", "--slot-time", "1", "--l1-poll-interval", "0.2", "--l1-url"]
        l2_node = L2Node(*l2_args, l1_node.url, data_dir=l2_dir)
        try:
            l1 = Web3(Web3.HTTPProvider(l1_node.url, request_kwargs={"timeout": 30}))
            l2 = Web3(Web3.HTTPProvider(l2_node.url, request_kwargs={"timeout": 30}))
            rollup = deploy(l1, l2)
            recipient = to_checksum_address("0x" + "5a" * 20)
            deposit_id, l1_block = deposit(l1, rollup, ACCOUNTS[1], recipient, ETHER)
            wait_for_balance(l2, recipient, ETHER)

            # The block that delivered it: its inbox hash is keccak(0 ‖ id), its anchor at or after the deposit.
            delivered = None
            for number in range(l2.eth.block_number, 0, -1):
                block = l2.provider.make_request("eth_getBlockByNumber", [hex(number), False])["result"]
                if block["inboxHash"] != "0x" + "00" * 32:
                    delivered = block
                    break
            assert delivered is not None
            assert delivered["inboxHash"] == "0x" + keccak(b"\x00" * 32 + deposit_id).hex()
            assert int(delivered["l1AnchorNumber"], 16) >= l1_block
            assert delivered["l1AnchorHash"] == l1.eth.get_block(int(delivered["l1AnchorNumber"], 16))["hash"].hex() \
                or bytes.fromhex(delivered["l1AnchorHash"][2:]) == bytes(l1.eth.get_block(int(delivered["l1AnchorNumber"], 16))["hash"])

            # kill -9; a deposit sent meanwhile is delivered after the restart, the first one not again.
            l2_node.stop(kill=True)
            later = to_checksum_address("0x" + "5b" * 20)
            deposit(l1, rollup, ACCOUNTS[2], later, 2 * ETHER)
            l2_node = L2Node(*l2_args, l1_node.url, data_dir=l2_dir)
            l2 = Web3(Web3.HTTPProvider(l2_node.url, request_kwargs={"timeout": 30}))
            wait_for_balance(l2, later, 2 * ETHER)
            time.sleep(1.0)
            assert l2.eth.get_balance(recipient) == ETHER
        finally:
            l2_node.stop()
            l1_node.stop()
