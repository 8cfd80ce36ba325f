"""Protocol v1 end to end against a real `lockstep l1` process (Specs/protocol.md §7, §8.3).

`lockstep protocol scenario` deploys the Rollup contract and its verifiers with signed transactions, hands off a
slot-end block, and sends `[deposit, submitBased (attestation + EXECUTE proofs, 2-of-3 policy), executeFromL2]` as
one `eth_sendBundle` for the next L1 block. This test then checks, with web3.py and its own decoding only, that the
L1 block carries the three transactions in order, that the contract accepted the based block and executed its
withdrawal in the same block, and that the block data in the log hashes to the accepted block hash.
"""
import json
import pathlib
import subprocess

import pytest
import rlp
from eth_utils import keccak
from web3 import Web3

from l1node import L1Node, binary

ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "Contracts" / "artifacts"


def run_scenario(url, *extra):
    return subprocess.run([binary(), "protocol", "scenario", "--l1-url", url, "--timeout", "30", *extra],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def scenario():
    node = L1Node("--slot-time", "86400", "--execute-precompile")
    try:
        result = run_scenario(node.url, "--mine")
        assert result.returncode == 0, result.stderr + result.stdout
        yield node, json.loads(result.stdout)
    finally:
        node.stop()


def test_the_bundle_lands_in_order_in_its_target_block(scenario):
    node, report = scenario
    w3 = Web3(Web3.HTTPProvider(node.url))
    block = w3.eth.get_block(report["l1Block"])
    assert ["0x" + bytes(tx).hex() for tx in block["transactions"][:3]] == report["bundle"]
    for tx_hash in report["bundle"]:
        receipt = w3.eth.get_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        assert receipt["blockNumber"] == report["l1Block"]


def test_the_rollup_accepted_the_based_block_and_executed_the_withdrawal(scenario):
    node, report = scenario
    w3 = Web3(Web3.HTTPProvider(node.url))
    rollup = w3.eth.contract(address=report["rollup"], abi=json.loads((ARTIFACTS / "Rollup.json").read_text())["abi"])
    number, block_hash, state_root = rollup.functions.head().call()
    assert number == report["basedBlock"]["number"]
    assert "0x" + block_hash.hex() == report["basedBlock"]["hash"]
    assert "0x" + state_root.hex() == report["basedBlock"]["stateRoot"]
    assert rollup.functions.withdrawals(report["withdrawalId"]).call() == 2  # EXECUTED
    assert rollup.functions.deposits(report["depositId"]).call() == 2  # CONSUMED
    # Same-slot withdrawal: the payee's 0.5 ETH arrived in the block that carried the based block.
    payee = report["payee"]
    before = w3.eth.get_balance(payee, block_identifier=report["l1Block"] - 1)
    after = w3.eth.get_balance(payee, block_identifier=report["l1Block"])
    assert after - before == int(report["payeeReceived"]) == 5 * 10**17


def test_the_logged_block_data_is_the_accepted_block(scenario):
    node, report = scenario
    w3 = Web3(Web3.HTTPProvider(node.url))
    rollup = w3.eth.contract(address=report["rollup"], abi=json.loads((ARTIFACTS / "Rollup.json").read_text())["abi"])
    logs = rollup.events.BasedBlock().get_logs(fromBlock=report["l1Block"], toBlock=report["l1Block"])
    assert len(logs) == 1
    event = logs[0]["args"]
    assert "0x" + event["blockHash"].hex() == report["basedBlock"]["hash"]
    assert "0x" + event["slotEndHash"].hex() == report["slotEndBlock"]["hash"]
    blocks = rlp.decode(event["blockData"])
    assert len(blocks) == 1
    header, transactions, deposits = blocks[0]
    assert len(header) == 26 and header[21] == b"\x02"  # kind = based
    assert "0x" + keccak(rlp.encode(header)).hex() == report["basedBlock"]["hash"]
    assert len(transactions) == 1 and len(deposits) == 1
    # The anchor is the L1 parent of the block that carried it.
    parent = w3.eth.get_block(report["l1Block"] - 1)
    assert int.from_bytes(header[22], "big") == report["l1Block"] - 1
    assert header[23] == bytes(parent["hash"])


def test_without_the_execute_precompile_the_bundle_is_refused_in_simulation():
    node = L1Node("--slot-time", "86400")
    try:
        result = run_scenario(node.url, "--mine")
        assert result.returncode == 1
        assert "proofs: below threshold" in result.stderr
    finally:
        node.stop()
